"""k-bad-to-raise, m-good-to-clear persistence for one fault code."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Transition(StrEnum):
    RAISED = "raised"
    CLEARED = "cleared"


@dataclass(frozen=True, slots=True)
class Persistence:
    """active: the fault is raised. bad_run / good_run: consecutive samples of each kind."""

    active: bool = False
    bad_run: int = 0
    good_run: int = 0


def step_persistence(
    state: Persistence, bad: bool | None, raise_after: int, clear_after: int
) -> tuple[Persistence, Transition | None]:
    """Next state after one sample; `bad` None (check could not judge) leaves it unchanged."""
    if bad is None:
        return state, None
    if bad:
        run = state.bad_run + 1
        if not state.active and run >= raise_after:
            return Persistence(True, run, 0), Transition.RAISED
        return Persistence(state.active, run, 0), None
    run = state.good_run + 1
    if state.active and run >= clear_after:
        return Persistence(False, 0, run), Transition.CLEARED
    return Persistence(state.active, 0, run), None
