"""Frame reduction shared by the motion detector and the health checks.

Callers decode a frame once and hand the reduced versions to every kernel.
Reductions go by exact halvings because OpenCV's area resize is fast for a
factor of two and an order of magnitude slower for larger factors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

Gray = npt.NDArray[np.uint8]
"""A single-channel uint8 image (luma)."""
BGR = npt.NDArray[np.uint8]
"""A three-channel uint8 image in OpenCV's BGR order."""

DEFAULT_HEALTH_WIDTH = 320
DEFAULT_THUMB_WIDTH = 80


@dataclass(frozen=True, slots=True)
class ReducedFrame:
    """One decoded frame reduced for analysis.

    gray: reduced luma for the health checks (``DEFAULT_HEALTH_WIDTH`` wide by default).
    thumb: small BGR thumbnail for the colour checks, or None for a luma-only source.
    source_size: (width, height) of the frame before reduction.
    """

    gray: Gray
    thumb: BGR | None
    source_size: tuple[int, int]


def _target_size(width: int, height: int, target_width: int) -> tuple[int, int]:
    if target_width <= 0:
        raise ValueError(f"target width must be positive, got {target_width}")
    target_height = max(1, round(height * target_width / width))
    return target_width, target_height


def _shrink(image: npt.NDArray[np.uint8], target_width: int) -> npt.NDArray[np.uint8]:
    """Area-reduce by halvings while that stays at or above the target, then once more."""
    height, width = image.shape[:2]
    size = _target_size(width, height, target_width)
    while width >= 2 * target_width:
        width, height = width // 2, height // 2
        image = cast(
            npt.NDArray[np.uint8],
            cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA),
        )
    if (width, height) != size:
        image = cast(npt.NDArray[np.uint8], cv2.resize(image, size, interpolation=cv2.INTER_AREA))
    return image


def to_gray(frame: npt.NDArray[np.uint8]) -> Gray:
    """Luma of a BGR or BGRA frame; a single-channel frame is returned unchanged."""
    if frame.ndim == 2:
        return frame
    if frame.ndim == 3 and frame.shape[2] == 1:
        return frame[:, :, 0]
    if frame.ndim == 3 and frame.shape[2] == 4:
        return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY), dtype=np.uint8)
    if frame.ndim == 3 and frame.shape[2] == 3:
        return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    raise ValueError(f"expected a gray or BGR uint8 frame, got shape {frame.shape}")


def reduce_gray(frame: npt.NDArray[np.uint8], width: int) -> Gray:
    """Reduced luma `width` pixels wide (aspect kept) from a gray or BGR frame.

    A BGR frame is reduced before conversion when it is at least twice the
    target width, which is cheaper than converting at full resolution.
    """
    if frame.dtype != np.uint8:
        raise ValueError(f"expected a uint8 frame, got {frame.dtype}")
    if frame.ndim == 3 and frame.shape[2] == 3 and frame.shape[1] >= 2 * width:
        half = cv2.resize(
            frame, (frame.shape[1] // 2, frame.shape[0] // 2), interpolation=cv2.INTER_AREA
        )
        return _shrink(to_gray(np.asarray(half, dtype=np.uint8)), width)
    return _shrink(to_gray(frame), width)


def prepare_sample(
    frame: npt.NDArray[np.uint8],
    gray_width: int = DEFAULT_HEALTH_WIDTH,
    thumb_width: int = DEFAULT_THUMB_WIDTH,
) -> ReducedFrame:
    """Reduced gray and colour thumbnail from one decoded frame (gray or BGR)."""
    if frame.dtype != np.uint8 or frame.ndim not in (2, 3):
        raise ValueError(f"expected a uint8 gray or BGR frame, got {frame.dtype} {frame.shape}")
    height, width = frame.shape[:2]
    if frame.ndim == 2 or frame.shape[2] == 1:
        return ReducedFrame(reduce_gray(frame, gray_width), None, (width, height))
    colour = np.asarray(frame[:, :, :3], dtype=np.uint8)
    gray = _shrink(to_gray(colour), gray_width)
    # The thumbnail only feeds mean-colour statistics, so a cheap bilinear
    # decimation to twice its size is good enough before the final area step.
    thumb_size = _target_size(width, height, thumb_width)
    if width > 2 * thumb_size[0]:
        colour = np.asarray(
            cv2.resize(
                colour, (2 * thumb_size[0], 2 * thumb_size[1]), interpolation=cv2.INTER_LINEAR
            ),
            dtype=np.uint8,
        )
    thumb = _shrink(colour, thumb_width)
    return ReducedFrame(gray, thumb, (width, height))
