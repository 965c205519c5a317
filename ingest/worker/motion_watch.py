"""Motion watch for key sites: a low-fps sub-stream kept open, the motion detector on it.

Health sampling opens a camera once a minute; a key site (a school gate, a square) is
watched continuously instead. Each watched camera has one task that reads its MJPEG
or RTSP sub-stream, runs the motion detector on every frame and publishes
`motion.start` / `motion.end` with the moving area, the boxes (as fractions of the
frame, so they do not depend on the stream's size) and the zones hit. A stream that
fails is reopened with back-off. Kept-open streams cost 12–30× a snapshot per camera
(docs/performance.md § Sources), so the number watched per worker is capped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from bus.events import EventType
from config.clock import WallClock
from ingest.analysis.motion import MotionDetector, MotionResult
from ingest.analysis.motion_config import MotionConfig
from ingest.fleet.targets import CameraTarget
from ingest.publishing.publisher import EventDraft, Publisher
from ingest.sources.base import StreamSource
from ingest.sources.failures import ProbeError
from ingest.sources.http_client import HttpClient, HttpLimits
from ingest.sources.mjpeg import MjpegSource
from ingest.sources.rtsp import RtspSource
from ingest.sources.sample import Sample

log = logging.getLogger(__name__)
RETRY_MIN_S, RETRY_MAX_S = 2.0, 60.0


def motion_data(result: MotionResult, width: int, height: int) -> dict[str, Any]:
    """Event data for a motion result: boxes as fractions of the frame."""
    boxes = [
        [round(x1 / width, 4), round(y1 / height, 4), round(x2 / width, 4), round(y2 / height, 4)]
        for x1, y1, x2, y2 in result.boxes[:32]
    ]
    return {"area": round(result.area, 4), "boxes": boxes, "zones": list(result.zones)}


class MotionWatch:
    def __init__(
        self,
        publisher: Publisher,
        clock: WallClock,
        *,
        max_streams: int,
        config: MotionConfig | None = None,
    ) -> None:
        self.publisher = publisher
        self._http: HttpClient | None = None
        self.clock = clock
        self.max_streams = max_streams
        self.config = config or MotionConfig()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.events = 0
        self.failures = 0

    @property
    def watched(self) -> frozenset[str]:
        return frozenset(self._tasks)

    def sync(self, targets: dict[str, CameraTarget]) -> None:
        """Watch the flagged cameras among `targets` (up to the cap); stop watching the rest."""
        wanted = sorted(c for c, t in targets.items() if t.motion_watch and t.stream_url)
        wanted = wanted[: self.max_streams]
        for camera in [c for c in self._tasks if c not in wanted]:
            self._tasks.pop(camera).cancel()
        for camera in wanted:
            running = self._tasks.get(camera)
            if running is not None and running.done():
                # `_watch` reopens on every error it catches; a task that still ended
                # is restarted here, at the next lease renewal, rather than lost.
                log.error("motion watch %s had stopped; restarting it", camera)
                self.failures += 1
                running = None
            if running is None:
                task = asyncio.create_task(self._watch(targets[camera]), name=f"motion-{camera}")
                self._tasks[camera] = task

    def _open(self, target: CameraTarget) -> StreamSource:
        url = target.stream_url or ""
        if url.startswith(("rtsp://", "rtsps://")):
            return RtspSource(
                url, clock=self.clock, credentials=target.credentials, keyframes_only=False
            )
        if self._http is None:
            # Its own pool: a stream holds its connection for good, and must never take
            # one of the few connections per camera host that snapshot probes rely on.
            limits = HttpLimits(max_connections=max(self.max_streams, 1), per_host=self.max_streams)
            self._http = HttpClient(limits)
        return MjpegSource(self._http, url, clock=self.clock, credentials=target.credentials)

    async def _watch(self, target: CameraTarget) -> None:
        """Watch one stream for good: any failure closes it and reopens it with back-off."""
        detector = MotionDetector(self.config)
        retry = RETRY_MIN_S
        while True:
            source: StreamSource | None = None
            try:
                source = self._open(target)
                async for sample in source.frames():
                    self._detect(target, detector, sample)
                    retry = RETRY_MIN_S
            except ProbeError as error:
                log.info("motion watch %s: %s; reopening in %.0f s", target.camera_id, error, retry)
            except Exception:  # our own failure (a bug, a full spool): log it, reopen
                self.failures += 1
                log.exception("motion watch %s failed; reopening", target.camera_id)
            finally:
                if source is not None:
                    with contextlib.suppress(Exception):
                        await source.aclose()
            await asyncio.sleep(retry)
            retry = min(retry * 2, RETRY_MAX_S)
            detector.reset()

    def _detect(self, target: CameraTarget, detector: MotionDetector, sample: Sample) -> None:
        result = detector.process(sample.gray, sample.captured_at.timestamp())
        if result.event is None:
            return
        height, width = sample.gray.shape[:2]
        self.publisher.publish_event(
            EventDraft(
                EventType(result.event.value),
                target.camera_id,
                target.district_code,
                motion_data(result, width, height),
                ts=sample.captured_at,
            )
        )
        self.events += 1

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._http is not None:
            await self._http.aclose()
            self._http = None
