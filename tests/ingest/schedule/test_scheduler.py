import asyncio
import random

import pytest

from ingest.schedule.limits import KeyedLimiter
from ingest.schedule.scheduler import ProbeSchedule, phase


def _ids(n: int) -> list[str]:
    return [f"150402010013210{i:05d}" for i in range(n)]


def test_first_probes_are_spread_evenly_over_the_interval() -> None:
    schedule = ProbeSchedule(jitter=0.0)
    for camera in _ids(6000):
        schedule.add(camera, 60.0, now=0.0)
    per_second = [len(schedule.pop_due(float(s), limit=10_000)) for s in range(61)]
    assert sum(per_second) == 6000
    assert max(per_second) < 150  # 100 a second on average; no burst at start


def test_every_camera_is_due_once_per_interval_without_drift() -> None:
    schedule = ProbeSchedule(jitter=0.02, rng=random.Random(1))
    cameras = _ids(500)
    for camera in cameras:
        schedule.add(camera, 60.0, now=0.0)
    probes = dict.fromkeys(cameras, 0)
    now = 0.0
    while now < 600.0:
        for due in schedule.pop_due(now, limit=1000):
            probes[due.camera_id] += 1
            schedule.reschedule(due.camera_id, due.due_at, 60.0, now + 0.5)  # probe took 0.5 s
        now += 0.25
    assert set(probes.values()) <= {9, 10, 11}
    assert sum(probes.values()) == pytest.approx(5000, abs=60)


def test_a_late_camera_is_not_probed_in_a_catch_up_burst() -> None:
    schedule = ProbeSchedule(jitter=0.0)
    schedule.add("cam", 10.0, now=0.0)
    (due,) = schedule.pop_due(phase("cam", 10.0), limit=1)
    schedule.reschedule("cam", due.due_at, 10.0, now=500.0)  # the probe hung for ages
    assert schedule.next_due() == 500.0


def test_limit_and_sync_follow_the_leases() -> None:
    schedule = ProbeSchedule(jitter=0.0)
    added, removed = schedule.sync({c: 60.0 for c in _ids(100)}, now=0.0)
    assert (added, removed) == (100, 0)
    assert len(schedule.pop_due(60.0, limit=30)) == 30
    in_flight = schedule.pop_due(60.0, limit=1)[0]
    added, removed = schedule.sync({c: 60.0 for c in _ids(50)}, now=60.0)
    assert removed == 50
    schedule.reschedule(in_flight.camera_id, in_flight.due_at, 60.0, now=61.0)
    assert all(d.camera_id in _ids(50) for d in schedule.pop_due(1e9, limit=1000))


def test_removed_camera_never_comes_back_from_flight() -> None:
    schedule = ProbeSchedule(jitter=0.0)
    schedule.add("gone", 5.0, now=0.0)
    (due,) = schedule.pop_due(10.0, limit=5)
    schedule.remove("gone")
    schedule.reschedule("gone", due.due_at, 5.0, now=10.0)
    assert schedule.next_due() is None
    assert len(schedule) == 0


def test_keyed_limiter_caps_each_key_and_forgets_idle_ones() -> None:
    async def scenario() -> tuple[int, int]:
        limiter = KeyedLimiter(per_key=4)
        peak = {"nvr-1": 0, "nvr-2": 0}
        release = asyncio.Event()

        async def one(key: str) -> None:
            async with limiter.hold(key):
                peak[key] = max(peak[key], limiter.in_use(key))
                await release.wait()

        tasks = [asyncio.create_task(one("nvr-1")) for _ in range(64)]
        tasks += [asyncio.create_task(one("nvr-2")) for _ in range(2)]
        for _ in range(5):
            await asyncio.sleep(0)
        release.set()
        await asyncio.gather(*tasks)
        assert not limiter._slots
        return peak["nvr-1"], peak["nvr-2"]

    assert asyncio.run(scenario()) == (4, 2)
