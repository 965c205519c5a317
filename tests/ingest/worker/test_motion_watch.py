"""Motion watch on a real MJPEG stream from the simulator, events through a real broker."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bus.embedded_broker import free_port
from ingest.analysis.motion import MotionResult
from ingest.fleet.targets import CameraTarget
from ingest.publishing.publisher import Publisher, PublisherOptions
from ingest.publishing.spool import Spool
from ingest.simulator.inventory import write_inventory
from ingest.simulator.pool import PoolConfig
from ingest.simulator.server import SimulatorConfig, build_simulator
from ingest.worker.motion_watch import MotionWatch, motion_data
from tests.conftest import clips_dir, require_clips
from tests.ingest.worker.test_worker_e2e import Collector


def test_motion_data_gives_boxes_as_fractions() -> None:
    result = MotionResult(0.05, ((32, 18, 64, 36),), ("gate",), None, True, False, None)
    assert motion_data(result, 320, 180) == {
        "area": 0.05,
        "boxes": [[0.1, 0.1, 0.2, 0.2]],
        "zones": ["gate"],
    }


@pytest.mark.clips
def test_a_watched_key_site_publishes_motion_start(mqtt_url: str, tmp_path: Path) -> None:
    require_clips()
    port = free_port()
    inventory = tmp_path / "inv"
    write_inventory(inventory, 8, banners=1, base_url=f"http://127.0.0.1:{port}", seed=3)
    camera_ids = [
        line.split(",")[0] for line in (inventory / "cameras.csv").read_text().splitlines()[1:]
    ]
    sim = build_simulator(
        inventory,
        clips_dir=clips_dir(),
        clock=time.time,
        # Real video: a new frame of the clip every 0.1 s, served at 10 fps.
        config=SimulatorConfig(
            pool=PoolConfig(size=(640, 360), frames_per_scene=60, frame_period_s=0.1),
            mjpeg_fps=10,
        ),
    )
    watched = {
        cid: CameraTarget(cid, "150402", None, f"http://127.0.0.1:{port}/cam/{cid}/mjpeg", None,
                          motion_watch=True)
        for cid in camera_ids[:4]
    }  # fmt: skip
    watched["not-flagged"] = CameraTarget("not-flagged", "150402", None, "http://x/", None)
    prefix = f"mw{time.time_ns() % 10**9}"
    collector = Collector(mqtt_url, prefix)
    spool = Spool(tmp_path / "spool.sqlite")
    publisher = Publisher(
        mqtt_url, spool, PublisherOptions("mw-worker", topic_prefix=prefix)
    ).start()

    async def scenario() -> frozenset[str]:
        await sim.start(port=port)
        watch = MotionWatch(publisher, lambda: datetime.now(UTC), max_streams=3)
        watch.sync(watched)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not collector.of("motion.start"):
            await asyncio.sleep(0.2)
        seen = watch.watched
        await watch.close()
        await sim.stop()
        return seen

    try:
        seen = asyncio.run(scenario())
        assert publisher.flush(10)
    finally:
        publisher.close()
        collector.close()
    assert len(seen) == 3  # capped, and the camera that is not flagged is not watched
    assert "not-flagged" not in seen
    starts = collector.of("motion.start")
    assert starts, "real traffic in the clips should start a motion event"
    event = starts[0]
    assert event["camera_id"] in seen
    assert 0 < event["data"]["area"] <= 1
    assert all(0 <= v <= 1 for box in event["data"]["boxes"] for v in box)
