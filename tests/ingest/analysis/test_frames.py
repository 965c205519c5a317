from __future__ import annotations

import numpy as np
import pytest

from ingest.analysis.frames import prepare_sample, reduce_gray, to_gray

from .scenes import scene


def test_reduce_gray_keeps_aspect_and_matches_gray_input() -> None:
    picture = scene()
    from_bgr = reduce_gray(picture, 160)
    from_gray = reduce_gray(to_gray(picture), 160)
    assert from_bgr.shape == (90, 160)
    assert from_bgr.dtype == np.uint8
    # Reducing before or after the colour conversion differs by rounding only.
    assert float(np.abs(from_bgr.astype(int) - from_gray).mean()) < 1.0


def test_reduce_gray_odd_sizes() -> None:
    frame = np.zeros((241, 321), dtype=np.uint8)
    assert reduce_gray(frame, 100).shape == (75, 100)
    assert reduce_gray(frame, 321).shape == (241, 321)


def test_prepare_sample_makes_gray_and_thumbnail() -> None:
    sample = prepare_sample(scene())
    assert sample.gray.shape == (180, 320)
    assert sample.thumb is not None
    assert sample.thumb.shape == (45, 80, 3)
    assert sample.source_size == (640, 360)
    gray_only = prepare_sample(to_gray(scene()))
    assert gray_only.thumb is None


def test_rejects_non_uint8() -> None:
    with pytest.raises(ValueError, match="uint8"):
        reduce_gray(np.zeros((10, 10), dtype=np.float32), 5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive"):
        reduce_gray(np.zeros((10, 10), dtype=np.uint8), 0)
