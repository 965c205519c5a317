"""Signals from a camera's retained status: what its latest state says should be open.

Used after the consumer's own restart and whenever a `seq` gap is found, so a lost
event can never leave an alert firing or missing for good. Each signal carries the
status message's `ts`, so the pipeline's event-time order still holds: a status
older than what an event already told us changes nothing. Clears are emitted only for
alerts that are open (43,000 healthy cameras need no 9 × 43,000 clears).
"""

from __future__ import annotations

from collections.abc import Container

from alerts.domain import Kind, Scope, Signal, fingerprint
from alerts.topology import Topology
from bus.status import StatusMessage
from bus.vocabulary import CameraStatus, FaultCode, ProbeFailure

_CODES = tuple(str(code) for code in FaultCode)


def status_signals(
    status: StatusMessage, topology: Topology, open_fingerprints: Container[str]
) -> list[Signal]:
    info = topology.camera(status.camera_id)
    district = info.district_code if info is not None else topology.root
    camera = status.camera_id

    def signal(kind: Kind, firing: bool, code: str | None = None) -> Signal | None:
        fp = fingerprint(kind, Scope.CAMERA, camera, code)
        if not firing and fp not in open_fingerprints:
            return None
        return Signal(fp, kind, Scope.CAMERA, camera, firing, status.ts, district, camera, code)

    state = status.state
    reachability = state.get("status")
    faults = state.get("faults")
    active = set(faults) if isinstance(faults, dict) else set()
    wanted: list[Signal | None] = []
    if reachability == CameraStatus.OFFLINE:
        auth = state.get("last_failure") == ProbeFailure.AUTH
        wanted.append(signal(Kind.AUTH if auth else Kind.OFFLINE, True))
        wanted.append(signal(Kind.OFFLINE if auth else Kind.AUTH, False))
    elif reachability in (CameraStatus.ONLINE, CameraStatus.DEGRADED):
        wanted.append(signal(Kind.OFFLINE, False))
        wanted.append(signal(Kind.AUTH, False))
        for code in _CODES:
            wanted.append(signal(Kind.FAULT, code in active, code))
    return [s for s in wanted if s is not None]
