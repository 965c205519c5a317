"""`gridwatch ingest --processes N` as a user runs it: real processes, simulator, broker, SQLite."""

import os
import re
import signal
import time
from pathlib import Path

import pytest

from ingest.worker.supervisor import worker_ids
from tests.processes import (
    CAMERAS,
    League,
    Running,
    healthy_cameras,
    lease_holders,
    run_status,
    workers_report,
)


def _two_workers_holding_leases(env: dict[str, str], database: Path) -> Running:
    base = env["GRIDWATCH_WORKER_ID"]
    ingest = Running(["ingest", "--processes", "2"], env)
    try:
        ingest.wait_for(
            lambda: (
                database.exists() and set(lease_holders(database)) == {f"{base}-0", f"{base}-1"}
            ),
            "both workers holding leases",
        )
    except BaseException:
        ingest.stop()
        raise
    return ingest


def test_worker_ids_are_stable_and_distinct() -> None:
    assert worker_ids("gw", 1) == ["gw"]  # a single worker keeps its spool's name
    assert worker_ids("gw", 3) == ["gw-0", "gw-1", "gw-2"]


def test_two_processes_share_the_fleet_restart_a_dead_one_and_stop_cleanly(
    league: League,
) -> None:
    env, database, _simulator = league
    base = env["GRIDWATCH_WORKER_ID"]
    ingest = _two_workers_holding_leases(env, database)
    try:
        ingest.wait_for(lambda: healthy_cameras(database) == CAMERAS, "every camera online")
        shares = lease_holders(database)
        assert sum(shares.values()) == 256
        assert all(share == 128 for share in shares.values()), shares  # fair share

        # What a maintainer sees: both workers live, every shard and camera held.
        ingest.wait_for(
            lambda: all(w["probes_per_s"] > 0 for w in workers_report(env)["workers"]),
            "heartbeats with load",
        )
        report = workers_report(env)
        assert report["shards_held"] == 256
        assert report["enabled_cameras"] == report["cameras_held"] == CAMERAS
        assert sum(w["cameras"] for w in report["workers"]) == CAMERAS
        assert {w["worker_id"]: w["state"] for w in report["workers"]} == {
            f"{base}-0": "ok", f"{base}-1": "ok",
        }  # fmt: skip
        assert run_status(["workers", "--check"], env).returncode == 0

        # A worker that dies is started again under the same id (so its spool replays).
        started = re.findall(rf"worker {base}-1 started \(pid (\d+)\)", ingest.output)
        assert len(started) == 1
        os.kill(int(started[0]), signal.SIGKILL)
        ingest.wait_for(
            lambda: len(re.findall(rf"worker {base}-1 started", ingest.output)) == 2,
            "the killed worker restarted",
        )
    finally:
        code = ingest.stop()
    assert code == 0, ingest.output
    assert f"worker {base}-0 stopped" in ingest.output
    assert f"worker {base}-1 stopped" in ingest.output
    assert lease_holders(database) == {}, "a stopped worker releases its leases"
    unheld = run_status(["workers", "--check"], env)
    assert unheld.returncode == 1
    assert "256 shards held by no live worker" in unheld.stderr


def test_a_worker_that_cannot_run_stops_them_all_with_a_clear_error(
    league: League,
) -> None:
    env, _database, _simulator = league
    base = env["GRIDWATCH_WORKER_ID"]
    # A lone worker already runs under the id the supervisor's first worker would take.
    lone = Running(["ingest", "--processes", "1"], env | {"GRIDWATCH_WORKER_ID": f"{base}-0"})
    try:
        lone.wait_for(lambda: f"worker {base}-0: probing" in lone.output, "the lone worker")
        pair = Running(["ingest", "--processes", "2"], env)
        code = pair.process.wait(60)
        pair.stop()
    finally:
        assert lone.stop() == 0, lone.output
    assert code == 2, pair.output
    assert f"is worker '{base}-0' already running here?" in pair.output


def test_workers_stop_and_release_their_leases_when_the_supervisor_is_killed(
    league: League,
) -> None:
    env, database, _simulator = league
    base = env["GRIDWATCH_WORKER_ID"]
    ingest = _two_workers_holding_leases(env, database)
    try:
        workers = [
            int(p) for p in re.findall(rf"worker {base}-\d started \(pid (\d+)\)", ingest.output)
        ]
        assert len(workers) == 2
        ingest.process.kill()  # SIGKILL: the supervisor cannot pass anything on
        ingest.wait_for(
            lambda: all(f"worker {base}-{n} stopped" in ingest.output for n in (0, 1)),
            "both orphaned workers stopped",
            timeout_s=30,
            dead_ok=True,  # their output still comes through the pipe they inherited
        )
    finally:
        ingest.stop()
    for pid in workers:
        _gone(pid)
    assert lease_holders(database) == {}, "orphaned workers release their leases as they stop"


def _gone(pid: int, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    pytest.fail(f"worker {pid} still running {timeout_s} s after its supervisor died")
