"""A camera's learned normal picture, and its JSON-able state.

Learned as a plain average of the first good samples, then followed slowly
(exponential average) on good samples only, so a fault never teaches the
baseline that it is normal.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from ingest.analysis.measures import TILES, Texture

Float = npt.NDArray[np.float32]
STATE_VERSION = 1


@dataclass(frozen=True, slots=True)
class Baseline:
    """samples: good samples seen. sharpness: as measured by `measures.texture`.
    noise: temporal noise (`measures.temporal_noise`), None until first measured.
    chroma: mean CIELAB (a*, b*), or None for a camera without colour.
    cell_detail / cell_spread / cell_level: per-cell texture, contrast and
    brightness (measures.GRID).
    reference: the small gray view used to notice a moved camera.
    tile_instability: per reference tile, how often it looked displaced on good
    samples (busy road tiles); unstable tiles are left out of the moved check.
    """

    samples: int
    sharpness: float
    noise: float | None
    chroma: tuple[float, float] | None
    cell_detail: Float
    cell_spread: Float
    cell_level: Float
    reference: Float
    tile_instability: Float


def first_baseline(
    texture: Texture,
    view: npt.NDArray[np.uint8],
    chroma: tuple[float, float] | None,
    noise: float | None,
) -> Baseline:
    rows, cols = TILES[1], TILES[0]
    return Baseline(
        samples=1,
        sharpness=texture.sharpness,
        noise=noise,
        chroma=chroma,
        cell_detail=texture.cell_detail.copy(),
        cell_spread=texture.cell_spread.copy(),
        cell_level=texture.cell_level.copy(),
        reference=view.astype(np.float32),
        tile_instability=np.zeros((rows, cols), dtype=np.float32),
    )


def _mix(old: float, new: float, weight: float) -> float:
    return old + weight * (new - old)


def absorb(
    baseline: Baseline,
    texture: Texture,
    view: npt.NDArray[np.uint8],
    chroma: tuple[float, float] | None,
    noise: float | None,
    weight: float,
) -> Baseline:
    """The baseline after one more good sample, which counts with `weight` (0..1)."""
    if baseline.reference.shape != view.shape:
        return first_baseline(texture, view, chroma, noise)
    mixed_noise = baseline.noise
    if noise is not None:
        mixed_noise = noise if baseline.noise is None else _mix(baseline.noise, noise, weight)
    mixed_chroma = baseline.chroma
    if chroma is not None:
        mixed_chroma = (
            chroma
            if baseline.chroma is None
            else (
                _mix(baseline.chroma[0], chroma[0], weight),
                _mix(baseline.chroma[1], chroma[1], weight),
            )
        )
    w = np.float32(weight)
    return Baseline(
        samples=baseline.samples + 1,
        sharpness=_mix(baseline.sharpness, texture.sharpness, weight),
        noise=mixed_noise,
        chroma=mixed_chroma,
        cell_detail=baseline.cell_detail + w * (texture.cell_detail - baseline.cell_detail),
        cell_spread=baseline.cell_spread + w * (texture.cell_spread - baseline.cell_spread),
        cell_level=baseline.cell_level + w * (texture.cell_level - baseline.cell_level),
        reference=baseline.reference + w * (view.astype(np.float32) - baseline.reference),
        tile_instability=baseline.tile_instability,
    )


def note_tiles(baseline: Baseline, displaced: npt.NDArray[np.bool_], rate: float = 0.1) -> Baseline:
    """The baseline after seeing which tiles looked displaced on a sample without faults.

    Faster than the picture baseline, so a busy road tile drops out of the moved
    check within a few samples.
    """
    instability = baseline.tile_instability
    updated = instability + np.float32(rate) * (displaced.astype(np.float32) - instability)
    return replace(baseline, tile_instability=updated)


def _floats(array: Float) -> list[list[float]]:
    return [[round(float(v), 3) for v in row] for row in array.tolist()]


def to_state(baseline: Baseline) -> dict[str, Any]:
    """A small JSON-able dict (about 5 KB) that `from_state` turns back into the baseline."""
    ok, png = cv2.imencode(".png", np.clip(np.rint(baseline.reference), 0, 255).astype(np.uint8))
    if not ok:
        raise ValueError("could not encode the reference view")
    return {
        "version": STATE_VERSION,
        "samples": baseline.samples,
        "sharpness": round(baseline.sharpness, 5),
        "noise": None if baseline.noise is None else round(baseline.noise, 4),
        "chroma": None if baseline.chroma is None else [round(c, 3) for c in baseline.chroma],
        "cell_detail": _floats(baseline.cell_detail),
        "cell_spread": _floats(baseline.cell_spread),
        "cell_level": _floats(baseline.cell_level),
        "reference_png": base64.b64encode(png.tobytes()).decode("ascii"),
        "tile_instability": _floats(baseline.tile_instability),
    }


def from_state(state: dict[str, Any]) -> Baseline:
    """Inverse of `to_state`; raises ValueError on a state of another version or shape."""
    if state.get("version") != STATE_VERSION:
        raise ValueError(f"unsupported baseline state version {state.get('version')!r}")
    png = np.frombuffer(base64.b64decode(state["reference_png"]), dtype=np.uint8)
    reference = cv2.imdecode(png, cv2.IMREAD_GRAYSCALE)
    if reference is None:
        raise ValueError("baseline state holds an unreadable reference view")
    chroma = state.get("chroma")
    instability = np.asarray(state["tile_instability"], dtype=np.float32)
    if instability.shape != (TILES[1], TILES[0]):
        raise ValueError(f"baseline tile grid {instability.shape} does not match {TILES}")
    return Baseline(
        samples=int(state["samples"]),
        sharpness=float(state["sharpness"]),
        noise=None if state.get("noise") is None else float(state["noise"]),
        chroma=None if chroma is None else (float(chroma[0]), float(chroma[1])),
        cell_detail=np.asarray(state["cell_detail"], dtype=np.float32),
        cell_spread=np.asarray(state["cell_spread"], dtype=np.float32),
        cell_level=np.asarray(state["cell_level"], dtype=np.float32),
        reference=reference.astype(np.float32),
        tile_instability=instability,
    )
