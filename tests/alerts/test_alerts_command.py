"""`gridwatch alerts` as a process: it migrates its SQLite file, consumes, stores, and
stops cleanly on SIGTERM with what it did."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy import func, select

from alerts.models import AlertEvent, AlertRow
from bus.events import encode
from registry.db import make_engine, make_session_factory
from tests.alerts.helpers import Producer, at
from tests.alerts.test_consumer import Publisher
from tests.bus.mqtt_helpers import wait_until


def test_alerts_command_consumes_until_sigterm(tmp_path: Path, mqtt_url: str) -> None:
    prefix = f"gwc{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "GRIDWATCH_DATA_DIR": str(tmp_path), "GRIDWATCH_MQTT_URL": mqtt_url,
           "GRIDWATCH_TOPIC_PREFIX": prefix, "GRIDWATCH_ALERTS_CONSUMER_ID": prefix,
           "GRIDWATCH_ALERTS_HOLD_S": "0"}  # fmt: skip
    env.pop("GRIDWATCH_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "alerts"], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    factory = make_session_factory(make_engine(f"sqlite:///{tmp_path / 'gridwatch.sqlite'}"))

    def count(model: type) -> int:
        try:
            with factory() as session:
                return int(session.scalar(select(func.count()).select_from(model)) or 0)
        except Exception:  # not migrated yet
            return -1

    publisher = Publisher(mqtt_url)
    try:
        wait_until(lambda: count(AlertRow) == 0, 60, "the migrated database")
        event = Producer().offline("C00000", at(0))

        def stored_after_sending() -> bool:  # the same event again until it is subscribed
            publisher.send(event.topic(prefix), encode(event))
            return count(AlertEvent) == 1

        wait_until(stored_after_sending, 30, "the event stored")
        assert count(AlertEvent) == 1  # sent many times, stored once
        assert count(AlertRow) == 1
    finally:
        publisher.close()
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "stopped: " in out
