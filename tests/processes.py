"""Running gridwatch as a user does, in real processes: a simulated league imported into
a database (a SQLite file unless a scenario brings its own), the simulator serving it,
commands in the background with their output, and what the database says about leases
and health."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from sqlalchemy import text

from bus.embedded_broker import free_port
from registry.db import make_engine

GRIDWATCH = [sys.executable, "-m", "cli.main"]
CAMERAS = 40


class Running:
    """A gridwatch command in the background, its output collected line by line."""

    def __init__(
        self, args: list[str], env: dict[str, str], *, wrapper: Sequence[str] = ()
    ) -> None:
        """`wrapper` runs the command through another (e.g. `ip netns exec NS`)."""
        self.process = subprocess.Popen(
            [*wrapper, *GRIDWATCH, *args], env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True,
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


class League(NamedTuple):
    env: dict[str, str]  # the environment a user's gridwatch commands run with
    database: Path | str  # the SQLite file, or the URL of a PostgreSQL database
    simulator_url: str


def league_env(tmp_path: Path, mqtt_url: str) -> dict[str, str]:
    """The environment of a user's gridwatch commands: this test's data folder, broker,
    topic prefix and worker id, and nothing of the caller's own GRIDWATCH_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDWATCH_")}
    return env | {
        "GRIDWATCH_DATA_DIR": str(tmp_path / "data"),
        "GRIDWATCH_MQTT_URL": mqtt_url,
        "GRIDWATCH_TOPIC_PREFIX": f"t{uuid.uuid4().hex[:10]}",
        "GRIDWATCH_WORKER_ID": f"w{uuid.uuid4().hex[:10]}",
        "GRIDWATCH_PROBE_INTERVAL_S": "2",
    }


@contextmanager
def serve_league(
    tmp_path: Path,
    env: dict[str, str],
    *,
    cameras: int = CAMERAS,
    host: str = "127.0.0.1",
    faults: Path | None = None,
) -> Iterator[str]:
    """A league of `cameras` cameras imported into env's database (a PostgreSQL one is
    migrated first) and served by the simulator on `host`; yields the simulator's URL."""
    port = free_port()
    url = f"http://{host}:{port}"
    inventory = tmp_path / "inventory"
    if env.get("GRIDWATCH_DATABASE_URL", "").startswith("postgresql"):
        run(["db", "upgrade"], env)
    run(["simulate", "inventory", "--cameras", str(cameras), "--out", str(inventory),
         "--base-url", url], env)  # fmt: skip
    for kind in ("districts", "departments", "cameras"):
        run(["import", kind, str(inventory / f"{kind}.csv")], env)
    serve = ["simulate", "serve", "--inventory", str(inventory), "--host", host,
             "--port", str(port)]  # fmt: skip
    simulator = Running([*serve, *(["--faults", str(faults)] if faults else [])], env)
    simulator.wait_for(lambda: "ready" in simulator.output, "simulator ready line")
    try:
        yield url
    finally:
        simulator.stop()


@pytest.fixture
def league(tmp_path: Path, mqtt_url: str) -> Iterator[League]:
    """A league of CAMERAS cameras imported into a SQLite file and served by the simulator."""
    env = league_env(tmp_path, mqtt_url)
    with serve_league(tmp_path, env) as simulator_url:
        yield League(env, tmp_path / "data" / "gridwatch.sqlite", simulator_url)


def run_status(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GRIDWATCH, *args], env=env, capture_output=True, text=True, timeout=60)


def workers_report(env: dict[str, str]) -> dict[str, Any]:
    done = run_status(["workers", "--json"], env)
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def query(database: Path | str, sql: str) -> list[tuple[object, ...]]:
    """Rows of `sql` on a SQLite file or a database URL."""
    if isinstance(database, str):
        engine = make_engine(database)
        try:
            with engine.connect() as connection:
                return [tuple(row) for row in connection.execute(text(sql))]
        finally:
            engine.dispose()
    with sqlite3.connect(database, timeout=10) as connection:
        return connection.execute(sql).fetchall()


def lease_holders(database: Path | str) -> dict[str, int]:
    rows = query(
        database,
        "SELECT worker_id, count(*) FROM probe_leases WHERE worker_id IS NOT NULL "
        "AND worker_id != '' GROUP BY worker_id",
    )
    return {str(worker): int(count) for worker, count in rows}  # type: ignore[call-overload]


def healthy_cameras(database: Path | str) -> int:
    return int(query(database, "SELECT count(*) FROM camera_health WHERE status = 'online'")[0][0])  # type: ignore[call-overload]
