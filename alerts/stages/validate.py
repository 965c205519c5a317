"""Stage 1, validate: what a message says, as signals, or `Rejected` with a reason.

What becomes an alert: `camera.offline` (never a lone `probe.failed`), each
`health.fault` code, wrong credentials as their own kind (`auth`), a worker's last
will, and `motion.start` on a camera armed at that moment.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from alerts.arming import Arming
from alerts.domain import Kind, Scope, Signal, fingerprint
from alerts.topology import Topology
from bus.events import Event, EventType
from bus.messages import PresenceMessage
from bus.status import WorkerPresence
from bus.vocabulary import FaultCode, ProbeFailure

_FAULT_CODES = frozenset(str(code) for code in FaultCode)


class Rejected(ValueError):
    """A well-formed event whose data the alert service cannot use (dead-lettered)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def camera_signal(event: Event, kind: Kind, firing: bool, code: str | None = None) -> Signal:
    return Signal(
        fingerprint=fingerprint(kind, Scope.CAMERA, event.camera_id, code),
        kind=kind,
        scope=Scope.CAMERA,
        subject=event.camera_id,
        firing=firing,
        ts=event.ts,
        district_code=event.district_code,
        camera_id=event.camera_id,
        code=code,
        event_id=event.event_id,
        detail=event.data,
    )


def _code(event: Event, known: frozenset[str] | None = None) -> str:
    code = event.data.get("code")
    if not isinstance(code, str) or not code:
        raise Rejected("bad_data", f"{event.type} without a `code` in its data")
    if known is not None and code not in known:
        raise Rejected("unknown_code", f"{event.type} code {code[:40]!r} is not in the contract")
    return code


def ahead_of_clock(ts: datetime, now: datetime, max_skew: timedelta) -> bool:
    """Is `ts` further ahead of our clock than a sound producer clock can be?"""
    return ts - now > max_skew


def check_clock(event: Event, now: datetime, max_skew: timedelta) -> None:
    """State only moves forward in event time, so one event stamped years ahead (a
    worker's clock gone wrong) would pin its alert until the real clock caught up; it is
    refused instead. A late event is fine: it is history and never moves state back."""
    if ahead_of_clock(event.ts, now, max_skew):
        ahead_s = (event.ts - now).total_seconds()
        raise Rejected(
            "clock_skew",
            f"ts {event.ts.isoformat()} is {ahead_s:,.0f} s ahead of this consumer's clock "
            f"(alerts_max_clock_skew_s {max_skew.total_seconds():g})",
        )


def signals_for(event: Event, topology: Topology, arming: Arming) -> tuple[Signal, ...]:
    kind = event.type
    if kind is EventType.CAMERA_OFFLINE:
        code = _code(event)
        offline = Kind.AUTH if code == ProbeFailure.AUTH else Kind.OFFLINE
        return (camera_signal(event, offline, True),)
    if kind is EventType.CAMERA_ONLINE:
        return (camera_signal(event, Kind.OFFLINE, False), camera_signal(event, Kind.AUTH, False))
    if kind is EventType.HEALTH_FAULT:
        return (camera_signal(event, Kind.FAULT, True, _code(event, _FAULT_CODES)),)
    if kind is EventType.HEALTH_RECOVERED:
        return (camera_signal(event, Kind.FAULT, False, _code(event, _FAULT_CODES)),)
    if kind is EventType.MOTION_START:
        info = topology.camera(event.camera_id)
        tags = info.tags if info is not None else frozenset()
        if arming.armed(event.camera_id, tags, event.ts):
            return (camera_signal(event, Kind.INTRUSION, True),)
        return ()
    if kind is EventType.MOTION_END:
        return (camera_signal(event, Kind.INTRUSION, False),)
    return ()  # probe.failed: recorded, never an alert on its own


def presence_signal(message: PresenceMessage, district_code: str, now: datetime) -> Signal:
    """A worker's presence has no timestamp of its own: it happened when we hear of it."""
    return Signal(
        fingerprint=fingerprint(Kind.WORKER_OFFLINE, Scope.WORKER, message.worker_id),
        kind=Kind.WORKER_OFFLINE,
        scope=Scope.WORKER,
        subject=message.worker_id,
        firing=message.presence is WorkerPresence.OFFLINE,
        ts=now,
        district_code=district_code,
    )
