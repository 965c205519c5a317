"""Who is probing: each worker's heartbeat, shards and load, and the fleet they cover.

Read by `gridwatch workers` (and, later, the maintainers' console): is every enabled
camera held by a live worker, and is each worker keeping up with its share?
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ingest.fleet.leases import LeaseConfig, shard_of
from ingest.stores.tables import IngestWorker, ProbeLease
from registry.db import SessionFactory
from registry.models import Camera


@dataclass(frozen=True, slots=True)
class WorkerRow:
    worker_id: str
    started_at: datetime
    last_seen: datetime
    live: bool  # heartbeat within the lease config's worker timeout
    shards: int  # unexpired leases it holds
    cameras: int  # enabled cameras in those shards
    probes_per_s: float
    p99_lateness_s: float
    internal_errors: int
    spool_paused: bool


@dataclass(frozen=True, slots=True)
class FleetReport:
    workers: list[WorkerRow]
    enabled_cameras: int
    shards: int
    shards_held: int  # by live workers, unexpired

    @property
    def cameras_held(self) -> int:
        return sum(w.cameras for w in self.workers if w.live)


def fleet_report(
    factory: SessionFactory, now: datetime, config: LeaseConfig | None = None
) -> FleetReport:
    cfg = config or LeaseConfig()
    cutoff = now - timedelta(seconds=cfg.worker_timeout_s)
    with factory() as session:
        enabled = list(session.scalars(select(Camera.id).where(Camera.enabled)))
        owners = (
            session.execute(
                select(ProbeLease.shard, ProbeLease.worker_id).where(
                    ProbeLease.worker_id.is_not(None), ProbeLease.expires_at > now
                )
            )
            .tuples()
            .all()
        )
        heartbeats = list(session.scalars(select(IngestWorker).order_by(IngestWorker.worker_id)))
    per_shard = Counter(shard_of(camera, cfg.shards) for camera in enabled)
    held, cameras_of = Counter[str](), Counter[str]()
    for shard, owner in owners:
        held[str(owner)] += 1
        cameras_of[str(owner)] += per_shard.get(shard, 0)
    workers = [
        WorkerRow(
            worker_id=w.worker_id,
            started_at=w.started_at,
            last_seen=w.last_seen,
            live=w.last_seen >= cutoff,
            shards=held.get(w.worker_id, 0),
            cameras=cameras_of.get(w.worker_id, 0),
            probes_per_s=w.probes_per_s,
            p99_lateness_s=w.p99_lateness_s,
            internal_errors=w.internal_errors,
            spool_paused=w.spool_paused,
        )
        for w in heartbeats
    ]
    live = {w.worker_id for w in workers if w.live}
    return FleetReport(
        workers=workers,
        enabled_cameras=len(enabled),
        shards=cfg.shards,
        shards_held=sum(n for worker, n in held.items() if worker in live),
    )
