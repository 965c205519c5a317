"""Reliability, scenario 1: a `gridwatch alerts` process is killed with SIGKILL while
20,000 events flow, then started again. Every `event_id` is stored exactly once.

Real parts: the `gridwatch alerts` command in its own process, a private Mosquitto with
the project's broker recipe (the shared CI broker keeps Mosquitto's default of 1,000
queued messages per client, which drops what a consumer misses while it is down; see
docs/deployment.md), a paho QoS 1 publisher, and the store on SQLite and PostgreSQL.
The consumer's persistent session (clean_session false, fixed client id) makes the
broker queue while it is dead; it acknowledges only after its commit, so what it had
in hand when killed is delivered again and dropped by the primary key."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, func, select

from alerts.models import AlertEvent, DeadLetterRow
from bus.event_ids import make_event_id
from bus.events import Event, EventType, encode
from bus.mqtt_url import parse_mqtt_url
from registry.db import make_engine, make_session_factory
from registry.importer import import_cameras, import_districts
from registry.migrate import upgrade
from registry.records import read_records
from registry.scratch import scratch_database_url
from tests.processes import Running
from tests.registry.factories import DISTRICTS, camera, write_csv
from tests.reliability.conftest import RecipeMosquitto, Report

pytestmark = pytest.mark.slow
EVENTS = 20_000
KILL_AFTER = 5_000  # stored before the kill
RATE = 800.0  # events/s published: the stream lasts 25 s
CAMERAS = 50
WORKER = "rel-w1"
BACKENDS = ["sqlite", "postgresql"] if os.environ.get("GRIDWATCH_TEST_DATABASE_URL") else ["sqlite"]
_CYCLE = (
    (EventType.CAMERA_OFFLINE, {"code": "timeout", "consecutive_failures": 3,
                                "last_good_at": None}),
    (EventType.CAMERA_ONLINE, {"was_offline_since": None}),
    (EventType.PROBE_FAILED, {"code": "timeout", "detail": "no answer"}),
    (EventType.HEALTH_FAULT, {"code": "FROZEN", "value": 0.1, "threshold": 0.5}),
    (EventType.HEALTH_RECOVERED, {"code": "FROZEN"}),
)  # fmt: skip


def _camera_id(n: int) -> str:
    return f"REL{n:04d}"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database of the backend, with CAMERAS cameras imported."""
    server = (
        os.environ.get("GRIDWATCH_TEST_DATABASE_URL") if request.param == "postgresql" else None
    )
    with scratch_database_url(server, tmp_path, "gridwatch_rel") as url:
        engine = make_engine(url)
        upgrade(engine)
        factory = make_session_factory(engine)
        rows = [camera(_camera_id(n), uplink=f"NVR-{n // 10}") for n in range(CAMERAS)]
        import_districts(
            factory, read_records(write_csv(tmp_path / "d.csv", DISTRICTS), "districts")
        )
        import_cameras(factory, read_records(write_csv(tmp_path / "c.csv", rows), "cameras"))
        engine.dispose()
        yield url


def events(start: datetime) -> list[Event]:
    """One worker's EVENTS events, seq 1.., a millisecond apart: each camera in turn goes
    offline, online, fails a probe, freezes, recovers."""
    made = []
    for n in range(EVENTS):
        kind, data = _CYCLE[(n // CAMERAS) % len(_CYCLE)]
        ts = start + timedelta(milliseconds=n)
        made.append(Event(make_event_id(ts, WORKER, n + 1), kind, _camera_id(n % CAMERAS),
                          "150402001001", ts, WORKER, n + 1, dict(data)))  # fmt: skip
    return made


class QosOnePublisher:
    """Publishes in a thread at QoS 1, RATE messages/s; counts the PUBACKs."""

    def __init__(self, url: str, messages: list[tuple[str, bytes]]) -> None:
        endpoint = parse_mqtt_url(url)
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.on_publish = self._on_publish
        self.client.connect(endpoint.host, endpoint.port)
        self.client.loop_start()
        self.acked = 0
        self._lock = threading.Lock()
        self._messages = messages
        self.thread = threading.Thread(target=self._send, daemon=True)

    def _on_publish(
        self, client: mqtt.Client, u: object, mid: int, reason: object, p: object
    ) -> None:
        with self._lock:
            self.acked += 1

    def _send(self) -> None:
        infos = []
        started = time.monotonic()
        for n, (topic, body) in enumerate(self._messages):
            if n % 100 == 0:  # paced, so the stream is still flowing when the kill comes
                time.sleep(max(0.0, started + n / RATE - time.monotonic()))
            infos.append(self.client.publish(topic, body, qos=1))
        for info in infos:
            info.wait_for_publish(120)

    def start(self) -> QosOnePublisher:
        self.thread.start()
        return self

    def close(self) -> None:
        self.thread.join(120)
        self.client.disconnect()
        self.client.loop_stop()


def _count(engine: Engine, model: type) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(model)) or 0)


def test_a_killed_consumer_restarted_stores_every_event_exactly_once(
    database_url: str, recipe_broker: RecipeMosquitto, tmp_path: Path, report: Report
) -> None:
    prefix = f"rel{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDWATCH_")}
    env |= {"GRIDWATCH_DATA_DIR": str(tmp_path / "data"), "GRIDWATCH_DATABASE_URL": database_url,
            "GRIDWATCH_MQTT_URL": recipe_broker.url, "GRIDWATCH_TOPIC_PREFIX": prefix,
            "GRIDWATCH_ALERTS_CONSUMER_ID": prefix}  # fmt: skip
    sent = events(datetime.now(UTC) - timedelta(seconds=60))
    engine = make_engine(database_url)
    first = Running(["alerts"], env)
    second: Running | None = None
    publisher: QosOnePublisher | None = None
    started = time.monotonic()
    try:
        # Subscribed (its session exists) before the first event is published.
        first.wait_for(lambda: "consuming" in first.output, "the consumer subscribed")
        publisher = QosOnePublisher(recipe_broker.url, [(e.topic(prefix), encode(e)) for e in sent])
        publisher.start()
        first.wait_for(lambda: _count(engine, AlertEvent) >= KILL_AFTER, f"{KILL_AFTER} stored")
        os.killpg(first.process.pid, signal.SIGKILL)
        first.process.wait(10)
        at_kill = _count(engine, AlertEvent)
        acked_at_kill = publisher.acked
        second = Running(["alerts"], env)
        second.wait_for(lambda: _count(engine, AlertEvent) >= EVENTS, f"{EVENTS} stored", 80)
        publisher.close()
        # The store stops growing at EVENTS: nothing more arrives (no duplicate row can).
        time.sleep(1.0)
        assert second.stop() == 0, second.output
        took_s = time.monotonic() - started
        with engine.connect() as connection:
            stored = list(connection.scalars(select(AlertEvent.event_id)))
        letters = _count(engine, DeadLetterRow)
    finally:
        if publisher is not None:
            publisher.close()
        if first.process.poll() is None:
            first.stop()
        if second is not None:
            second.stop()
        engine.dispose()
    stopped = next(line for line in second.lines if line.startswith("stopped:")).strip()
    wanted = {e.event_id for e in sent}
    report(
        f"{engine.dialect.name}: sent {len(sent):,} (PUBACKs {publisher.acked:,}; "
        f"{acked_at_kill:,} when the consumer was killed with {at_kill:,} stored); "
        f"stored {len(stored):,} rows, {len(set(stored)):,} distinct, "
        f"lost {len(wanted - set(stored))}, unknown {len(set(stored) - wanted)}, "
        f"dead letters {letters}; restarted consumer: {stopped}; {took_s:.1f} s"
    )
    assert publisher.acked == EVENTS
    assert acked_at_kill < EVENTS, "the kill came after the stream ended"
    assert len(stored) == EVENTS
    assert set(stored) == wanted
    assert letters == 0
