from __future__ import annotations

import numpy as np
import pytest

from ingest.simulator import fault_painter as fi
from tests.ingest.analysis.scenes import scene


@pytest.fixture
def picture() -> fi.Frame:
    return scene()


def _sharpness(frame: fi.Frame) -> float:
    gray = frame.mean(axis=2) if frame.ndim == 3 else frame.astype(float)
    return float(np.abs(np.diff(gray, axis=1)).mean())


def test_functions_are_pure_and_keep_shape(picture: fi.Frame) -> None:
    original = picture.copy()
    rng = np.random.default_rng(0)
    outputs = [
        fi.blur(picture, 2),
        fi.cover(picture, 0.4),
        fi.shift(picture, 0.1),
        fi.rotate(picture, 3),
        fi.frozen(picture, 5.0),
        fi.black(picture),
        fi.no_signal_screen(picture),
        fi.overexpose(picture),
        fi.darken(picture),
        fi.colour_cast(picture),
        fi.gaussian_noise(picture, 10, rng),
        fi.jpeg(picture, 20),
        fi.illumination(picture, 1.3),
        fi.rain(picture, rng),
    ]
    for out in outputs:
        assert out.shape == picture.shape
        assert out.dtype == np.uint8
    assert np.array_equal(picture, original)


def test_blur_grows_with_sigma(picture: fi.Frame) -> None:
    assert _sharpness(fi.blur(picture, 3)) < _sharpness(fi.blur(picture, 1)) < _sharpness(picture)


def test_cover_partial_and_translucent(picture: fi.Frame) -> None:
    left = fi.cover(picture, 0.4, colour=(10, 10, 10))
    assert left[:, :200].mean() < 20  # covered side
    assert np.array_equal(left[:, 400:], picture[:, 400:])  # far side untouched
    translucent = fi.cover(picture, 1.0, 0.6, (200, 200, 200))
    # The scene still shows through, but faintly.
    corr = np.corrcoef(translucent.mean(axis=2).ravel(), picture.mean(axis=2).ravel())[0, 1]
    assert 0.2 < corr < 0.99
    assert translucent.std() < picture.std()


def test_shift_moves_content(picture: fi.Frame) -> None:
    moved = fi.shift(picture, 0.1)
    assert np.array_equal(moved[:, 100:], picture[:, 36 : -64 + 64 or None][:, : 640 - 100])


def test_timestamp_ticks_each_second(picture: fi.Frame) -> None:
    assert fi.timestamp_text(0.2) == fi.timestamp_text(0.9)
    assert fi.timestamp_text(1.0) != fi.timestamp_text(0.9)
    a, b = fi.frozen(picture, 10.0), fi.frozen(picture, 11.0)
    changed = np.count_nonzero(np.any(a != b, axis=2))
    assert 0 < changed < 0.01 * a.shape[0] * a.shape[1]


def test_gray_frames_supported(picture: fi.Frame) -> None:
    gray = picture[:, :, 1].copy()
    assert fi.cover(gray, 0.5).ndim == 2
    assert fi.draw_timestamp(gray, 3.0).ndim == 2
    with pytest.raises(ValueError, match="BGR"):
        fi.colour_cast(gray)


def test_rain_is_reproducible(picture: fi.Frame) -> None:
    one = fi.rain(picture, np.random.default_rng(4))
    two = fi.rain(picture, np.random.default_rng(4))
    assert np.array_equal(one, two)
    assert not np.array_equal(one, picture)
