"""Reliability, scenario 7: events stamped by clocks gone wrong, far in the future and far
in the past, published on the real broker to the real alert consumer (`start_alerts`,
as `gridwatch alerts` runs it) on a virtual clock, on SQLite and PostgreSQL.

The rule (docs/alerts.md, "Clock skew"): state moves only forward in event time, so an
event (or retained status) stamped more than `alerts_max_clock_skew_s` ahead of the
consumer's clock is dead-lettered as `clock_skew` and changes nothing; a late event is
stored as history and never moves an alert's state backwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from alerts.app import Running, start_alerts
from alerts.domain import Kind, Scope, fingerprint
from alerts.models import AlertEvent, AlertRow, DeadLetterRow
from bus.events import Event, encode
from registry.db import SessionFactory
from tests.alerts.helpers import Clock, Producer, small_topology
from tests.alerts.hub import build_registry, settings, workflow
from tests.alerts.test_consumer import Publisher
from tests.bus.mqtt_helpers import wait_until
from tests.reliability.conftest import Report

pytestmark = pytest.mark.slow
SKEW_S = 60.0
CAMERA = "C00000"
OFFLINE = fingerprint(Kind.OFFLINE, Scope.CAMERA, CAMERA)


class Consumer:
    """The alert service on a virtual clock, and a QoS 1 publisher on the same broker."""

    def __init__(self, db: SessionFactory, mqtt_url: str) -> None:
        self.db = db
        self.prefix = f"gws{uuid.uuid4().hex[:10]}"
        config = settings(topic_prefix=self.prefix, alerts_consumer_id=self.prefix,
                          alerts_hold_s=0, alerts_case_tick_s=3600,
                          alerts_max_clock_skew_s=SKEW_S)  # fmt: skip
        self.clock = Clock()
        self.producer = Producer(
            district_of={c.camera_id: c.district_code for c in small_topology().cameras.values()}
        )
        self.publisher = Publisher(mqtt_url)
        flow = workflow()
        self.running: Running = start_alerts(config, db, mqtt_url, self.clock, lambda: flow)
        self.sent: list[Event] = []

    def count(self, model: type) -> int:
        with self.db() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)

    def send(self, event: Event) -> None:
        """Publish one event and wait until it is stored or dead-lettered."""
        before = self.count(AlertEvent) + self.count(DeadLetterRow)
        self.publisher.send(event.topic(self.prefix), encode(event))
        self.sent.append(event)
        wait_until(
            lambda: self.count(AlertEvent) + self.count(DeadLetterRow) == before + 1,
            30,
            f"{event.type} at {event.ts.isoformat()} stored or dead-lettered",
        )

    def offline_alert(self) -> tuple[str, datetime] | None:
        """The latest occurrence of the camera's offline alert: status and last_ts."""
        with self.db() as session:
            row = session.scalars(
                select(AlertRow)
                .where(AlertRow.fingerprint == OFFLINE)
                .order_by(AlertRow.started_at.desc())
            ).first()
        if row is None:
            return None
        # pending until the next tick shows it (hold 0): open all the same
        return ("resolved" if row.status == "resolved" else "open"), row.last_ts.replace(tzinfo=UTC)

    def close(self) -> None:
        self.running.stop()
        self.publisher.close()


@pytest.fixture
def consumer(db: SessionFactory, mqtt_url: str) -> Iterator[Consumer]:
    running = Consumer(build_registry(db), mqtt_url)
    yield running
    running.close()


def test_far_future_is_dead_lettered_far_past_is_history_and_state_never_goes_back(
    consumer: Consumer, report: Report
) -> None:
    p, now = consumer.producer, consumer.clock
    states: list[tuple[str, tuple[str, datetime] | None]] = []

    def step(what: str, event: Event) -> None:
        consumer.send(event)
        states.append((what, consumer.offline_alert()))

    step("offline now", p.offline(CAMERA, now()))
    # A worker whose clock jumped ten years ahead: its clear must not resolve the alert,
    # and its offline must not hold the camera down until 2036.
    step("online +10 years", p.online(CAMERA, now() + timedelta(days=3650)))
    now.advance(30)
    step("online now", p.online(CAMERA, now()))
    step("offline +10 years", p.offline(CAMERA, now() + timedelta(days=3650)))
    # Late: stored as history, the resolved alert stays resolved.
    step("offline 1990", p.offline(CAMERA, datetime(1990, 1, 1, tzinfo=UTC)))
    step("offline 1 day late", p.offline(CAMERA, now() - timedelta(days=1)))
    # Within the allowed skew a fast clock is believed; the real clock then catches up.
    now.advance(30)
    step(f"offline +{SKEW_S - 10:g} s", p.offline(CAMERA, now() + timedelta(seconds=SKEW_S - 10)))
    step("online now (older than that)", p.online(CAMERA, now()))
    now.advance(SKEW_S)
    step("online now, clock caught up", p.online(CAMERA, now()))

    with consumer.db() as session:
        letters = session.scalars(select(DeadLetterRow.reason)).all()
        stored = set(session.scalars(select(AlertEvent.event_id)))
    lines = [f"{what}: {'stored' if event.event_id in stored else 'dead letter'} → "
             f"{state[0] if state else 'no alert'}"
             for (what, state), event in zip(states, consumer.sent, strict=True)]  # fmt: skip
    report(f"{consumer.db.kw['bind'].dialect.name}: sent {len(consumer.sent)}, stored "
           f"{len(stored)}, dead letters {len(letters)} ({', '.join(sorted(set(letters)))}); "
           + "; ".join(lines))  # fmt: skip

    assert letters == ["clock_skew", "clock_skew"]
    assert [state[0] if state else None for _, state in states] == [
        "open", "open", "resolved", "resolved", "resolved", "resolved", "open", "open", "resolved",
    ]  # fmt: skip
    # last_ts, the newest event time applied, never went backwards and never past the
    # consumer's clock plus the allowed skew.
    applied = [state[1] for _, state in states if state is not None]
    assert applied == sorted(applied)
    assert max(applied) <= now() + timedelta(seconds=SKEW_S)
