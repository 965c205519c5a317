"""A real probe of a camera that goes black keeps its evidence: the simulator over real
HTTP, the real sampler, checks, decision, spool and database; virtual time for the
schedule and the simulator's picture clock, so the onset is known to the second."""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from bus.embedded_broker import free_port
from bus.events import decode
from ingest.analysis.health_config import HealthConfig
from ingest.fleet.leases import LeaseConfig, LeaseManager
from ingest.probing.analysis_pool import AnalysisPool
from ingest.probing.state import ProbePolicy
from ingest.publishing.publisher import Publisher, PublisherOptions
from ingest.publishing.spool import Spool
from ingest.simulator.faults import FaultKind, FaultRule
from ingest.simulator.inventory import write_inventory
from ingest.simulator.pool import PoolConfig
from ingest.simulator.server import SimulatorConfig, build_simulator
from ingest.sources.http_client import HttpClient
from ingest.sources.jpeg import DecodeOptions
from ingest.stores.evidence import EvidenceBounds, EvidenceStore, Picture, parse_reference
from ingest.stores.evidence import picture_path as evidence_path
from ingest.worker.assembly import checker_factory
from ingest.worker.loop import IngestRuntime, RuntimeConfig
from registry.db import SessionFactory
from registry.importer import import_inventory
from tests.ingest.worker.test_probe_loop import VirtualClock

INTERVAL_S = 10.0
ONSET_S = 35.0  # probes at 0, 10, 20, 30 see the scene; from 40 the camera is black
SIZE = (320, 192)


def _decoded(path: Path) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(path.read_bytes(), np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, f"{path.name} is not a JPEG"
    return np.asarray(image)


def _spooled(spool: Spool) -> list[dict[str, Any]]:
    found = []
    for message in spool.next_batch(100_000):
        if not message.retain:
            decode(message.topic, message.payload)  # the contract holds
            found.append(json.loads(message.payload))
    return found


async def _run(
    db: SessionFactory, tmp_path: Path, store: EvidenceStore, analysis: str
) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    port = free_port()
    inventory = tmp_path / "inv"
    write_inventory(inventory, 3, banners=1, base_url=f"http://127.0.0.1:{port}", auth_share=0)
    import_inventory(db, inventory)
    black = (inventory / "cameras.csv").read_text(encoding="utf-8").splitlines()[1].split(",")[0]
    clock = VirtualClock()
    sim = build_simulator(
        inventory,
        clips_dir=None,
        clock=clock.monotonic,
        config=SimulatorConfig(pool=PoolConfig(size=SIZE, frames_per_scene=7, frame_period_s=0.2)),
        faults=[FaultRule(FaultKind.BLACK, camera=black, start_s=ONSET_S)],
    )
    await sim.start(port=port)
    spool = Spool(tmp_path / "spool.sqlite")
    publisher = Publisher("mqtt://127.0.0.1:1", spool, PublisherOptions("w1"), clock=clock.wall)
    health = HealthConfig.immediate(raise_after=2, clear_after=2, frozen_s=3600)
    pool = AnalysisPool(1, health, DecodeOptions()) if analysis == "processes" else None
    threads = ThreadPoolExecutor(2) if analysis == "threads" else None
    http = HttpClient()
    runtime = IngestRuntime(
        RuntimeConfig(policy=ProbePolicy(interval_s=INTERVAL_S, offline_after=3)),
        db, publisher, LeaseManager(db, "w1", clock.wall, LeaseConfig(shards=2)),
        checker_factory(health), http=http, wall_clock=clock.wall,
        monotonic=clock.monotonic, analysis_pool=pool, analysis_executor=threads,
        evidence=store,
    )  # fmt: skip
    try:
        await runtime.refresh_registry()
        await runtime.renew_leases()
        end = clock.t + 6 * INTERVAL_S + 1
        while clock.t < end:
            runtime.dispatch_due(clock.t)
            while runtime.inflight:
                await asyncio.gather(*runtime.inflight)
            clock.t += 1.0
        return _spooled(spool), runtime.snapshot(), black
    finally:
        await runtime.sampler.close()
        await http.aclose()
        await sim.stop()
        spool.close()


@pytest.mark.parametrize("analysis", ["inline", "threads", "processes"])
def test_a_fault_event_names_the_judged_picture_and_the_last_good_one(
    db: SessionFactory, tmp_path: Path, analysis: str
) -> None:
    root = tmp_path / "evidence"
    clock = VirtualClock()
    store = EvidenceStore(root, EvidenceBounds(), clock.wall)
    events, snapshot, black = asyncio.run(_run(db, tmp_path, store, analysis))
    faults = [e for e in events if e["type"] == "health.fault"]
    assert faults
    assert {e["camera_id"] for e in faults} == {black}
    assert snapshot["evidence_errors"] == 0
    others = [e for e in events if e["evidence"] is not None and e["type"] != "health.fault"]
    assert not others
    for event in faults:
        camera_id, name = parse_reference(event["evidence"])
        assert camera_id == black
        assert name.endswith(f"-{faults[0]['data']['code']}")
        fault = _decoded(evidence_path(root, camera_id, name, Picture.FAULT))
        before = _decoded(evidence_path(root, camera_id, name, Picture.BEFORE))
        # The camera's own JPEGs at its own size: black when judged, a scene before.
        assert fault.shape == before.shape == (SIZE[1], SIZE[0], 3)
        assert float(fault.mean()) < 10.0
        assert float(before.mean()) > 40.0
        assert float(before.std()) > 10.0
    print(f"{analysis}: {len(events)} events, {len(faults)} faults with evidence")


def test_a_disk_that_refuses_evidence_does_not_stop_the_fault_event(
    db: SessionFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "evidence"
    root.write_text("a file where the evidence folder should be")
    clock = VirtualClock()
    store = EvidenceStore(root, EvidenceBounds(), clock.wall)
    with caplog.at_level(logging.ERROR):
        events, snapshot, black = asyncio.run(_run(db, tmp_path, store, "inline"))
    faults = [e for e in events if e["type"] == "health.fault"]
    assert [e["camera_id"] for e in faults] == [black]
    assert faults[0]["evidence"] is None
    assert snapshot["evidence_errors"] == 1
    assert snapshot["internal_errors"] == 0
    assert len([r for r in caplog.records if "evidence" in r.getMessage()]) == 1
