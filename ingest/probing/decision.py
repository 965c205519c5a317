"""What one probe means: a pure function from its result to new state, events and a record.

The runtime does the I/O (fetch, publish, write); this module decides. A probe either
yields a sample (then the analysis verdict says which faults were raised or cleared)
or fails with a classified `ProbeError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bus.events import EventType
from bus.vocabulary import CameraStatus, ProbeFailure
from ingest.analysis.health_codes import FaultVerdict, HealthVerdict
from ingest.probing.state import (
    Change,
    ProbePolicy,
    ProbeState,
    after_failure,
    after_success,
    note_internal_error,
)
from ingest.publishing.publisher import EventDraft
from ingest.sources.failures import ProbeError
from ingest.stores.health import HealthRecord


@dataclass(frozen=True, slots=True)
class Target:
    camera_id: str
    district_code: str


@dataclass(frozen=True, slots=True)
class ProbeOutcome:
    state: ProbeState
    drafts: tuple[EventDraft, ...]
    record: HealthRecord | None  # None: the probe says nothing about the camera's health
    status: dict[str, Any] | None  # the retained status message, when it changed


def _reading(fault: FaultVerdict) -> dict[str, Any]:
    return {"code": str(fault.code), "value": round(float(fault.value), 4),
            "threshold": round(float(fault.threshold), 4)}  # fmt: skip


def _status_message(state: ProbeState, details: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": state.status.value,
        "since": state.status_since.isoformat() if state.status_since else None,
        "faults": details,
        "last_failure": state.last_failure,
        "consecutive_failures": state.consecutive_failures,
    }


def _changed(before: ProbeState, after: ProbeState) -> bool:
    return before.status is not after.status or before.faults != after.faults


def after_sample(
    target: Target, before: ProbeState, now: datetime, verdict: HealthVerdict, evidence: str | None
) -> ProbeOutcome:
    active = {str(f.code): _reading(f) for f in verdict.active}
    state, changes = after_success(before, now, frozenset(active))
    drafts: list[EventDraft] = []
    if Change.CAME_ONLINE in changes:
        drafts.append(
            _draft(
                EventType.CAMERA_ONLINE,
                target,
                now,
                {"was_offline_since": _iso(before.status_since)},
            )
        )
    for fault in verdict.raised:
        drafts.append(_draft(EventType.HEALTH_FAULT, target, now, _reading(fault), evidence))
    for fault in verdict.cleared:
        drafts.append(_draft(EventType.HEALTH_RECOVERED, target, now, {"code": str(fault.code)}))
    status = (
        _status_message(state, active)
        if _changed(before, state) or before.status is CameraStatus.UNKNOWN
        else None
    )
    return ProbeOutcome(
        state, tuple(drafts), HealthRecord(target.camera_id, now, state, active), status
    )


def after_probe_error(
    target: Target, before: ProbeState, now: datetime, error: ProbeError, policy: ProbePolicy
) -> ProbeOutcome:
    state, changes = after_failure(before, now, str(error.code), policy)
    drafts: list[EventDraft] = []
    if Change.FIRST_FAILURE in changes:
        drafts.append(
            _draft(
                EventType.PROBE_FAILED,
                target,
                now,
                {"code": str(error.code), "detail": error.detail[:300]},
            )
        )
    if Change.WENT_OFFLINE in changes:
        data = {"code": str(error.code), "consecutive_failures": state.consecutive_failures,
                "last_good_at": _iso(state.last_good_at)}  # fmt: skip
        drafts.append(_draft(EventType.CAMERA_OFFLINE, target, now, data))
    details = {code: {"code": code} for code in state.faults}
    status = _status_message(state, details) if _changed(before, state) else None
    return ProbeOutcome(
        state, tuple(drafts), HealthRecord(target.camera_id, now, state, details), status
    )


def after_internal_error(
    target: Target, before: ProbeState, now: datetime, detail: str
) -> ProbeOutcome:
    """gridwatch failed while sampling or judging: one `probe.failed` with code `internal`
    at the start of a run of such errors, and no change to the camera's status or history."""
    state, changes = note_internal_error(before)
    drafts: tuple[EventDraft, ...] = ()
    if Change.FIRST_INTERNAL_ERROR in changes:
        data = {"code": str(ProbeFailure.INTERNAL), "detail": detail[:300]}
        drafts = (_draft(EventType.PROBE_FAILED, target, now, data),)
    return ProbeOutcome(state, drafts, None, None)


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def _draft(
    kind: EventType,
    target: Target,
    now: datetime,
    data: dict[str, Any],
    evidence: str | None = None,
) -> EventDraft:
    return EventDraft(kind, target.camera_id, target.district_code, data, evidence, now)
