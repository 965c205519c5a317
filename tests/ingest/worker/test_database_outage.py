"""The worker survives a database outage: it probes on while its leases are valid, then
stops (another worker may take them), and resumes when the database answers again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from ingest.analysis.health_config import HealthConfig
from ingest.fleet.leases import LeaseConfig, LeaseManager
from ingest.publishing.publisher import Publisher, PublisherOptions
from ingest.publishing.spool import Spool
from ingest.sources.http_client import HttpClient
from ingest.worker.assembly import checker_factory
from ingest.worker.loop import IngestRuntime, RuntimeConfig
from registry.db import SessionFactory
from registry.importer import import_cameras, import_districts
from registry.records import read_records
from tests.registry.factories import DISTRICTS, camera, write_csv


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_leases_lapse_without_the_database_and_come_back(
    db: SessionFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_districts(db, read_records(write_csv(tmp_path / "d.csv", DISTRICTS), "districts"))
    cams = [camera(f"cam-{n}") for n in range(20)]
    import_cameras(db, read_records(write_csv(tmp_path / "c.csv", cams), "cameras"))
    clock = Clock()
    leases = LeaseManager(db, "w1", clock, LeaseConfig(shards=8, ttl_s=30, safety_margin_s=5))
    publisher = Publisher(
        "mqtt://127.0.0.1:1", Spool(tmp_path / "s.sqlite"), PublisherOptions("w1")
    )
    real_renew = leases.renew

    def database_away(*_: object) -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    async def scenario() -> list[int]:
        http = HttpClient()
        runtime = IngestRuntime(
            RuntimeConfig(), db, publisher, leases, checker_factory(HealthConfig()),
            http=http, wall_clock=clock,
        )  # fmt: skip
        seen = []
        await runtime.refresh_registry()
        await runtime.renew_leases()
        seen.append(len(runtime.schedule))
        monkeypatch.setattr(leases, "renew", database_away)
        monkeypatch.setattr("ingest.worker.loop.load_targets", lambda _f: database_away())
        clock.now += timedelta(seconds=10)  # leases still valid: keep probing
        await runtime.refresh_registry()
        await runtime.renew_leases()
        seen.append(len(runtime.schedule))
        clock.now += timedelta(seconds=20)  # past valid_until (30 s - 5 s margin)
        await runtime.renew_leases()
        seen.append(len(runtime.schedule))
        monkeypatch.setattr(leases, "renew", real_renew)
        await runtime.renew_leases()  # the database is back
        seen.append(len(runtime.schedule))
        await http.aclose()
        return seen

    assert asyncio.run(scenario()) == [20, 20, 0, 20]
