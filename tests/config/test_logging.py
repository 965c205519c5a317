"""Structured logs: every line carries the ids a person searches by, and no secret."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest

from config import logging as gw_logging
from config.logging import bind_log_fields, log_fields, setup_logging


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    monkeypatch.setattr(gw_logging, "_process_fields", {})
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_the_worker_the_camera_and_extra_ids(captured: io.StringIO) -> None:
    setup_logging("INFO", json_lines=True, stream=captured)
    log = logging.getLogger("gridwatch.test")
    bind_log_fields(worker_id="w-7")

    async def probe(camera_id: str) -> None:
        with log_fields(camera_id=camera_id):
            await asyncio.sleep(0)
            log.warning("probe of %s at rtsp://admin:Hunter2@10.0.0.9/live failed", camera_id)

    async def both() -> None:
        await asyncio.gather(probe("cam-1"), probe("cam-2"))

    asyncio.run(both())
    log.info("alert opened", extra={"alert_id": "a-9", "request_id": "r-1"})
    lines = _lines(captured)
    assert [(x["worker_id"], x.get("camera_id")) for x in lines] == [
        ("w-7", "cam-1"), ("w-7", "cam-2"), ("w-7", None)
    ]  # fmt: skip
    assert (lines[2]["alert_id"], lines[2]["request_id"]) == ("a-9", "r-1")
    assert all("Hunter2" not in line for line in captured.getvalue().splitlines())


def test_text_lines_name_the_ids_and_scrub_tracebacks(captured: io.StringIO) -> None:
    setup_logging("INFO", stream=captured)
    log = logging.getLogger("gridwatch.test")
    with log_fields(camera_id="cam-3"):
        try:
            raise ConnectionError("rtsp://admin:Hunter2@10.0.0.9/live refused")
        except ConnectionError:
            log.exception("probe failed")
    text = captured.getvalue()
    assert "camera_id=cam-3" in text
    assert "ConnectionError" in text
    assert "Hunter2" not in text
