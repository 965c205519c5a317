"""Polygon masks and named zones in normalized coordinates.

Polygons are stored as fractions of the width and height (0..1) so a camera's
configuration survives a change of stream resolution; they are rasterized for
whatever size the detector works at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Point = tuple[float, float]
Polygon = tuple[Point, ...]


def validate_polygon(polygon: Sequence[Point]) -> Polygon:
    """The polygon as a tuple, after checking it has 3+ points inside 0..1."""
    points = tuple((float(x), float(y)) for x, y in polygon)
    if len(points) < 3:
        raise ValueError(f"a polygon needs at least 3 points, got {len(points)}")
    for x, y in points:
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise ValueError(f"polygon point ({x}, {y}) is outside the normalized range 0..1")
    return points


@dataclass(frozen=True, slots=True)
class Zone:
    """A named area of the view; motion inside it is reported under `name`."""

    name: str
    polygon: Polygon

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a zone needs a name")
        object.__setattr__(self, "polygon", validate_polygon(self.polygon))


def rasterize(polygons: Sequence[Polygon], width: int, height: int) -> npt.NDArray[np.uint8]:
    """A 0/255 mask of `width` x `height` that is set inside any of `polygons`."""
    mask = np.zeros((height, width), dtype=np.uint8)
    # Pixel centres map to (i + 0.5) / size, so 0 and 1 land on the outer edges.
    scale = np.array([width, height], dtype=np.float64)
    for polygon in polygons:
        points = np.round(np.asarray(polygon, dtype=np.float64) * scale - 0.5).astype(np.int32)
        cv2.fillPoly(mask, [points], 255)
    return mask
