"""Start/end hysteresis for motion, on the caller's timestamps (never the wall clock)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class MotionEvent(StrEnum):
    START = "motion.start"
    END = "motion.end"


@dataclass(frozen=True, slots=True)
class EventState:
    """Where the hysteresis stands.

    active: a `motion.start` has been emitted without its `motion.end`.
    moving_since: first timestamp of the current unbroken run of moving frames.
    last_moving: timestamp of the latest moving frame.
    """

    active: bool = False
    moving_since: float | None = None
    last_moving: float | None = None


def step_events(
    state: EventState, moving: bool, t: float, start_after_s: float, end_after_s: float
) -> tuple[EventState, MotionEvent | None]:
    """Next state and the event (if any) after a frame at time `t`.

    `motion.start` needs moving frames without a gap for `start_after_s`;
    `motion.end` needs `end_after_s` without any moving frame.
    """
    if moving:
        since = state.moving_since if state.moving_since is not None else t
        if not state.active and t - since >= start_after_s:
            return EventState(True, since, t), MotionEvent.START
        return EventState(state.active, since, t), None
    if state.active and state.last_moving is not None and t - state.last_moving >= end_after_s:
        return EventState(False, None, state.last_moving), MotionEvent.END
    return EventState(state.active, None, state.last_moving), None
