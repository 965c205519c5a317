"""Alerts made the way production makes them: decoded events through `AlertService.process`
on the registry's topology, in the test's virtual time."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select

from alerts.cases.opening import open_case_manually
from alerts.cases.seam import AlertSnapshot
from alerts.cases.seam import AlertStatus as SnapshotStatus
from alerts.cases.workflow import Workflow
from alerts.engine import Engine
from alerts.models import AlertRow
from alerts.policy import Policy
from alerts.service import AlertService
from alerts.topology import load_topology
from registry.db import SessionFactory
from tests.alerts.helpers import Producer
from tests.api.conftest import CAMERAS, FakeClock


class Alerts:
    def __init__(self, db: SessionFactory, clock: FakeClock) -> None:
        with db() as session:
            topology = load_topology(session, 3)
        policy = Policy(hold_s=0, group_hold_s=0)
        self.db, self.clock = db, clock
        self.service = AlertService(db, lambda: Engine(policy, topology), clock)
        self.service.load()
        self.producer = Producer(district_of=dict(CAMERAS))

    def fault(
        self, camera_id: str, code: str, at: datetime | None = None, evidence: str | None = None
    ) -> AlertRow:
        """A picture fault on `camera_id` (one alert per camera and code)."""
        ts = at or self.clock()
        event = self.producer.event(
            "health.fault", camera_id, ts, code=code, value=1.0, threshold=2.0
        )
        self.service.process([replace(event, evidence=evidence)])
        return self.row(f"{camera_id}", code)

    def offline(self, camera_id: str) -> AlertRow:
        self.service.process([self.producer.offline(camera_id, self.clock())])
        return self.row(camera_id, None)

    def row(self, camera_id: str, code: str | None) -> AlertRow:
        with self.db() as session:
            statement = select(AlertRow).where(
                AlertRow.camera_id == camera_id, AlertRow.status != "resolved"
            )
            if code is not None:
                statement = statement.where(AlertRow.code == code)
            else:
                statement = statement.where(AlertRow.kind == "offline")
            return session.scalars(statement).one()


def open_case(
    db: SessionFactory,
    workflow: Workflow,
    alert: AlertRow,
    now: datetime,
    *,
    category: str = "other",
    actor: str = "operator-a",
) -> int:
    """A case opened by hand from a real alert, through the case workflow's own function."""
    snapshot = AlertSnapshot(
        alert_id=alert.id,
        fingerprint=alert.fingerprint,
        kind="health.fault" if alert.kind == "fault" else f"camera.{alert.kind}",
        priority="P3",
        status=SnapshotStatus.FIRING,
        fired_since=alert.started_at,
        district_code=alert.district_code,
        camera_id=alert.camera_id,
        camera_use="public_security",
    )
    outcome = open_case_manually(
        db, workflow, snapshot, actor=actor, reason="seen on the wall", now=now, category=category
    )
    assert outcome.case_id is not None
    return outcome.case_id
