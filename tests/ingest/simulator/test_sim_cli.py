"""`simulate serve` as a command: ready line, real requests, clean stop on Ctrl-C, clear errors."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from cli.simulate_serve import serve_command
from ingest.simulator.catalog import load_cameras

LAUNCH = (
    "import typer\n"
    "from cli.simulate_serve import serve_command\n"
    "app = typer.Typer()\n"
    "app.command()(serve_command)\n"
    "app()\n"
)


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(serve_command)
    return app


def test_serve_prints_ready_line_serves_and_stops_on_ctrl_c(
    inventory_dir: Path, tmp_path: Path
) -> None:
    no_clips = tmp_path / "no-clips"
    no_clips.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, "--inventory", str(inventory_dir), "--port", "0",
         "--size", "320x192", "--clips", str(no_clips)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()
        match = re.search(r"ready on (http://127\.0\.0\.1:\d+) with (\d+) cameras", ready)
        assert match, ready
        assert int(match.group(2)) == 300
        camera = next(c for c in load_cameras(inventory_dir).values() if not c.needs_auth)
        response = httpx.get(f"{match.group(1)}/cam/{camera.camera_id}/snapshot.jpg")
        assert response.status_code == 200
        assert response.content[:2] == b"\xff\xd8"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "stopping" in out
    assert "synthetic scenes" in err  # the fallback is said out loud


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--size", "big"], "expected WIDTHxHEIGHT"),
        (["--size", "8x8"], "within 64..4096"),
        (["--faults", "/nonexistent/faults.yaml"], "cannot read fault schedule"),
    ],
)
def test_bad_options_exit_with_a_clear_message(
    inventory_dir: Path, extra: list[str], message: str
) -> None:
    result = CliRunner().invoke(_app(), ["--inventory", str(inventory_dir), *extra])
    assert result.exit_code == 2
    assert message in result.output


def test_missing_inventory_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["--inventory", str(tmp_path), "--clips", str(tmp_path)])
    assert result.exit_code == 2
    assert "no cameras.csv" in result.output
