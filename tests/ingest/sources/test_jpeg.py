"""Reduced JPEG decode: sizes, values against a full decode, and the failure codes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bus.vocabulary import ProbeFailure
from ingest.analysis.frames import reduce_gray
from ingest.sources.failures import ProbeError
from ingest.sources.jpeg import DecodeOptions, decode_jpeg, jpeg_size, reduction_for
from tests.ingest.sources.camera_server import camera_jpeg


def test_size_is_read_from_the_frame_header() -> None:
    assert jpeg_size(camera_jpeg(1280, 720)) == (1280, 720)
    assert jpeg_size(camera_jpeg(352, 288)) == (352, 288)
    image = np.zeros((240, 320, 3), np.uint8)
    ok, progressive = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])
    assert ok
    assert jpeg_size(bytes(progressive)) == (320, 240)
    assert jpeg_size(b"GIF89a") is None
    assert jpeg_size(b"\xff\xd8\xff\xda\x00\x02") is None


@given(st.integers(1, 8000), st.integers(1, 2000))
def test_reduction_keeps_at_least_the_target_width(width: int, target: int) -> None:
    divisor = reduction_for(width, target)
    assert divisor in (1, 2, 4, 8)
    if divisor > 1:
        assert -(-width // divisor) >= target
    if divisor < 8:
        assert -(-width // (divisor * 2)) < target


def test_reduced_decode_matches_a_full_decode_scaled_down() -> None:
    jpeg = camera_jpeg(1280, 720)
    reduced = decode_jpeg(jpeg)
    assert reduced.source_size == (1280, 720)
    assert reduced.gray.shape == (180, 320)
    assert reduced.thumb is not None
    assert reduced.thumb.shape == (45, 80, 3)
    full = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    expected = reduce_gray(np.asarray(full, dtype=np.uint8), 320)
    difference = np.abs(reduced.gray.astype(int) - expected.astype(int))
    assert difference.mean() < 2.0
    assert difference.max() < 40


def test_gray_only_skips_the_thumbnail_and_sizes_follow_the_options() -> None:
    reduced = decode_jpeg(camera_jpeg(1920, 1080), DecodeOptions(gray_width=480, thumb_width=0))
    assert reduced.thumb is None
    assert reduced.gray.shape == (270, 480)
    small = decode_jpeg(camera_jpeg(176, 144))  # smaller than the target: scaled up to it
    assert small.gray.shape[1] == 320


def test_not_a_jpeg_and_corrupt_jpeg_have_their_own_codes() -> None:
    with pytest.raises(ProbeError) as not_jpeg:
        decode_jpeg(b"<html>login</html>")
    assert not_jpeg.value.code is ProbeFailure.NOT_AN_IMAGE
    truncated = camera_jpeg()[:200]
    with pytest.raises(ProbeError) as corrupt:
        decode_jpeg(truncated)
    assert corrupt.value.code is ProbeFailure.DECODE_ERROR


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="gray_width"):
        DecodeOptions(gray_width=0)
    with pytest.raises(ValueError, match="thumb_width"):
        DecodeOptions(gray_width=100, thumb_width=200)


@pytest.mark.parametrize(("width", "height"), [(20_000, 16), (16, 2_000), (1, 1), (12, 12)])
def test_pictures_no_camera_makes_are_a_decode_error_not_a_crash(width: int, height: int) -> None:
    ok, encoded = cv2.imencode(".jpg", np.full((height, width, 3), 128, np.uint8))
    assert ok
    with pytest.raises(ProbeError) as caught:
        decode_jpeg(encoded.tobytes())
    assert caught.value.code is ProbeFailure.DECODE_ERROR
    assert f"{width}x{height}" in caught.value.detail


def test_a_wide_panorama_is_still_judged() -> None:
    ok, encoded = cv2.imencode(".jpg", np.full((360, 1920, 3), 128, np.uint8))
    assert ok
    assert decode_jpeg(encoded.tobytes()).gray.shape[1] == DecodeOptions().gray_width
