"""Camera health in the database: the latest state per camera and daily probe counts.

The runtime hands over one `HealthRecord` per probe; `flush()` writes the latest per
camera and the day's counts in one transaction (two bulk upserts), so 50,000 cameras
a minute cost a few statements a second, not one commit per probe.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bus.vocabulary import CameraStatus
from ingest.probing.state import ProbeState
from ingest.stores.tables import CameraHealth, CameraHealthDaily
from registry.changefeed import Announcement, ChangeKind, record_changes
from registry.db import SessionFactory, transaction
from registry.models import Camera, District
from registry.tree import path_range
from registry.upsert import upsert

_STATE_COLUMNS = (
    "status",
    "faults",
    "status_since",
    "last_probe_at",
    "last_good_at",
    "last_failure",
    "consecutive_failures",
    "worker_id",
)


@dataclass(frozen=True, slots=True)
class HealthRecord:
    camera_id: str
    probed_at: datetime
    state: ProbeState
    fault_details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class HealthBatch:
    latest: dict[str, HealthRecord]
    counts: Counter[tuple[str, date, str]]


def _status_moves(session: Session, latest: dict[str, HealthRecord]) -> list[Announcement]:
    """Cameras whose status or set of faults differs from what is stored: what the
    console's live pages are pushed (one query per batch, not per camera)."""
    stored = {
        camera_id: (district, status, faults)
        for camera_id, district, status, faults in session.execute(
            select(Camera.id, Camera.district_code, CameraHealth.status, CameraHealth.faults)
            .outerjoin(CameraHealth, CameraHealth.camera_id == Camera.id)
            .where(Camera.id.in_(latest))
        ).tuples()
    }
    moves = []
    for camera_id, record in latest.items():
        if camera_id not in stored:
            continue
        district, status, faults = stored[camera_id]
        now_faults = sorted(record.fault_details)
        if (status, sorted(faults or {})) != (record.state.status.value, now_faults):
            payload = {"status": record.state.status.value, "faults": now_faults}
            moves.append(Announcement(ChangeKind.CAMERA, district, camera_id, payload))
    return moves


class HealthWriter:
    def __init__(self, factory: SessionFactory, worker_id: str) -> None:
        self.factory = factory
        self.worker_id = worker_id
        self._latest: dict[str, HealthRecord] = {}
        self._counts: Counter[tuple[str, date, str]] = Counter()

    def add(self, record: HealthRecord) -> None:
        previous = self._latest.get(record.camera_id)
        if previous is None or previous.probed_at <= record.probed_at:
            self._latest[record.camera_id] = record
        day = record.probed_at.date()
        self._counts[(record.camera_id, day, "probes")] += 1
        if record.state.status in (CameraStatus.ONLINE, CameraStatus.DEGRADED):
            self._counts[(record.camera_id, day, "online")] += 1
        if record.state.faults:
            self._counts[(record.camera_id, day, "faulty")] += 1

    @property
    def pending(self) -> int:
        return len(self._latest)

    def take(self) -> HealthBatch | None:
        """Hand over what was added so far and start a new batch (call on the adding thread)."""
        if not self._latest:
            return None
        batch = HealthBatch(self._latest, self._counts)
        self._latest, self._counts = {}, Counter()
        return batch

    def put_back(self, batch: HealthBatch) -> None:
        """A batch that could not be written: merge it into the next one, newest state wins."""
        for record in batch.latest.values():
            current = self._latest.get(record.camera_id)
            if current is None or current.probed_at < record.probed_at:
                self._latest[record.camera_id] = record
        self._counts.update(batch.counts)

    def write(self, batch: HealthBatch) -> int:
        """Write one batch in one transaction; safe to run in another thread."""
        state_rows = [self._state_row(record) for record in batch.latest.values()]
        daily: dict[tuple[str, date], dict[str, Any]] = {}
        for (camera_id, day, kind), n in batch.counts.items():
            row = daily.setdefault(
                (camera_id, day),
                {"camera_id": camera_id, "day": day, "probes": 0, "online": 0, "faulty": 0},
            )
            row[kind] += n
        with transaction(self.factory) as session:
            moved = _status_moves(session, batch.latest)
            upsert(session, CameraHealth, state_rows, ["camera_id"], _STATE_COLUMNS)
            if moved:
                latest = max(record.probed_at for record in batch.latest.values())
                record_changes(session, moved, latest)
            upsert(
                session,
                CameraHealthDaily,
                list(daily.values()),
                ["camera_id", "day"],
                (),
                add=("probes", "online", "faulty"),
            )
        return len(state_rows)

    def flush(self) -> int:
        """Write what was added since the last flush; keep it for the next try if this fails."""
        batch = self.take()
        if batch is None:
            return 0
        try:
            return self.write(batch)
        except Exception:
            self.put_back(batch)
            raise

    def _state_row(self, record: HealthRecord) -> dict[str, Any]:
        state = record.state
        return {
            "camera_id": record.camera_id,
            "status": state.status.value,
            "faults": record.fault_details,
            "status_since": state.status_since or record.probed_at,
            "last_probe_at": record.probed_at,
            "last_good_at": state.last_good_at,
            "last_failure": state.last_failure,
            "consecutive_failures": state.consecutive_failures,
            "worker_id": self.worker_id,
        }


@dataclass(frozen=True, slots=True)
class OnlineRate:
    day: date
    probes: int
    online: int

    @property
    def rate(self) -> float:
        return self.online / self.probes if self.probes else 0.0


def online_rate_by_day(
    factory: SessionFactory, district_path: str, days: Iterable[date] | None = None
) -> list[OnlineRate]:
    """Share of probes that found the camera reachable, per day, for a district subtree."""
    low, high = path_range(district_path)
    stmt = (
        select(
            CameraHealthDaily.day,
            func.sum(CameraHealthDaily.probes),
            func.sum(CameraHealthDaily.online),
        )
        .join(Camera, Camera.id == CameraHealthDaily.camera_id)
        .join(District, District.code == Camera.district_code)
        .where(District.path >= low, District.path < high)
        .group_by(CameraHealthDaily.day)
        .order_by(CameraHealthDaily.day)
    )
    if days is not None:
        stmt = stmt.where(CameraHealthDaily.day.in_(list(days)))
    with factory() as session:
        return [OnlineRate(day, int(p or 0), int(o or 0)) for day, p, o in session.execute(stmt)]
