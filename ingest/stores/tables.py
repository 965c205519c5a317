"""Tables ingest owns: camera health state, its daily history, workers and probe leases.

They share the registry's declarative base so one Alembic history migrates them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from registry.models import Base


class CameraHealth(Base):
    """The latest health of each camera: one row per camera, overwritten in batches."""

    __tablename__ = "camera_health"

    camera_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16))
    faults: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status_since: Mapped[datetime]
    last_probe_at: Mapped[datetime]
    last_good_at: Mapped[datetime | None]
    last_failure: Mapped[str | None] = mapped_column(String(32))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    worker_id: Mapped[str] = mapped_column(String(128))

    __table_args__ = (Index("ix_camera_health_status", "status"),)


class CameraHealthDaily(Base):
    """Probe counts per camera and UTC day: enough for online rate per district per day."""

    __tablename__ = "camera_health_daily"

    camera_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    probes: Mapped[int] = mapped_column(Integer, default=0)
    online: Mapped[int] = mapped_column(Integer, default=0)
    faulty: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_camera_health_daily_day", "day"),)


class CameraBaseline(Base):
    """Learned per-camera analysis baseline, so a restart does not relearn from scratch."""

    __tablename__ = "camera_baselines"

    camera_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class IngestWorker(Base):
    """A live `gridwatch ingest` process; its heartbeat decides the fair share of shards."""

    __tablename__ = "ingest_workers"

    worker_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    started_at: Mapped[datetime]
    last_seen: Mapped[datetime]
    # Its load at the last heartbeat, over the time since the one before: whether it
    # keeps up (`gridwatch workers`).
    probes_per_s: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    p99_lateness_s: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    # gridwatch's own failures on cameras since the heartbeat before, and whether probing
    # is paused on a full event spool: a worker fault, not a camera fault.
    internal_errors: Mapped[int] = mapped_column(default=0, server_default="0")
    spool_paused: Mapped[bool] = mapped_column(default=False, server_default=false())


class ProbeLease(Base):
    """Who probes a shard of the fleet, until when. A camera's shard is a hash of its id."""

    __tablename__ = "probe_leases"

    shard: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    worker_id: Mapped[str | None] = mapped_column(String(128))
    expires_at: Mapped[datetime]
