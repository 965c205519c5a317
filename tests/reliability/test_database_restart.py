"""Reliability, scenario 4: PostgreSQL stops for OUTAGE_S and starts again while
`gridwatch ingest` and `gridwatch alerts` run against it and events flow.

Neither process crashes; ingest keeps probing every camera (its leases outlast the
outage) and writes health again once the database is back; the alert service's backlog
drains and every event ingest published is stored exactly once. "Every event" is
counted by the worker's `seq` (+1 per event): the broker saw 1..N without a hole, and
`alert_events` holds each of those (worker, seq) pairs once.

Real processes, a private PostgreSQL cluster (the machine's shared one is never
restarted), the test broker, the simulator with cameras that flap so events keep coming."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.bus.mqtt_helpers import Recorder
from tests.processes import CAMERAS, Running, league_env, query, serve_league
from tests.reliability.flow import (
    camera_ids,
    flap,
    probed_since,
    sent_events,
    stored_events,
)
from tests.reliability.private_postgres import PrivatePostgres, private_postgres

pytestmark = pytest.mark.slow
OUTAGE_S = 10.0
FLAPPING = 12


def test_a_database_restart_loses_no_event_and_stops_no_process(
    tmp_path: Path, mqtt_url: str
) -> None:
    with private_postgres() as postgres:
        env = league_env(tmp_path, mqtt_url) | {
            "GRIDWATCH_DATABASE_URL": postgres.url(),
            "GRIDWATCH_WORKER_PROCESSES": "1",
            "GRIDWATCH_OFFLINE_AFTER_FAILURES": "1",
            "GRIDWATCH_PROBE_BACKOFF_MAX_S": "2",
            "GRIDWATCH_ALERTS_CONSUMER_ID": f"a{uuid.uuid4().hex[:10]}",
        }
        with serve_league(tmp_path, env) as simulator_url:
            flap(simulator_url, camera_ids(tmp_path / "inventory")[:FLAPPING], for_s=120)
            prefix = env["GRIDWATCH_TOPIC_PREFIX"]
            with Recorder(mqtt_url, f"{prefix}/v1/events/#") as recorder:
                _restart_under_load(postgres, env, recorder)


def _restart_under_load(postgres: PrivatePostgres, env: dict[str, str], recorder: Recorder) -> None:
    database = postgres.url()
    began = time.monotonic()
    alerts = Running(["alerts"], env)
    try:
        alerts.wait_for(lambda: "consuming" in alerts.output, "alert service consuming")
    except BaseException:
        alerts.stop()
        raise
    # Only now: events published before the alert service's first subscription go to nobody.
    ingest = Running(["ingest"], env)
    try:
        started = datetime.now(UTC)
        ingest.wait_for(lambda: probed_since(database, started) == CAMERAS,
                        "every camera probed and its health written")  # fmt: skip
        ingest.wait_for(lambda: len(sent_events(recorder)) >= 10, "events flowing")
        before = len(sent_events(recorder))
        ready_s = time.monotonic() - began
        postgres.stop_server()
        stopped_at = time.monotonic()
        time.sleep(OUTAGE_S)  # the outage itself: real time for real processes
        during = len(sent_events(recorder)) - before
        postgres.start_server()
        back_at, back = datetime.now(UTC), time.monotonic()
        outage_s = back - stopped_at
        ingest.wait_for(lambda: probed_since(database, back_at) == CAMERAS,
                        "every camera probed again and its health written", 40)  # fmt: skip
        reprobed_s = time.monotonic() - back
        assert alerts.process.poll() is None, alerts.output[-4000:]
        assert ingest.process.poll() is None, ingest.output[-4000:]
        assert ingest.stop() == 0, ingest.output[-4000:]
        sent = sent_events(recorder)
        wanted = Counter((e.worker_id, e.seq) for e in sent)

        def drained() -> bool:
            return set(wanted) <= set(stored_events(database))

        try:
            alerts.wait_for(drained, "every published event stored", 60)
        except BaseException:
            missing = sorted(set(wanted) - set(stored_events(database)))
            letters = query(database, "SELECT reason, detail FROM alert_dead_letters")
            print(f"\nnot stored: {missing[:20]}; dead letters: {letters[:5]}")
            raise
        drained_s = time.monotonic() - back
        stored = stored_events(database)
        assert alerts.process.poll() is None, alerts.output[-4000:]
    finally:
        ingest.stop()
        alerts.stop()
    seqs = sorted(seq for _, seq in wanted)
    counts = Counter(stored)
    print(f"\nready in {ready_s:.1f} s; PostgreSQL down {outage_s:.1f} s; every camera probed "
          f"and written again {reprobed_s:.1f} s after it was back, everything stored after "
          f"{drained_s:.1f} s.\nevents sent {len(sent)} ({during} while it was down), distinct "
          f"(worker, seq) {len(wanted)}, seq {seqs[0]}..{seqs[-1]}; stored {len(stored)} rows, "
          f"stored twice {sum(1 for c in counts.values() if c > 1)}")  # fmt: skip
    assert during > 0, "no event was published while the database was down"
    assert len({worker for worker, _ in wanted}) == 1, wanted
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "a hole in the worker's seq"
    assert seqs[0] == 1, seqs[:5]
    assert counts == Counter(dict.fromkeys(wanted, 1)), "stored not exactly once"
