"""The probe loop never loses a camera: whatever a probe raises, the camera is probed
again at its next slot. Virtual time, a scripted sampler (the real sources are not the
point here), the real schedule, decisions, spool and database."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from bus.events import MalformedEvent, MalformedReason
from bus.vocabulary import CameraStatus, ProbeFailure
from ingest.analysis.health_codes import HealthVerdict
from ingest.analysis.health_config import HealthConfig
from ingest.fleet.leases import LeaseConfig, LeaseManager
from ingest.fleet.targets import CameraTarget
from ingest.probing.judged import Judged, SeenPicture
from ingest.probing.state import ProbePolicy
from ingest.publishing.publisher import Publisher, PublisherOptions
from ingest.publishing.spool import Spool
from ingest.sources.failures import ProbeError
from ingest.sources.http_client import HttpClient
from ingest.worker.assembly import checker_factory
from ingest.worker.loop import IngestRuntime, RuntimeConfig
from registry.db import SessionFactory
from registry.importer import import_cameras, import_districts
from registry.records import read_records
from tests.registry.factories import DISTRICTS, camera, write_csv

INTERVAL_S = 60.0
CLEAN = HealthVerdict(raised=(), cleared=(), active=(), measured=(), learning=False)
PICTURE = SeenPicture(gray=np.zeros((18, 32), np.uint8))
Action = BaseException | None


class VirtualClock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.start = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)

    def monotonic(self) -> float:
        return self.t

    def wall(self) -> datetime:
        return self.start + timedelta(seconds=self.t - 1000.0)


@dataclass
class ScriptedSampler:
    """Each camera's probes answer from its script in order, then cleanly."""

    clock: VirtualClock
    script: dict[str, list[Action]] = field(default_factory=dict)
    probed_at: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    async def sample_and_judge(self, target: CameraTarget) -> Judged:
        self.probed_at[target.camera_id].append(self.clock.t)
        actions = self.script.get(target.camera_id, [])
        action = actions.pop(0) if actions else None
        if action is not None:
            raise action
        return Judged(self.clock.wall(), CLEAN, PICTURE)

    def held(self) -> set[str]:
        return set()

    def known(self) -> set[str]:
        return set()

    def adopt_baselines(self, states: dict[str, dict[str, Any]]) -> None:
        pass

    async def baselines(self, cameras: list[str] | None = None) -> dict[str, dict[str, Any]]:
        return {}

    async def forget(self, cameras: list[str]) -> None:
        pass

    async def close(self) -> None:
        pass


@dataclass
class Rig:
    runtime: IngestRuntime
    sampler: ScriptedSampler
    clock: VirtualClock
    spool: Spool

    async def run_for(self, seconds: float, step_s: float = 1.0) -> None:
        """Dispatch and finish every due probe, second by virtual second."""
        end = self.clock.t + seconds
        while self.clock.t < end:
            self.runtime.dispatch_due(self.clock.t)
            while self.runtime.inflight:
                await asyncio.gather(*self.runtime.inflight)
            self.clock.t += step_s

    def events(self) -> list[dict[str, Any]]:
        """What was spooled for the broker (nothing is sent: the publisher is not started)."""
        found = []
        for message in self.spool.next_batch(100_000):
            if not message.retain:
                found.append(json.loads(message.payload))
        self.spool.rewind()
        return found


@pytest.fixture
def cameras(db: SessionFactory, tmp_path: Path) -> list[str]:
    import_districts(db, read_records(write_csv(tmp_path / "d.csv", DISTRICTS), "districts"))
    ids = [f"cam-{n}" for n in range(6)]
    rows = [camera(c) for c in ids]
    import_cameras(db, read_records(write_csv(tmp_path / "c.csv", rows), "cameras"))
    return ids


@pytest.fixture
def rig_factory(
    db: SessionFactory, tmp_path: Path, cameras: list[str]
) -> Iterator[Callable[..., Rig]]:
    spools: list[Spool] = []

    def make(*, max_messages: int = 1_000_000, headroom: int = 1_000) -> Rig:
        clock = VirtualClock()
        spool = Spool(tmp_path / f"spool-{len(spools)}.sqlite", max_messages=max_messages)
        spools.append(spool)
        publisher = Publisher("mqtt://127.0.0.1:1", spool, PublisherOptions("w1"), clock=clock.wall)
        leases = LeaseManager(db, "w1", clock.wall, LeaseConfig(shards=4))
        config = RuntimeConfig(
            policy=ProbePolicy(interval_s=INTERVAL_S, offline_after=3, backoff_max_s=300),
            spool_headroom=headroom,
        )
        runtime = IngestRuntime(
            config, db, publisher, leases, checker_factory(HealthConfig()),
            http=HttpClient(), wall_clock=clock.wall, monotonic=clock.monotonic,
        )  # fmt: skip
        sampler = ScriptedSampler(clock)
        runtime.sampler = sampler  # type: ignore[assignment]
        return Rig(runtime, sampler, clock, spool)

    yield make
    for spool in spools:
        spool.close()


async def _start(rig: Rig) -> None:
    await rig.runtime.refresh_registry()
    await rig.runtime.renew_leases()


def _slots(times: list[float]) -> list[float]:
    return [round(b - a, 3) for a, b in itertools.pairwise(times)]


INJECTED: dict[str, Callable[[], BaseException]] = {
    "decode error": lambda: cv2.error("resize.cpp: inv_scale_x > 0"),
    "analysis exception": lambda: ZeroDivisionError("a check divided by zero"),
    "baseline restore error": lambda: KeyError("reference"),
    "broken pool": lambda: BrokenProcessPool("a process of the pool died"),
    "malformed event": lambda: MalformedEvent(MalformedReason.BAD_DATA, "nan in data"),
}


@pytest.mark.parametrize("kind", sorted(INJECTED))
def test_an_unexpected_error_leaves_the_camera_probed_at_its_next_slot(
    rig_factory: Callable[..., Rig], cameras: list[str], kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    victim = cameras[0]

    async def scenario() -> Rig:
        rig = rig_factory()
        rig.sampler.script[victim] = [INJECTED[kind]()]
        await _start(rig)
        await rig.run_for(4 * INTERVAL_S)
        return rig

    with caplog.at_level(logging.ERROR, logger="ingest.worker.loop"):
        rig = asyncio.run(scenario())
    for camera_id in cameras:  # every camera, the victim included, every interval
        assert _slots(rig.sampler.probed_at[camera_id]) == pytest.approx(
            [INTERVAL_S] * 3, abs=0.02 * INTERVAL_S + 1
        ), camera_id
    assert rig.runtime.stats.internal_errors == 1
    logged = [r for r in caplog.records if victim in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].exc_info is not None
    internal = [e for e in rig.events() if e["data"].get("code") == ProbeFailure.INTERNAL]
    assert [(e["type"], e["camera_id"]) for e in internal] == [("probe.failed", victim)]
    # An internal error says nothing about the camera: it came online with its next probe.
    assert rig.runtime.states[victim].status is CameraStatus.ONLINE


def test_a_lasting_internal_error_never_takes_the_camera_offline_and_is_logged_once(
    rig_factory: Callable[..., Rig], cameras: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    victim = cameras[1]

    async def scenario() -> None:
        rig = rig_factory()
        rig.sampler.script[victim] = [RuntimeError("bug in a check") for _ in range(6)]
        await _start(rig)
        await rig.run_for(6 * INTERVAL_S)
        assert len(rig.sampler.probed_at[victim]) == 6
        assert rig.runtime.states[victim].status is CameraStatus.UNKNOWN
        assert rig.runtime.states[victim].internal_errors == 6
        assert [e for e in rig.events() if e["type"] == "camera.offline"] == []
        await rig.run_for(INTERVAL_S)  # the bug is gone: the camera comes online
        assert rig.runtime.states[victim].status is CameraStatus.ONLINE
        assert rig.runtime.states[victim].internal_errors == 0

    with caplog.at_level(logging.ERROR, logger="ingest.worker.loop"):
        asyncio.run(scenario())
    assert len([r for r in caplog.records if victim in r.getMessage()]) == 1


def test_a_publish_error_keeps_the_old_state_so_the_events_come_again(
    rig_factory: Callable[..., Rig], cameras: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = cameras[2]
    refused: list[str] = []

    async def scenario() -> Rig:
        rig = rig_factory()
        rig.sampler.script[victim] = [ProbeError(ProbeFailure.TIMEOUT, "no answer")] * 2
        publish = rig.runtime.publisher.publish_event

        def flaky_publish(draft: Any) -> Any:
            if draft.camera_id == victim and not refused:
                refused.append(draft.type)
                raise OSError("disk I/O error")
            return publish(draft)

        monkeypatch.setattr(rig.runtime.publisher, "publish_event", flaky_publish)
        await _start(rig)
        await rig.run_for(3 * INTERVAL_S)
        return rig

    rig = asyncio.run(scenario())
    assert refused == ["probe.failed"]
    assert len(rig.sampler.probed_at[victim]) == 3
    failed = [e for e in rig.events() if e["camera_id"] == victim and e["type"] == "probe.failed"]
    # The first timeout's event was refused (reported as our own failure); the second
    # probe derived it again from the state that was kept.
    assert [e["data"]["code"] for e in failed] == ["internal", "timeout"]
    assert rig.runtime.stats.internal_errors == 1


def test_a_full_spool_pauses_probing_without_dropping_a_camera(
    rig_factory: Callable[..., Rig], cameras: list[str]
) -> None:
    # Every camera fails every probe: probe.failed, then offline after 3, with back-off.
    async def scenario() -> None:
        rig = rig_factory(max_messages=12, headroom=4)
        for camera_id in cameras:
            rig.sampler.script[camera_id] = [
                ProbeError(ProbeFailure.REFUSED, "down") for _ in range(100)
            ]
        await _start(rig)
        await rig.run_for(3 * INTERVAL_S)
        paused_counts = {c: len(rig.sampler.probed_at[c]) for c in cameras}
        assert not rig.runtime.publisher.has_room(4)
        await rig.run_for(3 * INTERVAL_S)
        assert {c: len(rig.sampler.probed_at[c]) for c in cameras} == paused_counts
        assert len(rig.runtime.schedule) == len(cameras)
        # The broker takes the backlog: probing resumes and every camera is probed again.
        rig.spool.ack(m.id for m in rig.spool.next_batch(1000))
        await rig.run_for(INTERVAL_S + 1)
        assert all(len(rig.sampler.probed_at[c]) > paused_counts[c] for c in cameras)

    asyncio.run(scenario())


def test_a_probe_whose_events_find_no_room_is_retried_with_its_state_kept(
    rig_factory: Callable[..., Rig], cameras: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = cameras[3]
    refusals = [0]

    async def scenario() -> Rig:
        rig = rig_factory()
        rig.sampler.script[victim] = [ProbeError(ProbeFailure.DNS, "no such host")] * 3
        room = rig.runtime.publisher.has_room

        def no_room_for_victim_once(events: int) -> bool:
            if events < 10 and refusals[0] == 0 and rig.sampler.probed_at[victim]:
                refusals[0] += 1
                return False
            return room(events)

        monkeypatch.setattr(rig.runtime.publisher, "has_room", no_room_for_victim_once)
        await _start(rig)
        await rig.run_for(3 * INTERVAL_S)
        return rig

    rig = asyncio.run(scenario())
    assert rig.runtime.stats.spool_full == 1
    assert len(rig.sampler.probed_at[victim]) == 3
    assert rig.runtime.states[victim].consecutive_failures == 2  # the refused one not counted
