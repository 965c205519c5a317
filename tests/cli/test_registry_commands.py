"""The registry commands as a user runs them: real processes, a real SQLite file."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

GRIDWATCH = [sys.executable, "-m", "cli.main"]


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GRIDWATCH, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GRIDWATCH_")}
    environment["GRIDWATCH_DATA_DIR"] = str(tmp_path / "data")
    return environment


def test_simulated_league_imports_exports_and_reimports(
    tmp_path: Path, env: dict[str, str]
) -> None:
    inventory = tmp_path / "inventory"
    made = run(["simulate", "inventory", "--cameras", "2000", "--out", str(inventory)], env)
    assert made.returncode == 0, made.stderr
    for kind in ("districts", "departments", "cameras"):
        result = run(["import", kind, str(inventory / f"{kind}.csv")], env)
        assert result.returncode == 0, result.stderr
        assert " added" in result.stdout
    again = run(["import", "cameras", str(inventory / "cameras.csv")], env)
    assert "cameras: 0 added, 0 updated, 2000 unchanged" in again.stdout
    exported = run(["export", "cameras", "--format", "json"], env)
    assert exported.returncode == 0, exported.stderr
    cameras = json.loads(exported.stdout)
    assert len(cameras) == 2000
    assert all(len(c["id"]) == 20 for c in cameras)
    passwords = [
        line.split(",")[7]
        for line in (inventory / "cameras.csv").read_text(encoding="utf-8").splitlines()[1:]
        if line.split(",")[7]
    ]
    assert passwords, "the simulated league should have cameras with credentials"
    assert not any(p in exported.stdout for p in passwords)
    banner = run(["export", "cameras", "--district", "150402"], env)
    rows = banner.stdout.strip().splitlines()[1:]
    assert rows
    assert all(",1504020" in row for row in rows)


def test_bad_import_exits_non_zero_listing_lines(tmp_path: Path, env: dict[str, str]) -> None:
    districts = tmp_path / "districts.csv"
    districts.write_text(
        "code,name,parent_code\n150400,league,\n1504,broken,150400\n", encoding="utf-8"
    )
    result = run(["import", "districts", str(districts)], env)
    assert result.returncode == 1
    assert "line 3: district code '1504' must have at least 6 digits" in result.stderr
    assert "nothing was written" in result.stderr
    skipped = run(["import", "districts", str(districts), "--skip-invalid"], env)
    assert skipped.returncode == 0
    assert "1 added" in skipped.stdout
    assert "skipped line 3" in skipped.stderr


def test_missing_file_and_config_give_clear_errors(tmp_path: Path, env: dict[str, str]) -> None:
    missing = run(["import", "cameras", str(tmp_path / "nope.csv")], env)
    assert missing.returncode == 2
    assert "no such file" in missing.stderr
    bad_config = run(["--config", str(tmp_path / "nope.yaml"), "db", "current"], env)
    assert bad_config.returncode == 2
    assert "does not exist" in bad_config.stderr


def test_a_second_worker_with_the_same_id_is_refused(tmp_path: Path, env: dict[str, str]) -> None:
    from ingest.publishing.spool import Spool

    env["GRIDWATCH_WORKER_ID"] = "gate-7"
    env["GRIDWATCH_MQTT_URL"] = "mqtt://127.0.0.1:1"  # never reached: the spool check comes first
    (tmp_path / "data").mkdir()
    with Spool(tmp_path / "data" / "spool-gate-7.sqlite"):  # the running worker's spool
        result = run(["ingest", "--processes", "1"], env)
    assert result.returncode == 2
    assert "GRIDWATCH_WORKER_ID" in result.stderr
