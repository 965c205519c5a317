"""Decoded PyAV video frames to reduced frames, reading the luma plane directly.

Converting a whole frame to BGR (or even to gray through swscale) at full resolution
costs more than the decode of a key frame; the Y plane of a planar YUV frame is
already the gray picture, so it is viewed in place and only the reduced copy is made.
"""

from __future__ import annotations

import av
import numpy as np

from ingest.analysis.frames import Gray, ReducedFrame, reduce_gray
from ingest.sources.jpeg import DecodeOptions

# Pixel formats whose first plane is 8-bit luma at full frame size.
_PLANAR_LUMA = frozenset(
    {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "nv21", "gray"}
)
_FULL_RANGE_FORMATS = frozenset({"yuvj420p", "yuvj422p", "yuvj444p", "gray"})
_COLOR_RANGE_JPEG = 2  # AVCOL_RANGE_JPEG: full 0–255 luma
# Video-range luma (16–235) stretched to 0–255, so a black picture reads the same
# whether it came from an H.264 stream or a JPEG snapshot.
_EXPAND_LIMITED = np.clip((np.arange(256) - 16) * 255.0 / 219.0 + 0.5, 0, 255).astype(np.uint8)


def is_full_range(format_name: str, color_range: int) -> bool:
    return format_name in _FULL_RANGE_FORMATS or color_range == _COLOR_RANGE_JPEG


def luma_view(frame: av.VideoFrame) -> Gray:
    """The frame's luma as a uint8 array (a view of the Y plane when the format allows)."""
    if frame.format.name in _PLANAR_LUMA:
        plane = frame.planes[0]
        rows = np.frombuffer(memoryview(plane), dtype=np.uint8)
        return rows.reshape(plane.height, plane.line_size)[:, : plane.width]
    return np.asarray(frame.to_ndarray(format="gray"), dtype=np.uint8)


def reduce_video_frame(frame: av.VideoFrame, options: DecodeOptions) -> ReducedFrame:
    """Reduced full-range gray and (optionally) a BGR thumbnail of a decoded frame."""
    luma = luma_view(frame)
    gray = reduce_gray(luma, options.gray_width)
    if not is_full_range(frame.format.name, int(frame.color_range)):
        gray = _EXPAND_LIMITED[gray]
    thumb = None
    if options.thumb_width:
        height = max(1, round(frame.height * options.thumb_width / frame.width))
        small = frame.reformat(width=options.thumb_width, height=height, format="bgr24")
        thumb = np.asarray(small.to_ndarray(), dtype=np.uint8)
    return ReducedFrame(gray, thumb, (frame.width, frame.height))
