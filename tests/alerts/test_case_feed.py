"""The case feed: every case audit row reaches the cases topic, through a broker outage
and a crash of the publishing process, and one process publishes at a time."""

from __future__ import annotations

import json
import socket
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from alerts.case_feed import FEED, LEASE_S, CaseFeed
from alerts.cases.opening import open_case_manually
from alerts.cases.seam import AlertSnapshot, AlertStatus
from alerts.models import CaseFeedCursor
from alerts.notify.mqtt import MqttNotifier
from bus.mqtt_url import parse_mqtt_url
from registry.db import SessionFactory
from tests.alerts.helpers import T0, Clock
from tests.alerts.hub import build_registry, workflow
from tests.bus.mqtt_helpers import MOSQUITTO, Mosquitto, Recorder, wait_until

WORKFLOW = workflow()


def open_cases(db: SessionFactory, n: int, clock: Clock, first: int = 0) -> list[int]:
    """`n` cases opened by an operator (each: open, link_alert, accept, assign)."""
    ids = []
    for i in range(first, first + n):
        snapshot = AlertSnapshot(f"a{i}", f"offline:camera:C0000{i}", "camera.offline", "P3",
                                 AlertStatus.FIRING, T0, "150402001001", f"C0000{i}",
                                 "public_security")  # fmt: skip
        outcome = open_case_manually(db, WORKFLOW, snapshot, actor="op", reason="test",
                                     now=clock())  # fmt: skip
        assert outcome.case_id is not None
        ids.append(outcome.case_id)
    return ids


def cursor(db: SessionFactory) -> int:
    with db() as session:
        return int(
            session.scalar(select(CaseFeedCursor.last_id).where(CaseFeedCursor.name == FEED)) or 0
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.skipif(MOSQUITTO is None, reason="needs the mosquitto binary")
def test_nothing_is_lost_while_the_broker_is_away_and_the_publisher_crashes(
    db: SessionFactory, tmp_path: Path
) -> None:
    build_registry(db)
    clock = Clock()
    prefix = f"gwf{uuid.uuid4().hex[:8]}"
    broker = Mosquitto(free_port(), tmp_path).start()
    endpoint = parse_mqtt_url(broker.url)
    subscriber = Recorder(broker.url, f"{prefix}/v1/cases/#", f"sub-{prefix}", clean=False)
    first = MqttNotifier(endpoint, f"notify-{prefix}", prefix, "3.1.1").start()
    try:
        feed = CaseFeed(db, first.publish, prefix, "alerts-1", clock)
        feed.flush()  # makes the cursor: nothing yet
        open_cases(db, 2, clock)
        assert feed.flush() == 6  # open, accept, assign per case (links are not published)
        wait_until(lambda: feed.pending() == 0, 10, "acknowledged")
        feed.flush()
        published_to = cursor(db)
        assert published_to > 0
        wait_until(lambda: len(subscriber.received()) == 6, 10, "six events")

        broker.stop()
        open_cases(db, 2, clock, first=2)  # an operator keeps working meanwhile
        feed.flush()  # handed to the client; the broker cannot acknowledge
        assert feed.pending() == 6
        assert cursor(db) == published_to  # the cursor waits for acknowledgements
        first.stop()  # the process dies with its six unacknowledged messages

        second = MqttNotifier(endpoint, f"notify2-{prefix}", prefix, "3.1.1").start()
        try:
            after_crash = CaseFeed(db, second.publish, prefix, "alerts-1", clock)
            assert after_crash.flush() == 6  # the same rows again, from the database
            broker.start()
            wait_until(lambda: after_crash.pending() == 0, 30, "acknowledged after the outage")
            after_crash.flush()
            assert cursor(db) > published_to
            wait_until(lambda: len(subscriber.received()) >= 12, 30, "every event")
        finally:
            second.stop()
        ids = [json.loads(m.payload)["event_id"] for m in subscriber.received()]
        assert len(set(ids)) == 12
        assert ids == sorted(ids)  # in the order they were written
    finally:
        subscriber.close()
        broker.stop()


class Acknowledged:
    def is_published(self) -> bool:
        return True


def test_one_process_publishes_at_a_time_and_another_takes_over(db: SessionFactory) -> None:
    build_registry(db)
    clock = Clock()
    sent: dict[str, list[str]] = {"a": [], "b": []}

    def publisher(name: str):  # type: ignore[no-untyped-def]
        def publish(topic: str, body: bytes) -> Acknowledged:
            sent[name].append(json.loads(body)["action"])
            return Acknowledged()

        return publish

    a = CaseFeed(db, publisher("a"), "gw", "alerts-a", clock)
    b = CaseFeed(db, publisher("b"), "gw", "alerts-b", clock)
    a.flush()
    open_cases(db, 1, clock)
    assert (a.flush(), b.flush()) == (3, 0)  # b waits: a holds the lease
    a.flush()  # the acknowledgements move the cursor
    open_cases(db, 1, clock, first=1)
    clock.advance(timedelta(seconds=LEASE_S + 1).total_seconds())  # a is gone
    assert b.flush() == 3  # only what a had not published
    assert a.flush() == 0  # a is back, the lease is b's now
    assert (sent["a"], sent["b"]) == (["open", "accept", "assign"], ["open", "accept", "assign"])
