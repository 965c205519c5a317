"""A real simulator on 127.0.0.1 (port 0) in a background event loop, driven by a fake clock."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from ingest.simulator.catalog import SimCamera, load_cameras
from ingest.simulator.faults import FaultRule
from ingest.simulator.inventory import write_inventory
from ingest.simulator.pool import FramePool, PoolConfig, build_pool
from ingest.simulator.server import CameraSimulator, SimulatorConfig

T0 = 1_763_900_000.0  # a fixed Unix time: tests never read the wall clock
SMALL = PoolConfig(size=(320, 192), frames_per_scene=5)


class FakeClock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Running:
    sim: CameraSimulator
    clock: FakeClock
    url: str
    cameras: dict[str, SimCamera]

    def open_camera(self) -> SimCamera:
        return next(c for c in self.cameras.values() if not c.needs_auth)

    def locked_camera(self) -> SimCamera:
        return next(c for c in self.cameras.values() if c.needs_auth)

    def snapshot_url(self, camera: SimCamera) -> str:
        return f"{self.url}/cam/{camera.camera_id}/snapshot.jpg"


def decode(jpeg: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(jpeg, dtype=np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "not a decodable JPEG"
    return np.asarray(image)


@pytest.fixture(scope="session")
def inventory_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inventory")
    write_inventory(folder, 300, seed=7, auth_share=0.2)
    return folder


@pytest.fixture(scope="session")
def small_pool() -> FramePool:
    return build_pool(None, SMALL)


Serve = Callable[..., AbstractContextManager[Running]]


@pytest.fixture
def serve(inventory_dir: Path, small_pool: FramePool) -> Serve:
    """`with serve(faults=[...], config=...) as running:` a started simulator."""
    cameras = load_cameras(inventory_dir)

    @contextmanager
    def start(
        faults: list[FaultRule] | None = None, config: SimulatorConfig | None = None
    ) -> Iterator[Running]:
        clock = FakeClock()
        sim = CameraSimulator(
            cameras,
            small_pool,
            clock=clock,
            config=config or SimulatorConfig(pool=SMALL),
            faults=faults,
        )
        with running_loop() as loop:
            asyncio.run_coroutine_threadsafe(sim.start("127.0.0.1", 0), loop).result(10)
            try:
                yield Running(sim, clock, sim.url, cameras)
            finally:
                asyncio.run_coroutine_threadsafe(sim.stop(), loop).result(10)

    return start


@contextmanager
def running_loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="simulator-loop", daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
