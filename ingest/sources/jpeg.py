"""JPEG bytes to a reduced frame, with OpenCV's scaled (reduced) decode.

libjpeg can decode at 1/2, 1/4 or 1/8 scale by skipping most of the inverse DCT, so
a reduced decode of a 1280×720 snapshot costs a fraction of a full colour decode
(figures in docs/performance.md § Sources). One reduced colour decode then gives
both the gray frame and the thumbnail, which measured cheaper than two decodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from bus.vocabulary import ProbeFailure
from ingest.analysis.frames import (
    DEFAULT_HEALTH_WIDTH,
    DEFAULT_THUMB_WIDTH,
    ReducedFrame,
    prepare_sample,
    reduce_gray,
)
from ingest.sources.failures import ProbeError

SOI = b"\xff\xd8"
_REDUCED_GRAY = {1: cv2.IMREAD_GRAYSCALE, 2: cv2.IMREAD_REDUCED_GRAYSCALE_2,
                 4: cv2.IMREAD_REDUCED_GRAYSCALE_4, 8: cv2.IMREAD_REDUCED_GRAYSCALE_8}  # fmt: skip
_REDUCED_COLOUR = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2,
                   4: cv2.IMREAD_REDUCED_COLOR_4, 8: cv2.IMREAD_REDUCED_COLOR_8}  # fmt: skip
# Start-of-frame markers (baseline, extended, progressive, lossless, arithmetic…);
# 0xC4 (DHT), 0xC8 (JPG) and 0xCC (DAC) share the range but are not frames.
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_STANDALONE_MARKERS = frozenset(range(0xD0, 0xD8)) | {0x01}


@dataclass(frozen=True, slots=True)
class DecodeOptions:
    """How small to make a sample. thumb_width 0 skips the colour thumbnail."""

    gray_width: int = DEFAULT_HEALTH_WIDTH
    thumb_width: int = DEFAULT_THUMB_WIDTH

    def __post_init__(self) -> None:
        if self.gray_width <= 0:
            raise ValueError(f"gray_width must be positive, got {self.gray_width}")
        if self.thumb_width < 0 or self.thumb_width > self.gray_width:
            raise ValueError(
                f"thumb_width must be between 0 and gray_width, got {self.thumb_width}"
            )


DEFAULT_DECODE = DecodeOptions()


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the JPEG's start-of-frame header, or None if there is none."""
    if not data.startswith(SOI):
        return None
    position = 2
    end = len(data)
    while position + 4 <= end:
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in _STANDALONE_MARKERS:
            position += 2
            continue
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        if marker in _SOF_MARKERS:
            if position + 9 > end:
                return None
            height = int.from_bytes(data[position + 5 : position + 7], "big")
            width = int.from_bytes(data[position + 7 : position + 9], "big")
            return (width, height) if width and height else None
        if marker == 0xDA or length < 2:  # start of scan before any frame header
            return None
        position += 2 + length
    return None


# What a camera view can look like: panoramic cameras reach about 32:9; anything longer
# or smaller is an error page, a banner or a broken encoder, and the checks (which
# reduce every picture to a fixed width) cannot judge it.
MIN_SIDE_PX = 16
MAX_ASPECT = 6.0


def check_picture_size(size: tuple[int, int]) -> None:
    """Raise ProbeError DECODE_ERROR for a picture no camera view has the shape of."""
    width, height = size
    if min(width, height) < MIN_SIDE_PX or max(width, height) > MAX_ASPECT * min(width, height):
        raise ProbeError(
            ProbeFailure.DECODE_ERROR,
            f"a {width}x{height} picture is not a camera view: sides of at least "
            f"{MIN_SIDE_PX} px and an aspect ratio within {MAX_ASPECT:g}:1 are judged",
        )


def reduction_for(width: int, target_width: int) -> int:
    """The largest libjpeg scale divisor (8, 4, 2, 1) that keeps the width ≥ target."""
    for divisor in (8, 4, 2):
        if -(-width // divisor) >= target_width:
            return divisor
    return 1


def decode_jpeg(data: bytes, options: DecodeOptions = DEFAULT_DECODE) -> ReducedFrame:
    """Reduced gray (exactly `gray_width` wide) and thumbnail from JPEG bytes.

    Raises ProbeError NOT_AN_IMAGE when `data` is not a JPEG at all and DECODE_ERROR
    when it starts like one but OpenCV cannot decode it.
    """
    if not data.startswith(SOI):
        head = data[:16]
        raise ProbeError(ProbeFailure.NOT_AN_IMAGE, f"not a JPEG (starts with {head!r})")
    size = jpeg_size(data)
    if size is None:
        raise ProbeError(ProbeFailure.DECODE_ERROR, f"JPEG without a frame header ({len(data)} B)")
    check_picture_size(size)
    divisor = reduction_for(size[0], options.gray_width)
    buffer = np.frombuffer(data, dtype=np.uint8)
    if options.thumb_width:
        decoded = cv2.imdecode(buffer, _REDUCED_COLOUR[divisor])
        if decoded is None:
            raise ProbeError(ProbeFailure.DECODE_ERROR, f"OpenCV cannot decode the JPEG {size}")
        colour = np.asarray(decoded, dtype=np.uint8)
        reduced = prepare_sample(colour, options.gray_width, options.thumb_width)
        return ReducedFrame(reduced.gray, reduced.thumb, size)
    gray = cv2.imdecode(buffer, _REDUCED_GRAY[divisor])
    if gray is None:
        raise ProbeError(ProbeFailure.DECODE_ERROR, f"OpenCV cannot decode the JPEG {size}")
    return ReducedFrame(
        reduce_gray(np.asarray(gray, dtype=np.uint8), options.gray_width), None, size
    )
