"""A scripted picture fault painted onto one pooled frame (by ingest.simulator.fault_painter)."""

from __future__ import annotations

import numpy as np

from ingest.simulator import fault_painter
from ingest.simulator.fault_painter import Frame
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
        return fault_painter.black(frame)
    if kind is FaultKind.BLURRED:
        return fault_painter.blur(frame, rule.sigma * frame.shape[1] / REFERENCE_WIDTH)
    if kind is FaultKind.COVERED:
        side: fault_painter.Side = rule.side  # type: ignore[assignment]  # validated by parse_rule
        return fault_painter.cover(frame, rule.fraction, rule.opacity, side=side)
    if kind is FaultKind.MOVED:
        return fault_painter.rotate(fault_painter.shift(frame, rule.dx, rule.dy), rule.degrees)
    if kind is FaultKind.COLOR_CAST:
        return fault_painter.colour_cast(frame, rule.gains)
    if kind is FaultKind.NOISE:
        return fault_painter.gaussian_noise(frame, rule.sigma, np.random.default_rng(seed))
    raise ValueError(f"{kind} is not a picture fault")
