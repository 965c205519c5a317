"""A camera's reachability, as a pure function of its probe outcomes.

A camera goes offline only after K failures in a row (short blips must not page
anyone) and comes back online on the first good probe. While offline it is probed
with exponential back-off, never slower than a ceiling, so recovery is still seen.
Active analysis faults turn an online camera `degraded`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bus.vocabulary import CameraStatus


class Change(StrEnum):
    """What a probe outcome changed, for the publisher to turn into events."""

    WENT_OFFLINE = "went_offline"
    CAME_ONLINE = "came_online"
    FIRST_FAILURE = "first_failure"
    FIRST_INTERNAL_ERROR = "first_internal_error"


@dataclass(frozen=True, slots=True)
class ProbePolicy:
    interval_s: float = 60.0
    offline_after: int = 3
    backoff_max_s: float = 300.0

    def __post_init__(self) -> None:
        if self.interval_s <= 0 or self.offline_after < 1 or self.backoff_max_s < self.interval_s:
            raise ValueError("need interval_s > 0, offline_after >= 1, backoff_max_s >= interval_s")


@dataclass(frozen=True, slots=True)
class ProbeState:
    status: CameraStatus = CameraStatus.UNKNOWN
    status_since: datetime | None = None
    consecutive_failures: int = 0
    last_failure: str | None = None
    last_good_at: datetime | None = None
    faults: frozenset[str] = frozenset()
    internal_errors: int = 0  # gridwatch's own failures in a row; never about the camera


def _moved(state: ProbeState, status: CameraStatus, now: datetime) -> ProbeState:
    if status is state.status:
        return state
    return replace(state, status=status, status_since=now)


def after_success(
    state: ProbeState, now: datetime, faults: frozenset[str]
) -> tuple[ProbeState, tuple[Change, ...]]:
    status = CameraStatus.DEGRADED if faults else CameraStatus.ONLINE
    changes = (Change.CAME_ONLINE,) if state.status is CameraStatus.OFFLINE else ()
    new = replace(state, consecutive_failures=0, last_good_at=now, faults=faults, internal_errors=0)
    return _moved(new, status, now), changes


def after_failure(
    state: ProbeState, now: datetime, failure: str, policy: ProbePolicy
) -> tuple[ProbeState, tuple[Change, ...]]:
    failures = state.consecutive_failures + 1
    new = replace(state, consecutive_failures=failures, last_failure=failure, internal_errors=0)
    changes: list[Change] = []
    if failures == 1:
        changes.append(Change.FIRST_FAILURE)
    if failures >= policy.offline_after and state.status is not CameraStatus.OFFLINE:
        changes.append(Change.WENT_OFFLINE)
        new = _moved(new, CameraStatus.OFFLINE, now)
    return new, tuple(changes)


def note_internal_error(state: ProbeState) -> tuple[ProbeState, tuple[Change, ...]]:
    """gridwatch failed on this camera (a bug, a broken analysis process, a full spool).

    The camera's status and failure count stay as they were: an internal error says
    nothing about the camera, so it must neither take it offline nor bring it back.
    """
    new = replace(state, internal_errors=state.internal_errors + 1)
    return new, (Change.FIRST_INTERNAL_ERROR,) if state.internal_errors == 0 else ()


def next_delay(state: ProbeState, policy: ProbePolicy) -> float:
    """Seconds until the camera's next probe."""
    if state.status is not CameraStatus.OFFLINE:
        return policy.interval_s
    beyond = state.consecutive_failures - policy.offline_after
    return float(min(policy.interval_s * 2 ** max(beyond, 0), policy.backoff_max_s))
