"""Counters of what the simulator served, for `GET /control/stats` and benchmarks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    """How a camera request ended when no HTTP status was sent."""

    RESET = "reset"
    CLOSED = "closed"
    HANG = "hang"


MAX_PROBER_CHANGES = 16


@dataclass(slots=True)
class ProberLog:
    """Per camera, each time a different worker started probing it (bounded): who probes
    what, so a test can prove that no camera is probed by two workers at once."""

    changes: dict[str, list[tuple[float, str]]] = field(default_factory=dict)

    def note(self, camera_id: str, worker: str | None, at: float) -> None:
        if worker is None:
            return
        seen = self.changes.setdefault(camera_id, [])
        if (not seen or seen[-1][1] != worker) and len(seen) < MAX_PROBER_CHANGES:
            seen.append((round(at, 3), worker))

    def to_json(self) -> dict[str, list[tuple[float, str]]]:
        return self.changes


@dataclass(slots=True)
class ServeStats:
    requests: int = 0
    bytes_sent: int = 0
    control_requests: int = 0
    mjpeg_open: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)

    def record(self, kind: str, outcome: int | Outcome, body_bytes: int = 0) -> None:
        self.requests += 1
        self.bytes_sent += body_bytes
        self.by_kind[kind] += 1
        self.by_status[str(outcome)] += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "by_status": dict(sorted(self.by_status.items())),
            "by_kind": dict(sorted(self.by_kind.items())),
            "bytes_sent": self.bytes_sent,
            "control_requests": self.control_requests,
            "mjpeg_open": self.mjpeg_open,
        }
