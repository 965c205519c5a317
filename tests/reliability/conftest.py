"""Shared parts of the reliability scenarios: a `report` that prints what was sent and
what was stored whatever pytest's capture (`-s` or not), and a private Mosquitto
configured by the project's broker recipe."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bus.embedded_broker import free_port
from tests.bus.mqtt_helpers import MOSQUITTO, Mosquitto

RECIPE = Path(__file__).resolve().parents[2] / "config" / "mosquitto" / "gridwatch.conf"
Report = Callable[[str], None]


@pytest.fixture
def report(capsys: pytest.CaptureFixture[str]) -> Report:
    """Print one line to the terminal even while pytest captures output."""

    def say(line: str) -> None:
        with capsys.disabled():
            print(f"\n[reliability] {line}", flush=True)

    return say


def recipe_config(port: int, folder: Path) -> str:
    """config/mosquitto/gridwatch.conf as a private broker runs it: its queue, in-flight and
    persistence settings unchanged; on `port`, anonymous, sessions saved under `folder`."""
    config = RECIPE.read_text(encoding="utf-8")
    config = re.sub(r"(?m)^listener 1883 127\.0\.0\.1$", f"listener {port} 127.0.0.1", config)
    config = re.sub(r"(?m)^allow_anonymous false$", "allow_anonymous true", config)
    config = re.sub(r"(?m)^(password_file|acl_file) .*$", "", config)
    config = config.replace("/var/lib/mosquitto/", f"{folder}/")
    assert f"listener {port} 127.0.0.1" in config
    assert "max_queued_messages 1000000" in config
    # As root, Mosquitto drops to its own user, which cannot read pytest's private folder.
    run_as = "user root\n" if os.geteuid() == 0 else ""
    return config + "log_dest none\n" + run_as


class RecipeMosquitto(Mosquitto):
    """A private Mosquitto with the recipe's limits; `stop()` (SIGTERM) saves its sessions
    and `start()` brings it back on the same port."""

    def __init__(self, port: int, folder: Path) -> None:
        super().__init__(port, folder)
        self.config.write_text(recipe_config(port, folder), encoding="utf-8")


@pytest.fixture
def recipe_broker(tmp_path: Path) -> Iterator[RecipeMosquitto]:
    if MOSQUITTO is None:
        message = "these scenarios need Mosquitto (apt-get install mosquitto)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    folder = tmp_path / "mosquitto"
    folder.mkdir()
    broker = RecipeMosquitto(free_port(), folder).start()
    try:
        yield broker
    finally:
        broker.stop()
