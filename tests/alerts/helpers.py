"""Builders for alert tests: events at virtual times, a small topology, a virtual clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.topology import Topology, build_topology
from bus.event_ids import make_event_id
from bus.events import Event, EventType

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Beijing, a Monday


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@dataclass
class Producer:
    """One ingest worker's events, numbered like the real one (seq +1 per event)."""

    worker_id: str = "w1"
    seq: int = 0
    district_of: dict[str, str] = field(
        default_factory=lambda: {
            c.camera_id: c.district_code for c in small_topology().cameras.values()
        }
    )

    def event(self, kind: str, camera_id: str, ts: datetime, **data: Any) -> Event:
        self.seq += 1
        return Event(
            event_id=make_event_id(ts, self.worker_id, self.seq),
            type=EventType(kind),
            camera_id=camera_id,
            district_code=self.district_of.get(camera_id, "150402001001"),
            ts=ts,
            worker_id=self.worker_id,
            seq=self.seq,
            data=data,
        )

    def offline(self, camera_id: str, ts: datetime, code: str = "timeout") -> Event:
        return self.event(
            "camera.offline", camera_id, ts, code=code, consecutive_failures=3, last_good_at=None
        )

    def online(self, camera_id: str, ts: datetime) -> Event:
        return self.event("camera.online", camera_id, ts, was_offline_since=None)


DISTRICTS = [
    ("150400", "赤峰市", "150400/"),
    ("150402", "红山区", "150400/150402/"),
    ("150402001", "桥北镇", "150400/150402/150402001/"),
    ("150402002", "文钟镇", "150400/150402/150402002/"),
    ("150402001001", "东升嘎查", "150400/150402/150402001/150402001001/"),
    ("150402002001", "前进村", "150400/150402/150402002/150402002001/"),
]


def small_topology(per_uplink: int = 10, uplinks: int = 4) -> Topology:
    """Two townships; uplinks NVR-0, NVR-1 in 桥北镇 (village 001001), the rest in 文钟镇."""
    cameras = []
    for u in range(uplinks):
        district = "150402001001" if u < uplinks // 2 else "150402002001"
        for i in range(per_uplink):
            cameras.append((f"C{u:02d}{i:03d}", district, f"NVR-{u}", "public_security", ["gate"]))
    return build_topology(cameras, DISTRICTS, group_level=3)
