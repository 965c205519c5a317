"""Is the stream stuck? The FROZEN evidence, strongest first.

1. Payload: a snapshot whose bytes hash to the previous snapshot's digest was not
   taken again (a live sensor never encodes two byte-identical JPEGs).
2. Picture: the reduced gray is compared with the *first* picture of the current
   unchanged run (the anchor), not with the previous sample. A still scene's noise
   and encoder refreshes accumulate against the anchor, so a run of
   "unchanged" breaks within seconds at any sampling rate, while a stuck stream
   stays identical to it for ever. The change is the median over CHANGE_GRID cells
   of the mean absolute difference, so a ticking on-screen clock (a few cells)
   never counts as change.
3. Noise floor: a frozen picture re-encoded with fresh encoder noise changes a
   little everywhere; a live still scene changes at least at its sensor's noise
   level, which is learned per camera, by day (colour) and by night (monochrome)
   apart because the infrared switch changes the noise abruptly. A change well
   below the floor is a freeze.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from bus.vocabulary import FaultCode
from ingest.analysis.health_codes import Measurement
from ingest.analysis.health_config import HealthConfig
from ingest.analysis.measures import CHANGE_GRID

Gray = npt.NDArray[np.uint8]
# The floor follows quieter readings quickly and louder ones slowly: it is a low
# quantile of the still scene's change, so a still scene rarely reads below it.
_FLOOR_DOWN = 0.3
_FLOOR_UP = 0.02
DAY, NIGHT = 0, 1


@dataclass(frozen=True, slots=True)
class FreezeState:
    """anchor: first picture of the current unchanged run (None after a blank picture).
    digest: payload digest of the previous sample, when the source gave one.
    floors: learned still-noise change level (levels) by day and by night."""

    anchor: Gray | None = None
    digest: bytes | None = None
    floors: tuple[float | None, float | None] = (None, None)


def change_level(gray: Gray, anchor: Gray) -> float:
    """Median over CHANGE_GRID cells of the mean absolute difference (levels)."""
    if gray.shape != anchor.shape:
        return float("inf")
    diff = cv2.absdiff(gray, anchor)
    cells = cv2.resize(diff.astype(np.float32), CHANGE_GRID, interpolation=cv2.INTER_AREA)
    return float(np.median(cells))


def judge(
    state: FreezeState, gray: Gray, digest: bytes | None, mode: int, cfg: HealthConfig
) -> tuple[Measurement, float | None]:
    """The FROZEN reading of one sample and the change it measured (None: no anchor)."""
    floor = state.floors[mode]
    limit = (
        cfg.frozen_level if floor is None else max(cfg.frozen_level, cfg.frozen_noise_ratio * floor)
    )
    if digest is not None and digest == state.digest:
        return Measurement(FaultCode.FROZEN, True, 0.0, limit), None
    if state.anchor is None:
        return Measurement(FaultCode.FROZEN, None, 0.0, limit), None
    change = change_level(gray, state.anchor)
    return Measurement(FaultCode.FROZEN, change <= limit, change, limit), change


def advance(state: FreezeState, gray: Gray, digest: bytes | None, bad: bool | None) -> FreezeState:
    """Keep the anchor while the picture stays unchanged; otherwise this sample is it."""
    anchor = state.anchor if bad and state.anchor is not None else gray
    return replace(state, anchor=anchor, digest=digest)


def blank(state: FreezeState) -> FreezeState:
    """A picture with nothing to compare (no signal, too dark, blown out)."""
    return replace(state, anchor=None, digest=None)


def learn_floor(state: FreezeState, change: float, mode: int) -> FreezeState:
    """Fold a good sample's change into the floor of its mode (day or night)."""
    old = state.floors[mode]
    if old is None:
        new = change
    else:
        weight = _FLOOR_DOWN if change < old else _FLOOR_UP
        new = old + weight * (change - old)
    floors = (new, state.floors[1]) if mode == DAY else (state.floors[0], new)
    return replace(state, floors=floors)


def floors_state(state: FreezeState) -> list[float | None]:
    return [None if f is None else round(f, 4) for f in state.floors]


def from_floors(saved: Any) -> FreezeState:
    """A state with the saved floors (the anchor is never saved: it must be fresh)."""
    if not isinstance(saved, list) or len(saved) != 2:
        return FreezeState()
    day, night = (None if f is None else float(f) for f in saved)
    return FreezeState(floors=(day, night))
