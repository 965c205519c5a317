"""One pure decision per fault code: measurements (and the baseline) in, reading out."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from bus.vocabulary import FaultCode
from ingest.analysis.baseline import Baseline
from ingest.analysis.health_codes import Measurement
from ingest.analysis.health_config import HealthConfig
from ingest.analysis.measures import Exposure, Texture, TileMatch

_CLIPPED_LEVEL = 250.0
# Cells flatter than this (levels) in the baseline carry too little to tell a cover.
_INFORMATIVE_SPREAD = 3.0
_MIN_STABLE_TILES = 3
# A flat cell's detail is sensor noise, about this much |Laplacian|.
_FLAT_DETAIL = 0.5
_LEVEL_SHIFT = 0.4
_UNSTABLE = 0.3
_SPREAD_QUARTERS = 3


def no_signal(exposure: Exposure, cfg: HealthConfig) -> Measurement:
    """A solid "no video" screen.

    Blue, grey and other bright screens only need to be uniform (a noisy or
    compressed copy of one still is). A dark uniform picture is usually a dark
    scene, so it counts as no signal only when flat to the exact level, as a
    generated black screen is. A solid white one is an overexposed camera.
    """
    if exposure.median >= _CLIPPED_LEVEL:
        return Measurement(FaultCode.NO_SIGNAL, False, exposure.uniform, cfg.no_signal_uniform)
    if exposure.mean < cfg.dark_mean:
        bad = exposure.flat >= cfg.no_signal_uniform
        return Measurement(FaultCode.NO_SIGNAL, bad, exposure.flat, cfg.no_signal_uniform)
    bad = exposure.uniform >= cfg.no_signal_uniform
    return Measurement(FaultCode.NO_SIGNAL, bad, exposure.uniform, cfg.no_signal_uniform)


def too_dark(exposure: Exposure, cfg: HealthConfig) -> Measurement:
    return Measurement(
        FaultCode.TOO_DARK, exposure.mean < cfg.dark_mean, exposure.mean, cfg.dark_mean
    )


def overexposed(exposure: Exposure, cfg: HealthConfig) -> Measurement:
    bad = exposure.clipped >= cfg.overexposed_clipped
    return Measurement(FaultCode.OVEREXPOSED, bad, exposure.clipped, cfg.overexposed_clipped)


def occluded(texture: Texture, baseline: Baseline, cfg: HealthConfig) -> Measurement:
    """Share of grid cells that look covered.

    A cell with structure in the baseline is covered when its detail and its
    contrast both collapse: blur removes detail but keeps most contrast, a cover
    (opaque or translucent) removes both. A cell that was flat to begin with
    (plain road, sky) is covered when it stays featureless but its brightness
    moved far from what the global lighting change explains.
    """
    ratio = np.float32(cfg.cover_ratio)
    informative = baseline.cell_spread >= _INFORMATIVE_SPREAD
    featureless = texture.cell_detail < ratio * baseline.cell_detail + _FLAT_DETAIL
    collapsed = informative & featureless & (texture.cell_spread < ratio * baseline.cell_spread)
    level = np.maximum(baseline.cell_level, 1.0)
    relative = texture.cell_level / level
    flat_relative = relative.ravel()
    middle = flat_relative.size // 2
    lighting = float(np.partition(flat_relative, middle)[middle])
    shifted = np.abs(relative / max(lighting, 1e-3) - 1.0) > _LEVEL_SHIFT
    repainted = ~informative & featureless & shifted
    share = int(np.count_nonzero(collapsed | repainted)) / collapsed.size
    return Measurement(FaultCode.OCCLUDED, share >= cfg.occluded_cells, share, cfg.occluded_cells)


def stable_tiles(tiles: TileMatch, baseline: Baseline) -> np.ndarray:
    """Textured tiles that do not usually look displaced (falls back to all textured)."""
    stable: np.ndarray = tiles.textured & (baseline.tile_instability < _UNSTABLE)
    if int(np.count_nonzero(stable)) < _MIN_STABLE_TILES:
        stable = tiles.textured
    return stable


def _quadrants(tiles: npt.NDArray[np.bool_]) -> int:
    """How many quarters of the view (2x2 split of the tile grid) hold a marked tile."""
    rows, cols = tiles.shape
    row_half = np.arange(rows) * 2 // rows
    col_half = np.arange(cols) * 2 // cols
    quarter = row_half[:, None] * 2 + col_half[None, :]
    return len(set(quarter[tiles].tolist()))


def moved(tiles: TileMatch, baseline: Baseline, cfg: HealthConfig) -> Measurement:
    """Share of stable tiles displaced, counted only when the displacement is spread
    over the view.

    A moved or turned camera displaces the background everywhere; something close to
    the lens (a passer-by, a hand) displaces the tiles on one side and leaves the rest
    in place, so displaced tiles must be found in at least `_SPREAD_QUARTERS` of the
    view's four quarters. Lasting is the persistence's job (`moved_s`).
    """
    stable = stable_tiles(tiles, baseline)
    count = int(np.count_nonzero(stable))
    if count == 0:
        return Measurement(FaultCode.MOVED, None, 0.0, cfg.moved_tiles)
    displaced = tiles.displaced & stable
    share = int(np.count_nonzero(displaced)) / count
    bad = share >= cfg.moved_tiles and _quadrants(displaced) >= _SPREAD_QUARTERS
    return Measurement(FaultCode.MOVED, bad, share, cfg.moved_tiles)


def blurred(texture: Texture, baseline: Baseline, cfg: HealthConfig) -> Measurement:
    ratio = texture.sharpness / max(baseline.sharpness, 1e-6)
    return Measurement(FaultCode.BLURRED, ratio < cfg.blur_ratio, ratio, cfg.blur_ratio)


def noisy(noise: float, baseline: Baseline, cfg: HealthConfig) -> Measurement:
    limit = max(cfg.noise_min, cfg.noise_ratio * (baseline.noise or 0.0))
    return Measurement(FaultCode.NOISY, noise > limit, noise, limit)


def colour_cast(
    chroma: tuple[float, float, float], baseline: Baseline, cfg: HealthConfig
) -> Measurement:
    """Distance of the mean colour from the baseline's; monochrome (IR) pictures are skipped."""
    a_mean, b_mean, saturation = chroma
    if baseline.chroma is None or saturation < cfg.monochrome_saturation:
        return Measurement(FaultCode.COLOR_CAST, None, 0.0, cfg.cast_distance)
    distance = math.hypot(a_mean - baseline.chroma[0], b_mean - baseline.chroma[1])
    return Measurement(
        FaultCode.COLOR_CAST, distance > cfg.cast_distance, distance, cfg.cast_distance
    )
