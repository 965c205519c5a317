"""The systemd units in config/systemd/ pass `systemd-analyze verify` (syntax, known
directives, an executable ExecStart) once pointed at this checkout's `gridwatch`, and
name the environment file every process reads."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

UNITS = REPO / "config" / "systemd"
INSTALLED = "/opt/gridwatch/.venv/bin/gridwatch"
ENV_FILE = "/etc/gridwatch/gridwatch.env"
# Template units are verified through an instance, as systemd would start them.
INSTANCES = {"gridwatch-ingest@.service": "gridwatch-ingest@a.service",
             "gridwatch-alerts@.service": "gridwatch-alerts@1.service",
             "gridwatch-api.service": "gridwatch-api.service"}  # fmt: skip


def _analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        hint = "systemd-analyze is missing: apt-get install systemd"
        if os.environ.get("CI") == "true":
            pytest.fail(hint)
        pytest.skip(hint)
    return found


def test_the_units_cover_every_process_and_verify(tmp_path: Path) -> None:
    analyze = _analyze()
    gridwatch = Path(sys.executable).with_name("gridwatch")
    assert gridwatch.exists(), "the project is installed in this virtualenv"
    assert {p.name for p in UNITS.glob("*.service")} == set(INSTANCES)
    for template, instance in INSTANCES.items():
        unit = (UNITS / template).read_text(encoding="utf-8")
        assert unit.count(INSTALLED) == 1, template
        assert f"EnvironmentFile={ENV_FILE}" in unit, template
        local = unit.replace(INSTALLED, str(gridwatch)).replace(
            ENV_FILE, str(UNITS / "gridwatch.env")
        )
        (tmp_path / instance).write_text(local, encoding="utf-8")
    verified = subprocess.run(
        [analyze, "verify", *(str(tmp_path / name) for name in INSTANCES.values())],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.strip() == "", verified.stdout
    assert verified.stderr.strip() == "", verified.stderr


def test_a_broken_unit_is_caught(tmp_path: Path) -> None:
    """The check above can fail: a typo in a directive is reported."""
    analyze = _analyze()
    broken = (UNITS / "gridwatch-api.service").read_text(encoding="utf-8")
    broken = broken.replace(INSTALLED, str(Path(sys.executable).with_name("gridwatch")))
    broken = broken.replace("KillSignal=SIGTERM", "KillSignal=SIGTERMINATE")
    (tmp_path / "gridwatch-api.service").write_text(broken, encoding="utf-8")
    verified = subprocess.run(
        [analyze, "verify", str(tmp_path / "gridwatch-api.service")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "SIGTERMINATE" in verified.stderr
