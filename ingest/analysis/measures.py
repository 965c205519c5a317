"""Per-sample measurements for the health checks: pure functions of the pixels.

Everything here is computed once per sample and shared by the checks, on the
reduced gray (`fine`, 320 wide by default), its half (`coarse`) and the colour
thumbnail. Sizes follow from the caller's reduction; nothing here reads state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Gray = npt.NDArray[np.uint8]
Float = npt.NDArray[np.float32]

GRID = (8, 6)
"""Cells (columns, rows) for local texture, used to find partial covers."""
CHANGE_GRID = (16, 9)
"""Cells (columns, rows) for the frame-to-frame change used by the freeze check."""
_CLIP_HIGH = 250
_UNIFORM_BAND = 3
# The median |4-neighbour Laplacian| of Gaussian noise is 0.6745 * sqrt(20) * sigma.
_LAPLACIAN_NOISE_SCALE = 1.0 / (0.6745 * math.sqrt(20.0))
# The median |difference| of two samples of Gaussian noise is 0.6745 * sqrt(2) * sigma.
_NOISE_SCALE = 1.0 / (0.6745 * math.sqrt(2.0))


@dataclass(frozen=True, slots=True)
class Exposure:
    """Brightness statistics of the coarse gray.

    mean: mean luma (0..255). uniform: share of pixels within ±3 levels of the
    median. clipped: share of pixels at 250 or above. median: median luma.
    flat: share of pixels at exactly the most common level; a generated "no
    video" screen is flat to the level, a dark scene still varies by a few.
    """

    mean: float
    uniform: float
    clipped: float
    median: float
    flat: float


@dataclass(frozen=True, slots=True)
class Texture:
    """Fine detail of the picture.

    sharpness: fine-scale over coarse-scale Laplacian energy; defocus removes
    the fine scale first, and the ratio ignores brightness and contrast.
    spatial_noise: noise (levels) estimated from the median fine Laplacian;
    static fine texture inflates it, so it is used with `temporal_noise`.
    cell_detail: per-cell mean |Laplacian| on the fine gray, GRID shaped.
    cell_spread: per-cell standard deviation of the coarse gray, GRID shaped.
    cell_level: per-cell mean of the coarse gray, GRID shaped.
    """

    sharpness: float
    spatial_noise: float
    cell_detail: Float
    cell_spread: Float
    cell_level: Float


def _median_level(image: Gray) -> float:
    """Median of a uint8 image, estimated on every other row and column (a quarter of
    the pixels is plenty for a median, and the histogram is the costly part)."""
    subsample = np.ascontiguousarray(image[::2, ::2])
    histogram = cv2.calcHist([subsample], [0], None, [256], [0, 256]).ravel()
    cumulative = np.cumsum(histogram)
    return float(np.searchsorted(cumulative, cumulative[-1] / 2))


def half(gray: Gray) -> Gray:
    """The gray image at half size (area average)."""
    height, width = gray.shape
    return np.asarray(
        cv2.resize(gray, (max(1, width // 2), max(1, height // 2)), interpolation=cv2.INTER_AREA),
        dtype=np.uint8,
    )


def exposure(coarse: Gray) -> Exposure:
    histogram = cv2.calcHist([coarse], [0], None, [256], [0, 256]).ravel()
    total = float(histogram.sum()) or 1.0
    cumulative = np.cumsum(histogram)
    median = int(np.searchsorted(cumulative, total / 2))
    low, high = max(0, median - _UNIFORM_BAND), min(255, median + _UNIFORM_BAND)
    uniform = float(histogram[low : high + 1].sum()) / total
    clipped = float(histogram[_CLIP_HIGH:].sum()) / total
    mean = float(np.dot(histogram, np.arange(256, dtype=np.float32))) / total
    flat = float(histogram.max()) / total
    return Exposure(mean, uniform, clipped, float(median), flat)


def texture(fine: Gray, coarse: Gray) -> Texture:
    fine_lap = np.asarray(cv2.convertScaleAbs(cv2.Laplacian(fine, cv2.CV_16S)), dtype=np.uint8)
    coarse_lap = cv2.convertScaleAbs(cv2.Laplacian(coarse, cv2.CV_16S))
    fine_energy = cv2.mean(fine_lap)[0]
    coarse_energy = cv2.mean(coarse_lap)[0]
    sharpness = fine_energy / max(coarse_energy, 0.5)
    median_lap = _median_level(fine_lap)
    coarse_f = coarse.astype(np.float32)
    level = cv2.resize(coarse_f, GRID, interpolation=cv2.INTER_AREA)
    square = cv2.resize(coarse_f * coarse_f, GRID, interpolation=cv2.INTER_AREA)
    spread = np.sqrt(np.maximum(square - level * level, 0.0))
    detail = cv2.resize(fine_lap, GRID, interpolation=cv2.INTER_AREA).astype(np.float32)
    return Texture(
        sharpness=float(sharpness),
        spatial_noise=median_lap * _LAPLACIAN_NOISE_SCALE,
        cell_detail=np.asarray(detail, dtype=np.float32),
        cell_spread=np.asarray(spread, dtype=np.float32),
        cell_level=np.asarray(level, dtype=np.float32),
    )


def temporal_noise(diff: Gray) -> float:
    """Sensor noise (levels) from the absolute difference of two consecutive samples.

    Static fine texture does not change between samples, noise does; the median
    ignores whatever moved, rain streaks included, as long as it is under half
    the picture.
    """
    return _median_level(diff) * _NOISE_SCALE


def changed_cells(coarse: Gray, previous: Gray, level: float = 1.5) -> float:
    """Share of CHANGE_GRID cells whose mean absolute change since `previous` exceeds `level`.

    A frozen encoder repeats the picture and only its burned-in clock ticks,
    which touches a handful of cells; a live picture changes more widely.
    """
    if coarse.shape != previous.shape:
        return 1.0
    diff = cv2.absdiff(coarse, previous)
    cells = cv2.resize(diff, CHANGE_GRID, interpolation=cv2.INTER_AREA)
    return float(np.count_nonzero(cells > level)) / cells.size


TILES = (5, 4)
"""Tiles (columns, rows) of the coarse gray matched one by one against the reference."""
_SEARCH = (7, 4)
"""Search margin (x, y) in view pixels (80x45 for a 640x360 stream): about ±9 %."""
_TILE_MIN_SPREAD = 4.0
_MATCHED = 0.6
_LOST = 0.35
_CLEAR_PEAK = 0.1
# A tile correlating this well in place is not searched (it has not moved).
_IN_PLACE = 0.9


@dataclass(frozen=True, slots=True)
class TileMatch:
    """Per-tile comparison of the view with its reference, TILES shaped (rows, columns).

    textured: the reference tile has enough structure to be matched.
    displaced: the tile's best match is elsewhere with a clear peak, or it is
    found nowhere (new view, or a shift beyond the search range).
    """

    textured: npt.NDArray[np.bool_]
    displaced: npt.NDArray[np.bool_]


def tile_spread(reference: Gray) -> Float:
    """Standard deviation of each reference tile (TILES shaped), to skip flat tiles."""
    ref = reference.astype(np.float32)
    level = cv2.resize(ref, TILES, interpolation=cv2.INTER_AREA)
    square = cv2.resize(ref * ref, TILES, interpolation=cv2.INTER_AREA)
    return np.asarray(np.sqrt(np.maximum(square - level * level, 0.0)), dtype=np.float32)


def _tile_means(image: Float, rows: int, cols: int) -> Float:
    return np.asarray(
        cv2.resize(image, (cols, rows), interpolation=cv2.INTER_AREA), dtype=np.float32
    )


def stay_correlation(view: Float, reference: Float) -> Float:
    """Per-tile normalized correlation of view and reference without any displacement."""
    rows, cols = TILES[1], TILES[0]
    height, width = view.shape
    crop_h, crop_w = height // rows * rows, width // cols * cols
    x = view[:crop_h, :crop_w]
    y = reference[:crop_h, :crop_w]
    mean_x, mean_y = _tile_means(x, rows, cols), _tile_means(y, rows, cols)
    cov = _tile_means(x * y, rows, cols) - mean_x * mean_y
    var_x = _tile_means(x * x, rows, cols) - mean_x * mean_x
    var_y = _tile_means(y * y, rows, cols) - mean_y * mean_y
    return np.asarray(cov / np.sqrt(np.maximum(var_x * var_y, 1e-6)), dtype=np.float32)


def match_tiles(view: Gray, reference: Gray, spread: Float) -> TileMatch:
    """Search each textured reference tile in the current view within ±`_SEARCH` pixels.

    `view` and `reference` are the same small size (the coarse gray halved
    again). Tiles that still correlate well where they were are not searched:
    on a healthy picture that skips most of them, and searching is the costly part.
    """
    rows, cols = TILES[1], TILES[0]
    textured = spread >= _TILE_MIN_SPREAD
    displaced = np.zeros((rows, cols), dtype=bool)
    if view.shape != reference.shape:
        return TileMatch(textured, textured.copy())
    height, width = view.shape
    tile_w, tile_h = width // cols, height // rows
    margin_x, margin_y = _SEARCH
    view_f = view.astype(np.float32)
    reference_f = reference.astype(np.float32)
    suspect = textured & (stay_correlation(view_f, reference_f) < _IN_PLACE)
    for row, col in zip(*np.nonzero(suspect), strict=True):
        x0, y0 = int(col) * tile_w, int(row) * tile_h
        wx0, wy0 = max(0, x0 - margin_x), max(0, y0 - margin_y)
        wx1, wy1 = min(width, x0 + tile_w + margin_x), min(height, y0 + tile_h + margin_y)
        template = reference_f[y0 : y0 + tile_h, x0 : x0 + tile_w]
        scores = cv2.matchTemplate(view_f[wy0:wy1, wx0:wx1], template, cv2.TM_CCOEFF_NORMED)
        _, best, _, peak = cv2.minMaxLoc(scores)
        home = (x0 - wx0, y0 - wy0)
        stay = float(scores[home[1], home[0]])
        moved = peak != home and best >= _MATCHED and best - stay > _CLEAR_PEAK
        displaced[row, col] = best < _LOST or moved
    return TileMatch(textured, displaced)


def chroma(thumb: npt.NDArray[np.uint8]) -> tuple[float, float, float]:
    """Mean (a*, b*) of the thumbnail in CIELAB (0 = neutral) and its mean saturation.

    Saturation near zero means a monochrome picture (IR night mode).
    """
    lab = cv2.cvtColor(thumb, cv2.COLOR_BGR2Lab)
    a_mean, b_mean = cv2.mean(lab)[1:3]
    hsv_saturation = cv2.mean(cv2.cvtColor(thumb, cv2.COLOR_BGR2HSV))[1]
    return float(a_mean - 128.0), float(b_mean - 128.0), float(hsv_saturation)
