"""Probe leases: several ingest workers share the fleet through the database.

The fleet is cut into a fixed number of shards (a camera's shard is a hash of its
id). A worker holds a shard while its lease is unexpired and probes only cameras of
the shards it holds. Each `renew()` is one transaction: heartbeat, renew what it
holds, give back what exceeds its fair share (so a joining worker gets some), and
claim free or expired shards up to that share (so a leaving worker's shards are
taken over once its leases expire). Claims are conditional updates, so two workers
can never hold the same shard: the database decides.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from config.clock import WallClock
from ingest.stores.tables import IngestWorker, ProbeLease
from registry.db import SessionFactory, transaction
from registry.upsert import insert_ignore, upsert

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def shard_of(camera_id: str, shards: int) -> int:
    """Stable across processes and machines (unlike `hash()`, which is salted)."""
    return zlib.crc32(camera_id.encode()) % shards


@dataclass(frozen=True, slots=True)
class LeaseConfig:
    shards: int = 256
    ttl_s: float = 30.0
    # A worker stops probing this long before its leases run out, to absorb clock skew.
    safety_margin_s: float = 5.0
    worker_timeout_s: float = 30.0


def lease_config(ttl_s: float) -> LeaseConfig:
    """Leases of `ttl_s`: a worker is lost after one TTL without a heartbeat and stops
    probing a sixth of it (at most 5 s) before its leases run out."""
    return LeaseConfig(ttl_s=ttl_s, safety_margin_s=min(5.0, ttl_s / 6), worker_timeout_s=ttl_s)


@dataclass(frozen=True, slots=True)
class WorkerLoad:
    """What a worker reports with its heartbeat, over the time since the previous one."""

    probes_per_s: float = 0.0
    p99_lateness_s: float = 0.0
    internal_errors: int = 0  # gridwatch's own failures on cameras, since the last heartbeat
    spool_paused: bool = False  # probing paused: the event spool is full


@dataclass(frozen=True, slots=True)
class Leases:
    shards: frozenset[int]
    valid_until: datetime
    live_workers: int

    def holds(self, camera_id: str, shard_count: int, now: datetime) -> bool:
        return now < self.valid_until and shard_of(camera_id, shard_count) in self.shards


class LeaseManager:
    def __init__(
        self,
        factory: SessionFactory,
        worker_id: str,
        clock: WallClock,
        config: LeaseConfig | None = None,
    ) -> None:
        self.factory = factory
        self.worker_id = worker_id
        self.clock = clock
        self.config = config or LeaseConfig()
        self._seeded = False

    def _seed(self, session: Session) -> None:
        rows = [
            {"shard": shard, "worker_id": None, "expires_at": EPOCH}
            for shard in range(self.config.shards)
        ]
        insert_ignore(session, ProbeLease, rows, ["shard"])
        self._seeded = True

    def renew(self, load: WorkerLoad | None = None) -> Leases:
        now = self.clock()
        load = load or WorkerLoad()
        cfg = self.config
        expires = now + timedelta(seconds=cfg.ttl_s)
        with transaction(self.factory) as session:
            if not self._seeded:
                self._seed(session)
            upsert(
                session,
                IngestWorker,
                [
                    {
                        "worker_id": self.worker_id,
                        "started_at": now,
                        "last_seen": now,
                        "probes_per_s": load.probes_per_s,
                        "p99_lateness_s": load.p99_lateness_s,
                        "internal_errors": load.internal_errors,
                        "spool_paused": load.spool_paused,
                    }
                ],
                ["worker_id"],
                ["last_seen", "probes_per_s", "p99_lateness_s", "internal_errors", "spool_paused"],
            )
            cutoff = now - timedelta(seconds=cfg.worker_timeout_s)
            live = int(
                session.scalar(
                    select(func.count())
                    .select_from(IngestWorker)
                    .where(IngestWorker.last_seen >= cutoff)
                )
                or 1
            )
            fair = math.ceil(cfg.shards / max(live, 1))
            session.execute(
                update(ProbeLease)
                .where(ProbeLease.worker_id == self.worker_id)
                .values(expires_at=expires)
                .execution_options(synchronize_session=False)
            )
            held = sorted(
                session.scalars(
                    select(ProbeLease.shard).where(ProbeLease.worker_id == self.worker_id)
                )
            )
            if len(held) > fair:
                self._release(session, held[fair:], now)
                held = held[:fair]
            elif len(held) < fair:
                held = sorted([*held, *self._claim(session, fair - len(held), now, expires)])
        return Leases(
            shards=frozenset(held),
            valid_until=expires - timedelta(seconds=cfg.safety_margin_s),
            live_workers=live,
        )

    def _release(self, session: Session, shards: list[int], now: datetime) -> None:
        session.execute(
            update(ProbeLease)
            .where(ProbeLease.shard.in_(shards), ProbeLease.worker_id == self.worker_id)
            .values(worker_id=None, expires_at=now)
            .execution_options(synchronize_session=False)
        )

    def _claim(self, session: Session, wanted: int, now: datetime, expires: datetime) -> list[int]:
        free = or_(ProbeLease.worker_id.is_(None), ProbeLease.expires_at < now)
        candidates = list(
            session.scalars(
                select(ProbeLease.shard).where(free).order_by(ProbeLease.shard).limit(wanted)
            )
        )
        if not candidates:
            return []
        session.execute(
            update(ProbeLease)
            .where(ProbeLease.shard.in_(candidates), free)
            .values(worker_id=self.worker_id, expires_at=expires)
            .execution_options(synchronize_session=False)
        )
        return list(
            session.scalars(
                select(ProbeLease.shard).where(
                    ProbeLease.shard.in_(candidates), ProbeLease.worker_id == self.worker_id
                )
            )
        )

    def release_all(self) -> None:
        """Give every shard back at once, so the others take over without waiting for expiry."""
        now = self.clock()
        with transaction(self.factory) as session:
            session.execute(
                update(ProbeLease)
                .where(ProbeLease.worker_id == self.worker_id)
                .values(worker_id=None, expires_at=now)
                .execution_options(synchronize_session=False)
            )
            session.execute(delete(IngestWorker).where(IngestWorker.worker_id == self.worker_id))
