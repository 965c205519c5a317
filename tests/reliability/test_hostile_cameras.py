"""Reliability, hostile input (ingest side): snapshot endpoints that answer garbage, a 1×1
or a 20,000-pixel-wide JPEG, a PNG, an empty body, an endless body, an HTML page, and a
camera URL with a bad scheme. Each is a probe failure with a clear code, the worker keeps
running, every camera keeps being probed, and the healthy camera is never disturbed.

A real worker loop, real HTTP, real spool; a private aiohttp server plays the cameras."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest
from aiohttp import web

from bus.embedded_broker import free_port
from bus.vocabulary import CameraStatus, ProbeFailure
from config.clock import utc_now
from ingest.analysis.health_config import HealthConfig
from ingest.fleet.leases import LeaseConfig, LeaseManager
from ingest.probing.state import ProbePolicy
from ingest.publishing.publisher import Publisher, PublisherOptions
from ingest.publishing.spool import Spool
from ingest.sources.http_client import HttpClient, HttpTimeouts
from ingest.worker.assembly import checker_factory
from ingest.worker.loop import IngestRuntime, RuntimeConfig
from registry.db import SessionFactory
from registry.importer import import_cameras, import_districts
from registry.records import read_records
from tests.registry.factories import DISTRICTS, camera, write_csv
from tests.reliability.conftest import Report

pytestmark = pytest.mark.slow
RUN_S = 8.0
INTERVAL_S = 1.0


def _jpeg(width: int, height: int) -> bytes:
    rng = np.random.default_rng(width * 7 + height)
    ok, encoded = cv2.imencode(".jpg", rng.integers(0, 255, (height, width, 3), dtype=np.uint8))
    assert ok
    return encoded.tobytes()


def _png() -> bytes:
    ok, encoded = cv2.imencode(".png", np.zeros((360, 640, 3), np.uint8))
    assert ok
    return encoded.tobytes()


class HostileCameras:
    """One route per kind of bad answer; counts every request it gets."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.fixed = {
            "good": (_jpeg(640, 360), "image/jpeg"),
            "garbage": (bytes(range(256)) * 40, "image/jpeg"),
            "tiny": (_jpeg(1, 1), "image/jpeg"),
            "banner": (_jpeg(20_000, 16), "image/jpeg"),
            "png": (_png(), "image/png"),
            "empty": (b"", "image/jpeg"),
            "html": (b"<html><body>login</body></html>", "text/html"),
        }

    async def handle(self, request: web.Request) -> web.StreamResponse:
        kind = request.match_info["kind"]
        self.hits[kind] += 1
        if kind == "endless":
            response = web.StreamResponse(headers={"Content-Type": "image/jpeg"})
            await response.prepare(request)
            chunk = b"\xff\xd8" + b"\x00" * 65_536
            while True:  # until the client gives up
                await response.write(chunk)
        body, content_type = self.fixed[kind]
        return web.Response(body=body, content_type=content_type)


KINDS = ["good", "garbage", "tiny", "banner", "png", "empty", "html", "endless"]
EXPECTED = {
    "garbage": {ProbeFailure.NOT_AN_IMAGE},
    "tiny": {ProbeFailure.DECODE_ERROR},
    "banner": {ProbeFailure.DECODE_ERROR},
    "png": {ProbeFailure.NOT_AN_IMAGE},
    "empty": {ProbeFailure.NOT_AN_IMAGE, ProbeFailure.DECODE_ERROR},
    "html": {ProbeFailure.NOT_AN_IMAGE},
    # Cut at the snapshot byte cap (or the probe timeout, whichever comes first).
    "endless": {ProbeFailure.NOT_AN_IMAGE, ProbeFailure.TIMEOUT},
}


def test_hostile_snapshot_endpoints_are_probe_failures_and_nothing_stops(
    db: SessionFactory, tmp_path: Path, report: Report
) -> None:
    port = free_port()
    cams = HostileCameras()
    rows = [
        camera(f"cam-{kind}", snapshot_url=f"http://127.0.0.1:{port}/{kind}.jpg") for kind in KINDS
    ]
    rows.append(camera("cam-scheme", snapshot_url="gopher://127.0.0.1/x.jpg", main_url=""))
    import_districts(db, read_records(write_csv(tmp_path / "d.csv", DISTRICTS), "districts"))
    imported = import_cameras(db, read_records(write_csv(tmp_path / "c.csv", rows), "cameras"),
                            skip_invalid=True)  # fmt: skip
    spool = Spool(tmp_path / "spool.sqlite")
    publisher = Publisher("mqtt://127.0.0.1:1", spool, PublisherOptions("hostile"))
    config = RuntimeConfig(
        policy=ProbePolicy(interval_s=INTERVAL_S, offline_after=100, backoff_max_s=INTERVAL_S),
        timeouts=HttpTimeouts(connect_s=1.0, read_s=1.0, total_s=1.5),
    )

    async def scenario() -> IngestRuntime:
        app = web.Application()
        app.router.add_get("/{kind}.jpg", cams.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runtime = IngestRuntime(
            config, db, publisher,
            LeaseManager(db, "hostile", utc_now, LeaseConfig(shards=4)),
            checker_factory(HealthConfig()),
            http=HttpClient(), wall_clock=utc_now,
        )  # fmt: skip
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(RUN_S, stop.set)
        started = time.monotonic()
        await runtime.run(stop)
        assert time.monotonic() - started < RUN_S + 10, "the worker did not stop in time"
        await runner.cleanup()
        return runtime

    try:
        runtime = asyncio.run(scenario())
        events = [json.loads(m.payload) for m in spool.next_batch(10_000) if not m.retain]
    finally:
        spool.close()
    sent = Counter(e["type"] for e in events)
    report(f"requests per camera: {dict(cams.hits)}; events: {dict(sent)}")
    # Every camera kept being probed, about once per interval (the run lasts RUN_S).
    for kind in KINDS:
        assert cams.hits[kind] >= RUN_S / INTERVAL_S - 3, kind
    assert runtime.stats.internal_errors == 0
    failures = {e["camera_id"]: e["data"]["code"] for e in events if e["type"] == "probe.failed"}
    for kind, codes in EXPECTED.items():
        assert failures.get(f"cam-{kind}") in codes, (kind, failures.get(f"cam-{kind}"))
    assert "cam-good" not in failures
    assert runtime.states["cam-good"].status is CameraStatus.ONLINE
    # A camera URL with a bad scheme is refused at import, with its line: never probed.
    assert [(e.line, "gopher" in e.reason) for e in imported.errors] == [(len(rows) + 1, True)]
    assert "cam-scheme" not in runtime.states
