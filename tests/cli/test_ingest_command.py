"""`gridwatch ingest --processes N` as a user runs it: real processes, simulator, broker, SQLite."""

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bus.embedded_broker import free_port
from ingest.worker.supervisor import worker_ids

GRIDWATCH = [sys.executable, "-m", "cli.main"]
CAMERAS = 40


class Running:
    """A gridwatch command in the background, its output collected line by line."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [*GRIDWATCH, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True,
        )  # fmt: skip
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(
        self,
        condition: Callable[[], bool],
        what: str,
        timeout_s: float = 60,
        *,
        dead_ok: bool = False,
    ) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if self.process.poll() is not None and not dead_ok:
                pytest.fail(f"exited ({self.process.returncode}) before {what}:\n{self.output}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} after {timeout_s} s:\n{self.output[-4000:]}")
            time.sleep(0.2)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(60)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self._reader.join(5)


def run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run([*GRIDWATCH, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def league(tmp_path: Path, mqtt_url: str) -> Iterator[tuple[dict[str, str], Path]]:
    """A league of CAMERAS cameras imported into a SQLite file and served by the simulator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDWATCH_")}
    env |= {
        "GRIDWATCH_DATA_DIR": str(tmp_path / "data"),
        "GRIDWATCH_MQTT_URL": mqtt_url,
        "GRIDWATCH_TOPIC_PREFIX": f"t{uuid.uuid4().hex[:10]}",
        "GRIDWATCH_WORKER_ID": f"w{uuid.uuid4().hex[:10]}",
        "GRIDWATCH_PROBE_INTERVAL_S": "2",
    }
    port = free_port()
    inventory = tmp_path / "inventory"
    run(["simulate", "inventory", "--cameras", str(CAMERAS), "--out", str(inventory),
         "--base-url", f"http://127.0.0.1:{port}"], env)  # fmt: skip
    for kind in ("districts", "departments", "cameras"):
        run(["import", kind, str(inventory / f"{kind}.csv")], env)
    simulator = Running(["simulate", "--inventory", str(inventory), "--port", str(port)], env)
    simulator.wait_for(lambda: "ready" in simulator.output, "simulator ready line")
    try:
        yield env, tmp_path / "data" / "gridwatch.sqlite"
    finally:
        simulator.stop()


def _run_status(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GRIDWATCH, *args], env=env, capture_output=True, text=True, timeout=60)


def _workers_report(env: dict[str, str]) -> dict[str, Any]:
    done = _run_status(["workers", "--json"], env)
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def _query(database: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(database, timeout=10) as connection:
        return connection.execute(sql).fetchall()


def _lease_holders(database: Path) -> dict[str, int]:
    rows = _query(
        database,
        "SELECT worker_id, count(*) FROM probe_leases WHERE worker_id IS NOT NULL "
        "AND worker_id != '' GROUP BY worker_id",
    )
    return {str(worker): int(count) for worker, count in rows}  # type: ignore[call-overload]


def _healthy_cameras(database: Path) -> int:
    return int(_query(database, "SELECT count(*) FROM camera_health WHERE status = 'online'")[0][0])  # type: ignore[call-overload]


def _two_workers_holding_leases(env: dict[str, str], database: Path) -> Running:
    base = env["GRIDWATCH_WORKER_ID"]
    ingest = Running(["ingest", "--processes", "2"], env)
    try:
        ingest.wait_for(
            lambda: (
                database.exists() and set(_lease_holders(database)) == {f"{base}-0", f"{base}-1"}
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
    league: tuple[dict[str, str], Path],
) -> None:
    env, database = league
    base = env["GRIDWATCH_WORKER_ID"]
    ingest = _two_workers_holding_leases(env, database)
    try:
        ingest.wait_for(lambda: _healthy_cameras(database) == CAMERAS, "every camera online")
        shares = _lease_holders(database)
        assert sum(shares.values()) == 256
        assert all(share == 128 for share in shares.values()), shares  # fair share

        # What a maintainer sees: both workers live, every shard and camera held.
        ingest.wait_for(
            lambda: all(w["probes_per_s"] > 0 for w in _workers_report(env)["workers"]),
            "heartbeats with load",
        )
        report = _workers_report(env)
        assert report["shards_held"] == 256
        assert report["enabled_cameras"] == report["cameras_held"] == CAMERAS
        assert sum(w["cameras"] for w in report["workers"]) == CAMERAS
        assert {w["worker_id"]: w["state"] for w in report["workers"]} == {
            f"{base}-0": "ok", f"{base}-1": "ok",
        }  # fmt: skip
        assert _run_status(["workers", "--check"], env).returncode == 0

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
    assert _lease_holders(database) == {}, "a stopped worker releases its leases"
    unheld = _run_status(["workers", "--check"], env)
    assert unheld.returncode == 1
    assert "256 shards held by no live worker" in unheld.stderr


def test_a_worker_that_cannot_run_stops_them_all_with_a_clear_error(
    league: tuple[dict[str, str], Path],
) -> None:
    env, _database = league
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
    league: tuple[dict[str, str], Path],
) -> None:
    env, database = league
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
    assert _lease_holders(database) == {}, "orphaned workers release their leases as they stop"


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
