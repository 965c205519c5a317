"""A scripted picture fault painted onto one pooled frame (by ingest.faultinject)."""

from __future__ import annotations

import numpy as np

from ingest import faultinject
from ingest.faultinject import Frame
from ingest.simulator.faults import FaultKind, FaultRule

REFERENCE_WIDTH = 1280  # blur sigmas are given for this width and scaled to the served one


def render_fault(frame: Frame, rule: FaultRule | None, seed: int) -> Frame:
    """The frame as a camera under `rule` shows it; `seed` makes noise reproducible per frame.

    `frozen` changes which frame is shown, not the picture, so it renders as healthy.
    """
    if rule is None or rule.kind is FaultKind.FROZEN:
        return frame
    kind = rule.kind
    if kind is FaultKind.BLACK:
        return faultinject.black(frame)
    if kind is FaultKind.BLURRED:
        return faultinject.blur(frame, rule.sigma * frame.shape[1] / REFERENCE_WIDTH)
    if kind is FaultKind.COVERED:
        side: faultinject.Side = rule.side  # type: ignore[assignment]  # validated by parse_rule
        return faultinject.cover(frame, rule.fraction, rule.opacity, side=side)
    if kind is FaultKind.MOVED:
        return faultinject.rotate(faultinject.shift(frame, rule.dx, rule.dy), rule.degrees)
    if kind is FaultKind.COLOR_CAST:
        return faultinject.colour_cast(frame, rule.gains)
    if kind is FaultKind.NOISE:
        return faultinject.gaussian_noise(frame, rule.sigma, np.random.default_rng(seed))
    raise ValueError(f"{kind} is not a picture fault")
