"""Renders missing pool pictures off the event loop, so a new fault never stalls serving.

Painting a translucent cover on a 720p frame takes a few hundred milliseconds;
done inline, the first requests after a district-wide fault starts would freeze
every other camera. One worker thread renders; concurrent misses of one picture
share one job.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future, ThreadPoolExecutor

from ingest.simulator.faults import PAINTED_KINDS, FaultRule
from ingest.simulator.pool import FramePool


class BackgroundRenderer:
    def __init__(self, pool: FramePool) -> None:
        self._pool = pool
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sim-render")
        self._pending: dict[tuple[tuple[object, ...], int, int], Future[bytes]] = {}

    def _submit(self, scene: int, index: int, rule: FaultRule | None) -> Future[bytes]:
        key = (() if rule is None else rule.image_key(), scene, index)
        job = self._pending.get(key)
        if job is None:
            job = self._executor.submit(self._pool.body, scene, index, rule)
            self._pending[key] = job
            job.add_done_callback(lambda _: self._pending.pop(key, None))
        return job

    async def body(self, scene: int, index: int, rule: FaultRule | None) -> bytes:
        """The pooled picture, from the cache or rendered in the worker thread."""
        cached = self._pool.cached_body(scene, index, rule)
        if cached is not None:
            return cached
        return await asyncio.shield(asyncio.wrap_future(self._submit(scene, index, rule)))

    def warm(self, rules: list[FaultRule]) -> int:
        """Queue every picture these rules will need; returns how many were queued."""
        queued = 0
        seen: set[tuple[object, ...]] = set()
        for rule in rules:
            key = rule.image_key()
            if rule.kind not in PAINTED_KINDS or key in seen:
                continue
            seen.add(key)
            for scene in range(self._pool.scene_count):
                for index in range(self._pool.config.frames_per_scene):
                    if self._pool.cached_body(scene, index, rule) is None:
                        self._submit(scene, index, rule)
                        queued += 1
        return queued

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
