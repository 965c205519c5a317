"""Persistence for one fault code, in samples and in seconds.

A fault is raised when its condition has held for at least `raise_after` samples
AND at least `raise_s` seconds, and cleared when the opposite has held for
`clear_after` samples AND `clear_s` seconds. Time is each sample's own timestamp
(capture time in ingest, video time in `analyze`), so the same settings mean the
same thing whether a camera is sampled 30 times a second or once a minute.

A pending run survives up to `tolerate` contrary samples in a row (a car crossing
a tile for one sample of a 30 s moved view); they do not count towards the run,
but the run's clock keeps going. More than that and the run starts over.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Transition(StrEnum):
    RAISED = "raised"
    CLEARED = "cleared"


@dataclass(frozen=True, slots=True)
class Hold:
    """How long a condition must hold: samples and seconds, both required."""

    raise_after: int
    raise_s: float
    clear_after: int
    clear_s: float
    tolerate: int = 0


@dataclass(frozen=True, slots=True)
class Persistence:
    """active: the fault is raised. run: samples supporting the pending change (bad
    while inactive, good while active). gap: contrary samples in a row since the
    last supporting one. since: timestamp (s) of the run's first sample; None when
    unknown (a state saved before times were kept): the next sample starts it."""

    active: bool = False
    run: int = 0
    gap: int = 0
    since: float | None = None


def step_persistence(
    state: Persistence, bad: bool | None, t: float, hold: Hold
) -> tuple[Persistence, Transition | None]:
    """Next state after one sample taken at `t` seconds; `bad` None (the check could
    not judge it) leaves the state unchanged."""
    if bad is None:
        return state, None
    supports = bad != state.active
    if not supports:
        if state.run and state.gap < hold.tolerate:
            return Persistence(state.active, state.run, state.gap + 1, state.since), None
        return Persistence(state.active), None
    # The clock going backwards restarts the run rather than counting negative time.
    fresh = state.run == 0 or state.since is None or t < state.since
    since = t if fresh else state.since
    assert since is not None
    run = 1 if fresh else state.run + 1
    needed, seconds = (
        (hold.clear_after, hold.clear_s) if state.active else (hold.raise_after, hold.raise_s)
    )
    if run >= needed and t - since >= seconds:
        transition = Transition.CLEARED if state.active else Transition.RAISED
        return Persistence(not state.active), transition
    return Persistence(state.active, run, 0, since), None
