"""Storm grouping in virtual time: a power cut whose offline events arrive spread over
three minutes (K probes at a 60 s interval, phase-spread) becomes one alert per
township, the single alerts under it are inhibited from the start, never raised and
withdrawn, and they come back one by one when the group clears and they do not."""

from __future__ import annotations

import random

from alerts.domain import AlertStatus, Kind, Scope
from alerts.engine import Engine
from alerts.policy import Policy
from tests.alerts.helpers import Producer, at
from tests.alerts.storm import banner

SPREAD_S = 180


def run_storm(engine: Engine, cameras: list[str], producer: Producer) -> tuple[int, int]:
    """Push the offline events at their times, ticking every second; the peaks of visible
    single alerts and of the whole queue."""
    rng = random.Random(7)
    times = sorted((rng.uniform(0, SPREAD_S), camera) for camera in cameras)
    peak, queue, i = 0, 0, 0
    for second in range(SPREAD_S + 60):
        while i < len(times) and times[i][0] < second:
            t, camera = times[i]
            engine.apply_event(producer.offline(camera, at(t)), at(t))
            i += 1
        engine.tick(at(second))
        peak = max(peak, engine.visible_singles())
        queue = max(queue, sum(1 for a in engine.alerts.values() if a.visible))
    return peak, queue


def visible(engine: Engine) -> list[tuple[Kind, Scope, str]]:
    return sorted((a.kind, a.scope, a.subject) for a in engine.alerts.values() if a.visible)


def test_power_cut_is_one_alert_per_township() -> None:
    topology = banner(townships=3, cameras_per_township=800)
    engine = Engine(Policy(hold_s=120), topology)
    producer = Producer(
        district_of={c.camera_id: c.district_code for c in topology.cameras.values()}
    )
    down = [c for c in topology.cameras if c.startswith(("T00", "T01"))]
    lone = "T02C0100"  # one genuinely separate camera in the third township
    peak, queue = run_storm(engine, [*down, lone], producer)

    assert peak <= 0.01 * len(topology.cameras)
    assert peak == 1  # the separate camera only: no storm single was shown and withdrawn
    assert queue == 3  # nor an uplink group: two townships and the separate camera
    assert visible(engine) == sorted(
        [
            (Kind.OFFLINE, Scope.CAMERA, lone),
            (Kind.GROUP_OFFLINE, Scope.DISTRICT, "150402001"),
            (Kind.GROUP_OFFLINE, Scope.DISTRICT, "150402002"),
        ]
    )
    group = engine.groups["district:150402001"]
    assert group.summary == "乡镇1: 800 of 800 cameras offline"
    members = [a for a in engine.alerts.values() if a.inhibited_by == group.id]
    assert len(members) >= 800  # its cameras, and its uplink groups
    assert all(a.status is not AlertStatus.RESOLVED for a in members)
    uplinks = [a for a in engine.alerts.values() if a.scope is Scope.UPLINK]
    assert uplinks
    assert all(a.inhibited_by is not None for a in uplinks)


def test_members_still_down_come_back_individually_when_the_group_clears() -> None:
    topology = banner(townships=2, cameras_per_township=200)
    engine = Engine(Policy(hold_s=120), topology)
    producer = Producer(
        district_of={c.camera_id: c.district_code for c in topology.cameras.values()}
    )
    down = [c for c in topology.cameras if c.startswith("T00")]
    run_storm(engine, down, producer)
    assert engine.visible_singles() == 0
    still_down = {down[0], down[20], down[40]}  # on three different uplinks
    for n, camera in enumerate(down):
        if camera not in still_down:
            t = 600 + n * 0.1
            engine.apply_event(producer.online(camera, at(t)), at(t))
    engine.tick(at(700))
    assert "district:150402001" not in engine.groups
    assert sorted(a.subject for a in engine.alerts.values() if a.visible) == sorted(still_down)


def test_a_few_cameras_down_are_single_alerts() -> None:
    topology = banner(townships=1, cameras_per_township=400)
    engine = Engine(Policy(hold_s=120), topology)
    producer = Producer(
        district_of={c.camera_id: c.district_code for c in topology.cameras.values()}
    )
    cameras = ["T00C0000", "T00C0100", "T00C0200"]  # three uplinks, three cameras
    for camera in cameras:
        engine.apply_event(producer.offline(camera, at(0)), at(0))
    engine.tick(at(60))
    assert engine.visible_singles() == 0  # still held
    engine.tick(at(121))
    assert engine.visible_singles() == 3
    assert not engine.groups


def test_an_uplink_down_is_one_uplink_alert() -> None:
    topology = banner(townships=1, cameras_per_township=400)
    engine = Engine(Policy(hold_s=120), topology)
    producer = Producer(
        district_of={c.camera_id: c.district_code for c in topology.cameras.values()}
    )
    nvr = [c.camera_id for c in topology.cameras.values() if c.uplink == "NVR-0-3"]
    for n, camera in enumerate(nvr):
        engine.apply_event(producer.offline(camera, at(n * 10)), at(n * 10))
        engine.tick(at(n * 10))
    engine.tick(at(400))
    (alert,) = [a for a in engine.alerts.values() if a.visible]
    assert (alert.scope, alert.subject) == (Scope.UPLINK, "NVR-0-3")
    assert alert.summary == "uplink NVR-0-3: 16 of 16 cameras offline"
