"""Decode and health analysis in worker processes, for a worker that must use every core.

Threads share one GIL: measured on the fleet benchmark, a worker with a thread pool
tops out near 1.3 cores however many threads it has. Here each camera always goes to
the same process (by a hash of its id), which keeps that camera's checker and its
learned baseline; the parent only fetches JPEGs and sends the bytes over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import signal
import zlib
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from ingest.analysis.health import HealthChecker
from ingest.analysis.health_codes import HealthVerdict
from ingest.analysis.health_config import HealthConfig
from ingest.probing.checkers import restore_checker
from ingest.sources.jpeg import DecodeOptions, decode_jpeg
from ingest.sources.sample import payload_digest

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _WorkerState:
    config: HealthConfig
    decode: DecodeOptions
    checkers: dict[str, HealthChecker]


# One per worker process: the checkers of the cameras routed to it.
_worker: _WorkerState | None = None


def _start(config: HealthConfig, decode: DecodeOptions) -> None:
    global _worker
    # Ctrl-C reaches the whole process group; the parent shuts the pool down in order
    # (saving baselines first), so a worker must not die of it on its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker = _WorkerState(config, decode, {})


def _analyse(
    camera_id: str, jpeg: bytes, t: float, saved: dict[str, Any] | None
) -> tuple[HealthVerdict, tuple[int, int]]:
    assert _worker is not None, "pool worker not initialised"
    checker = _worker.checkers.get(camera_id)
    if checker is None:
        checker = _worker.checkers[camera_id] = restore_checker(camera_id, saved, _worker.config)
    frame = decode_jpeg(jpeg, _worker.decode)
    digest = payload_digest(jpeg)
    return checker.check(frame.gray, t, color=frame.thumb, payload_digest=digest), frame.source_size


def _states(camera_ids: list[str] | None) -> dict[str, dict[str, Any]]:
    assert _worker is not None, "pool worker not initialised"
    chosen = _worker.checkers if camera_ids is None else {
        c: _worker.checkers[c] for c in camera_ids if c in _worker.checkers
    }  # fmt: skip
    return {camera: checker.state_dict() for camera, checker in chosen.items()}


def _forget(camera_ids: list[str]) -> None:
    assert _worker is not None, "pool worker not initialised"
    for camera in camera_ids:
        _worker.checkers.pop(camera, None)


class AnalysisPool:
    def __init__(self, processes: int, config: HealthConfig, decode: DecodeOptions) -> None:
        if processes < 1:
            raise ValueError("an analysis pool needs at least one process")
        self._config, self._decode = config, decode
        self._pools = [self._new_process() for _ in range(processes)]
        self.restarts = 0

    def _new_process(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")  # no forked copy of the event loop
        return ProcessPoolExecutor(
            1, mp_context=context, initializer=_start, initargs=(self._config, self._decode)
        )

    def _index_of(self, camera_id: str) -> int:
        return zlib.crc32(camera_id.encode()) % len(self._pools)

    async def analyse(
        self, camera_id: str, jpeg: bytes, t: float, saved: dict[str, Any] | None
    ) -> tuple[HealthVerdict, tuple[int, int]]:
        """Raises `BrokenProcessPool` when the camera's process died; that process is
        replaced first, so the next probe runs (its cameras relearn their baselines)."""
        index = self._index_of(camera_id)
        pool = self._pools[index]
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(pool, _analyse, camera_id, jpeg, t, saved)
        except BrokenProcessPool:
            if self._pools[index] is pool:
                log.error("analysis process %d died; starting a new one", index)
                self._pools[index] = self._new_process()
                self.restarts += 1
                pool.shutdown(wait=False, cancel_futures=True)
            raise

    async def states(self, camera_ids: list[str] | None = None) -> dict[str, dict[str, Any]]:
        loop = asyncio.get_running_loop()
        found: dict[str, dict[str, Any]] = {}
        for pool in self._pools:
            try:
                found.update(await loop.run_in_executor(pool, _states, camera_ids))
            except BrokenProcessPool:  # its baselines died with it; `analyse` replaces it
                log.warning("analysis process died: its cameras' baselines are not saved")
        return found

    async def forget(self, camera_ids: list[str]) -> None:
        loop = asyncio.get_running_loop()
        for pool in self._pools:
            with contextlib.suppress(BrokenProcessPool):  # nothing left there to forget
                await loop.run_in_executor(pool, _forget, camera_ids)

    def close(self) -> None:
        for pool in self._pools:
            pool.shutdown(wait=True, cancel_futures=True)
