"""Reliability, scenario 2: the broker is stopped for 30 s while `gridwatch ingest` probes
a simulated league whose cameras go down and come back, and `gridwatch alerts` consumes.
The worker spools to disk and replays; the consumer's persistent session survives the
broker's restart (Mosquitto saves it on SIGTERM). Nothing is lost: every `seq` the
worker numbered is stored once, and each camera's alert and status end where its last
event says.

Real processes over the simulator league (tests/processes.py), a private Mosquitto with
the project's broker recipe on a free port (the shared one is not disturbed)."""

from __future__ import annotations

import json
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from ingest.publishing.publisher import Publisher, PublisherOptions
from ingest.publishing.spool import Spool
from tests.processes import CAMERAS, League, Running, healthy_cameras, query
from tests.reliability.conftest import RecipeMosquitto, Report

pytestmark = pytest.mark.slow
OUTAGE_S = 30.0
WORKER = "outage-w1"


def _control(simulator_url: str, method: str, body: Any = None) -> dict[str, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - our own simulator, on loopback
        f"{simulator_url}/control/faults", data=data, method=method,
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - same
        document: dict[str, Any] = json.load(answer)
    return document


def test_a_broker_outage_loses_nothing_and_every_camera_ends_where_its_last_event_says(
    league: League, recipe_broker: RecipeMosquitto, report: Report
) -> None:
    env, database, simulator_url = league
    env = env | {
        "GRIDWATCH_MQTT_URL": recipe_broker.url,
        "GRIDWATCH_WORKER_ID": WORKER,
        "GRIDWATCH_WORKER_PROCESSES": "1",
        "GRIDWATCH_PROBE_BACKOFF_MAX_S": env["GRIDWATCH_PROBE_INTERVAL_S"],
        "GRIDWATCH_ALERTS_CONSUMER_ID": f"c-{env['GRIDWATCH_TOPIC_PREFIX']}",
    }
    cameras = [str(row[0]) for row in query(database, "SELECT id FROM cameras ORDER BY id")]
    down_and_back, down_for_good, down_after = cameras[0:8], cameras[8:16], cameras[16:24]
    began = time.monotonic()
    marks: dict[str, float] = {}
    alerts = Running(["alerts"], env)
    ingest: Running | None = None
    try:
        alerts.wait_for(lambda: "consuming" in alerts.output, "the consumer subscribed")
        ingest = Running(["ingest"], env)
        ingest.wait_for(lambda: healthy_cameras(database) == CAMERAS, "every camera online")
        marks["cameras online"] = time.monotonic() - began
        t0 = float(_control(simulator_url, "GET")["elapsed_s"])
        rules = (
            [{"kind": "offline", "camera": c, "start": t0, "end": t0 + 14} for c in down_and_back]
            + [{"kind": "offline", "camera": c, "start": t0 + 8} for c in down_for_good]
            + [{"kind": "offline", "camera": c, "start": t0 + 26, "end": t0 + 40}
               for c in down_after]
        )  # fmt: skip
        _control(simulator_url, "POST", {"faults": rules})
        time.sleep(3.0)  # the first failures are published live
        recipe_broker.stop()  # SIGTERM: Mosquitto saves sessions and queued messages
        stopped_at = time.time()
        time.sleep(OUTAGE_S)
        recipe_broker.start()
        restarted_at = time.time()

        def settled() -> bool:
            rows = query(database, "SELECT camera_id, status FROM camera_health")
            offline = {str(camera) for camera, status in rows if status == "offline"}
            return offline == set(down_for_good) and len(rows) == CAMERAS

        # The last fault ends 40 s after t0; the worker reports its cameras back.
        ingest.wait_for(settled, "cameras settled after the faults", 60)
        marks["settled"] = time.monotonic() - began
        assert ingest.stop() == 0, ingest.output
        assert "spooling until it is back" in ingest.output
        # What the worker had not handed over by its stop, a restarted worker would send.
        with Spool(f"{env['GRIDWATCH_DATA_DIR']}/spool-{WORKER}.sqlite") as spool:
            left = spool.pending
            last_seq = spool.counters().last_seq
            options = PublisherOptions(WORKER, env["GRIDWATCH_TOPIC_PREFIX"])
            with Publisher(recipe_broker.url, spool, options) as publisher:
                assert publisher.flush(30), "the spool did not drain"

        def stored_seqs() -> list[int]:
            rows = query(database, f"SELECT seq FROM alert_events WHERE worker_id = '{WORKER}'")
            return [int(row[0]) for row in rows]  # type: ignore[call-overload]

        alerts.wait_for(lambda: len(stored_seqs()) >= last_seq, f"{last_seq} events stored", 60)
        marks["stored"] = time.monotonic() - began
        time.sleep(1.0)  # anything more (a duplicate row cannot be) would show now
        assert alerts.stop() == 0, alerts.output
        seqs = stored_seqs()
        events = query(database, f"SELECT seq, type, camera_id, ts FROM alert_events "
                                 f"WHERE worker_id = '{WORKER}' ORDER BY seq")  # fmt: skip
        open_alerts = {str(row[0]) for row in query(database,
                       "SELECT camera_id FROM alerts WHERE kind = 'offline' AND scope = 'camera' "
                       "AND status != 'resolved'")}  # fmt: skip
        health = dict(query(database, "SELECT camera_id, status FROM camera_health"))
        letters = query(database, "SELECT reason, count(*) FROM alert_dead_letters GROUP BY reason")
    finally:
        if ingest is not None:
            ingest.stop()
        alerts.stop()
    in_outage = sum(1 for row in events if stopped_at <= _epoch(row[3]) <= restarted_at)
    kinds = Counter(str(row[1]) for row in events)
    last: dict[str, str] = {}
    for _, kind, camera, _ in events:
        if kind in ("camera.offline", "camera.online"):
            last[str(camera)] = str(kind)
    report(
        f"worker numbered {last_seq} events ({left} still spooled at its stop, sent by a "
        f"fresh publisher); stored {len(seqs)} rows, {len(set(seqs))} distinct seqs, "
        f"missing {sorted(set(range(1, last_seq + 1)) - set(seqs))[:10]}; {in_outage} "
        f"stamped while the broker was down {OUTAGE_S:g} s; by type {dict(kinds)}; "
        f"dead letters {letters}; open offline alerts {len(open_alerts)}, offline cameras "
        f"{sum(1 for s in health.values() if s == 'offline')}; seconds since the start: "
        + ", ".join(f"{name} {at:.1f}" for name, at in marks.items())
    )
    assert sorted(seqs) == list(range(1, last_seq + 1))
    assert in_outage > 0, "no event was produced during the outage"
    assert letters == []
    for camera in cameras:
        offline = last.get(camera) == "camera.offline"
        assert offline == (camera in down_for_good), (camera, last.get(camera))
        assert (camera in open_alerts) == offline, camera
        assert (health[camera] == "offline") == offline, (camera, health[camera])


def _epoch(value: object) -> float:
    """A time column as SQLite gives it back (naive UTC text), in seconds since the epoch."""
    parsed = datetime.fromisoformat(str(value))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
