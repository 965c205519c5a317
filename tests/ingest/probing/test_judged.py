"""A sample's picture as evidence: the camera's own JPEG untouched, else its gray frame."""

from __future__ import annotations

from datetime import UTC, datetime

import cv2
import numpy as np
import pytest

from ingest.analysis.frames import prepare_sample
from ingest.probing.judged import SeenPicture
from ingest.sources.sample import Sample

AT = datetime(2026, 11, 26, 8, tzinfo=UTC)


def _frame() -> np.ndarray:
    frame = np.zeros((360, 640, 3), np.uint8)
    cv2.rectangle(frame, (100, 80), (300, 250), (40, 200, 90), -1)
    return frame


def test_a_snapshot_keeps_the_cameras_own_jpeg_without_a_copy() -> None:
    jpeg = cv2.imencode(".jpg", _frame())[1].tobytes()
    sample = Sample.from_reduced(prepare_sample(_frame(), 320), AT, jpeg)
    picture = SeenPicture.of(sample)
    assert picture.encoded() is jpeg
    assert picture.held_bytes == len(jpeg)


def test_a_stream_key_frame_becomes_its_gray_frame_as_jpeg() -> None:
    sample = Sample.from_reduced(prepare_sample(_frame(), 320), AT)
    picture = SeenPicture.of(sample)
    decoded = cv2.imdecode(np.frombuffer(picture.encoded(), np.uint8), cv2.IMREAD_GRAYSCALE)
    assert decoded.shape == sample.gray.shape == (180, 320)
    assert np.abs(decoded.astype(int) - sample.gray.astype(int)).mean() < 3  # the same picture
    assert picture.held_bytes == 180 * 320


def test_a_picture_needs_something_to_show() -> None:
    with pytest.raises(ValueError, match="JPEG or its gray"):
        SeenPicture()
