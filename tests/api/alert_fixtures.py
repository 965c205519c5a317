"""Alerts made the way production makes them: decoded events through `AlertService.process`
on the registry's topology, in the test's virtual time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

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

    def fault(self, camera_id: str, code: str, at: datetime | None = None) -> AlertRow:
        """A picture fault on `camera_id` (one alert per camera and code)."""
        ts = at or self.clock()
        event = self.producer.event(
            "health.fault", camera_id, ts, code=code, value=1.0, threshold=2.0
        )
        self.service.process([event])
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
