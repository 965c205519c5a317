"""Taking one camera's sample and having it judged.

Which source (an HTTP snapshot, or one RTSP key frame when a camera has no snapshot
URL) and where the CPU work runs: in the analysis processes (each camera pinned to
one), on a thread pool, or inline. The sampler owns each camera's source, checker and
the saved baseline waiting for its first sample; the runtime decides when.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import datetime
from typing import Any, Protocol

from bus.vocabulary import ProbeFailure
from config.clock import WallClock
from ingest.analysis.health_codes import HealthVerdict
from ingest.fleet.targets import CameraTarget
from ingest.probing.analysis_pool import AnalysisPool
from ingest.probing.judged import Judged, SeenPicture
from ingest.sources.base import FrameSource
from ingest.sources.failures import ProbeError
from ingest.sources.http_client import HttpClient, HttpTimeouts
from ingest.sources.jpeg import decode_jpeg
from ingest.sources.rtsp import RtspSource, RtspTimeouts
from ingest.sources.sample import Sample
from ingest.sources.snapshot import HttpSnapshotSource


class Checker(Protocol):
    """One camera's health analysis (learned baseline inside)."""

    def check(
        self, gray: Any, t: float, color: Any = None, *, payload_digest: bytes | None = None
    ) -> HealthVerdict: ...

    def state_dict(self) -> dict[str, Any]: ...


# Makes a camera's checker, from its saved baseline when there is one.
CheckerFactory = Callable[[str, dict[str, Any] | None], Checker]


class Sampler:
    def __init__(
        self,
        http: HttpClient,
        wall_clock: WallClock,
        checker_factory: CheckerFactory,
        *,
        timeouts: HttpTimeouts,
        rtsp_threads: int,
        executor: Executor | None,
        pool: AnalysisPool | None,
    ) -> None:
        self.http = http
        self.wall_clock = wall_clock
        self.checker_factory = checker_factory
        self.timeouts = timeouts
        self.rtsp_threads = rtsp_threads
        self.executor = executor
        self.pool = pool
        self._sources: dict[str, FrameSource] = {}
        self._checkers: dict[str, Checker] = {}
        self._pooled: set[str] = set()
        self._saved: dict[str, dict[str, Any]] = {}
        self._rtsp_executor: ThreadPoolExecutor | None = None

    # -- which cameras it knows ------------------------------------------------------------

    def held(self) -> set[str]:
        """Cameras with a source, a checker or an analysis process holding their checker."""
        return set(self._sources) | set(self._checkers) | self._pooled

    def known(self) -> set[str]:
        """Cameras whose baseline is here already (learned, or loaded and waiting)."""
        return set(self._checkers) | self._pooled | set(self._saved)

    def adopt_baselines(self, states: dict[str, dict[str, Any]]) -> None:
        self._saved.update(states)

    async def baselines(self, cameras: list[str] | None = None) -> dict[str, dict[str, Any]]:
        """Learned baselines of `cameras` (or all), read where the checkers live."""
        chosen = list(self._checkers) if cameras is None else cameras

        def collect() -> dict[str, dict[str, Any]]:  # on the analysis executor: no race
            return {c: self._checkers[c].state_dict() for c in chosen if c in self._checkers}

        if self.executor is None:
            states = collect()
        else:
            states = await asyncio.get_running_loop().run_in_executor(self.executor, collect)
        if self.pool is not None and self._pooled:
            pooled = None if cameras is None else [c for c in cameras if c in self._pooled]
            states.update(await self.pool.states(pooled))
        return states

    async def forget(self, cameras: list[str]) -> None:
        for camera in cameras:
            self._sources.pop(camera, None)
            self._checkers.pop(camera, None)
            self._saved.pop(camera, None)
        pooled = [c for c in cameras if c in self._pooled]
        if self.pool is not None and pooled:
            await self.pool.forget(pooled)
            self._pooled.difference_update(pooled)

    # -- one sample --------------------------------------------------------------------------

    def _source(self, target: CameraTarget) -> FrameSource:
        source = self._sources.get(target.camera_id)
        if source is not None:
            return source
        url = target.probe_url
        if url is not None and url.startswith(("rtsp://", "rtsps://")):
            # No snapshot URL: one key frame from the stream, opened and closed per sample.
            # PyAV blocks, so RTSP samples run on their own thread pool.
            if self._rtsp_executor is None:
                self._rtsp_executor = ThreadPoolExecutor(
                    self.rtsp_threads, thread_name_prefix="rtsp"
                )
            read = self.timeouts.read_s
            source = RtspSource(
                url,
                clock=self.wall_clock,
                credentials=target.credentials,
                timeouts=RtspTimeouts(open_s=read, read_s=read, keyframe_s=2 * read),
                executor=self._rtsp_executor,
            )
        elif url is not None and url.startswith(("http://", "https://")):
            source = HttpSnapshotSource(
                self.http,
                url,
                clock=self.wall_clock,
                credentials=target.credentials,
                timeouts=self.timeouts,
            )
        else:
            raise ProbeError(ProbeFailure.NO_VIDEO, "no snapshot, HTTP or RTSP URL to probe")
        self._sources[target.camera_id] = source
        return source

    def _checker(self, camera_id: str) -> Checker:
        """The camera's checker; made on the loop thread only, never from an analysis thread."""
        checker = self._checkers.get(camera_id)
        if checker is None:
            saved = self._saved.pop(camera_id, None)
            checker = self._checkers[camera_id] = self.checker_factory(camera_id, saved)
        return checker

    @staticmethod
    def _judge(checker: Checker, sample: Sample) -> HealthVerdict:
        t = sample.captured_at.timestamp()
        return checker.check(
            sample.gray, t, color=sample.thumb, payload_digest=sample.payload_digest
        )

    @staticmethod
    def _decode_and_judge(
        checker: Checker, source: HttpSnapshotSource, jpeg: bytes, captured_at: datetime
    ) -> tuple[Sample, HealthVerdict]:
        """One hop to the thread pool for the whole CPU part of a snapshot probe."""
        sample = Sample.from_reduced(decode_jpeg(jpeg, source.decode_options), captured_at, jpeg)
        return sample, Sampler._judge(checker, sample)

    async def sample_and_judge(self, target: CameraTarget) -> Judged:
        """The sample's time, what the checks made of it and its picture; raises ProbeError."""
        source = self._source(target)
        camera_id = target.camera_id
        if isinstance(source, HttpSnapshotSource) and self.pool is not None:
            jpeg = await source.fetch_jpeg()
            at = self.wall_clock()
            saved = self._saved.pop(camera_id, None)
            judged, _size = await self.pool.analyse(camera_id, jpeg, at.timestamp(), saved)
            self._pooled.add(camera_id)
            return Judged(at, judged, SeenPicture(jpeg))
        checker = self._checker(camera_id)
        if self.executor is None:
            sample = await source.sample()
            verdict = self._judge(checker, sample)
        elif isinstance(source, HttpSnapshotSource):
            jpeg = await source.fetch_jpeg()
            sample, verdict = await asyncio.get_running_loop().run_in_executor(
                self.executor, self._decode_and_judge, checker, source, jpeg, self.wall_clock()
            )
        else:
            sample = await source.sample()
            verdict = await asyncio.get_running_loop().run_in_executor(
                self.executor, self._judge, checker, sample
            )
        return Judged(sample.captured_at, verdict, SeenPicture.of(sample))

    async def close(self) -> None:
        if self.pool is not None:
            await asyncio.to_thread(self.pool.close)
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
        if self._rtsp_executor is not None:
            self._rtsp_executor.shutdown(wait=False, cancel_futures=True)
