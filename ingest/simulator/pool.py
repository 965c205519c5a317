"""The bounded pool of pre-encoded pictures every simulated camera is served from.

Healthy frames are encoded once at start; each fault's pictures are rendered and
encoded on first use and kept. The burned-in clock (OSD) lives in a band of whole
MCU rows at the top; the band is encoded once per second and spliced in front of
the pooled picture (see jpegsplice), so serving a snapshot costs a dict lookup and
a join, whatever the camera count.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import cv2
import numpy as np

from ingest.simulator import jpegsplice
from ingest.simulator.fault_painter import Frame
from ingest.simulator.faults import FaultRule
from ingest.simulator.imagefaults import render_fault
from ingest.simulator.scenes import SceneSource, clip_sources, synthetic_sources

CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")
_HEALTHY: tuple[object, ...] = ("healthy",)
_BANDS_KEPT = 4

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PoolConfig:
    size: tuple[int, int] = (1280, 720)
    # A prime frame count: probes every 10, 30, 60 or 300 s never land on one frame forever.
    frames_per_scene: int = 37
    frame_period_s: float = 1.0
    quality: int = 80
    osd_timezone: timezone = CHINA_STANDARD_TIME

    def __post_init__(self) -> None:
        width, height = self.size
        if not (64 <= width <= 4096 and 64 <= height <= 4096):
            raise ValueError(f"picture size {width}x{height} must be within 64..4096 per side")
        if self.frames_per_scene < 1 or self.frame_period_s <= 0:
            raise ValueError("frames_per_scene must be >= 1 and frame_period_s > 0")
        if not 1 <= self.quality <= 100:
            raise ValueError("quality must be within 1..100")

    @property
    def band_rows(self) -> int:
        """MCU rows of the OSD band: about 7 % of the height, at least one."""
        return max(1, round(self.size[1] * 0.066 / jpegsplice.MCU_ROW))


def osd_text(seconds: float, tz: timezone) -> str:
    return datetime.fromtimestamp(math.floor(seconds), tz).strftime("%Y-%m-%d %H:%M:%S")


def render_osd_band(text: str, width: int, rows: int) -> Frame:
    """A camera's clock band: light text on a dark strip, as many NVR overlays draw it."""
    height = rows * jpegsplice.MCU_ROW
    band = np.full((height, width, 3), 24, dtype=np.uint8)
    scale = height / 40
    thickness = max(1, round(height / 24))
    origin = (round(width * 0.02), round(height * 0.74))
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(band, text, origin, font, scale, (0, 0, 0), thickness + 2, cv2.LINE_AA)
    cv2.putText(band, text, origin, font, scale, (235, 235, 235), thickness, cv2.LINE_AA)
    return band


class FramePool:
    """Encoded pictures by (fault image key, scene, frame index); add scenes, then serve."""

    def __init__(self, config: PoolConfig) -> None:
        self.config = config
        self.scene_names: list[str] = []
        self._rows = config.band_rows
        width, height = config.size
        blank = jpegsplice.encode(np.zeros((height, width, 3), dtype=np.uint8), config.quality)
        self._header = blank[: jpegsplice.header_end(blank)]
        self._comparable = jpegsplice.comparable_header(blank)
        self._blank_band = jpegsplice.first_rows(blank, self._rows)
        self._bodies: dict[tuple[tuple[object, ...], int, int], bytes] = {}
        self._bands: dict[int, bytes] = {}

    def add_scene(self, name: str, frames: Iterable[Frame]) -> bool:
        """Encode a scene's frames (a shorter scene loops); False when it yields none."""
        scene = len(self.scene_names)
        encoded = [jpegsplice.rows_after(self._spliceable(frame), self._rows) for frame in frames]
        if not encoded:
            return False
        for index in range(self.config.frames_per_scene):
            self._bodies[(_HEALTHY, scene, index)] = encoded[index % len(encoded)]
        self.scene_names.append(name)
        return True

    @property
    def scene_count(self) -> int:
        return len(self.scene_names)

    def frame_index(self, phase: int, at: float) -> int:
        """Which pooled frame a camera with `phase` shows at clock time `at`."""
        return (phase + math.floor(at / self.config.frame_period_s)) % self.config.frames_per_scene

    def _spliceable(self, frame: Frame) -> bytes:
        jpeg = jpegsplice.encode(frame, self.config.quality)
        if jpegsplice.comparable_header(jpeg) != self._comparable:
            raise jpegsplice.SpliceError("encoder produced different JPEG tables")
        return jpeg

    def cached_body(self, scene: int, index: int, rule: FaultRule | None) -> bytes | None:
        """The pooled picture if it is already rendered, else None (render it with `body`)."""
        return self._bodies.get((_HEALTHY if rule is None else rule.image_key(), scene, index))

    def body(self, scene: int, index: int, rule: FaultRule | None) -> bytes:
        """Rows below the OSD band of one pooled picture, rendered and encoded on first use.

        Safe to call from a worker thread: it only adds finished entries to the cache.
        """
        key = (_HEALTHY if rule is None else rule.image_key(), scene, index)
        cached = self._bodies.get(key)
        if cached is not None:
            return cached
        frame = self._healthy_frame(scene, index)
        painted = render_fault(frame, rule, seed=scene * 100_003 + index)
        rows = jpegsplice.rows_after(self._spliceable(painted), self._rows)
        self._bodies[key] = rows
        return rows

    def _healthy_frame(self, scene: int, index: int) -> Frame:
        """The pooled healthy picture decoded again: raw frames are not kept (400 MB at 720p)."""
        jpeg = b"".join((self._header, self._blank_band, self._bodies[(_HEALTHY, scene, index)]))
        frame = cv2.imdecode(np.frombuffer(jpeg, dtype=np.uint8), cv2.IMREAD_COLOR)
        if frame is None:
            raise jpegsplice.SpliceError("pooled picture does not decode")
        # The band rows are not pooled; mirror the scene into them so that a shifted or
        # rotated view does not drag a blank strip into the picture.
        band = self._rows * jpegsplice.MCU_ROW
        frame[:band] = frame[band : 2 * band][::-1]
        return np.asarray(frame, dtype=np.uint8)

    def band(self, at: float) -> bytes:
        """The OSD band for the second containing `at`, encoded once per second."""
        second = math.floor(at)
        cached = self._bands.get(second)
        if cached is not None:
            return cached
        text = osd_text(second, self.config.osd_timezone)
        image = render_osd_band(text, self.config.size[0], self._rows)
        rows = jpegsplice.first_rows(self._spliceable(image), self._rows)
        if len(self._bands) >= _BANDS_KEPT:
            del self._bands[min(self._bands)]
        self._bands[second] = rows
        return rows

    def snapshot(self, scene: int, index: int, rule: FaultRule | None, at: float) -> bytes:
        """A whole JPEG: shared header, the clock band for `at`, the pooled picture."""
        return self.assemble(self.body(scene, index, rule), at)

    def assemble(self, body: bytes, at: float) -> bytes:
        return b"".join((self._header, self.band(at), body))

    def memory_bytes(self) -> int:
        """Bytes held by encoded pictures and bands (the pool's payload)."""
        bodies = sum(len(b) for b in self._bodies.values())
        return len(self._header) + bodies + sum(len(b) for b in self._bands.values())

    def entries(self) -> int:
        return len(self._bodies)


def _encode_sources(sources: list[SceneSource], config: PoolConfig) -> FramePool:
    pool = FramePool(config)
    for source in sources:
        if not pool.add_scene(source.name, source.frames()):
            log.warning(
                "simulator: scene %s gave no frames (undecodable clip?), skipped", source.name
            )
    return pool


def build_pool(clips_dir: Path | None, config: PoolConfig) -> FramePool:
    """The pool from the clips in `clips_dir`, or from synthetic scenes when there are none."""
    count, size = config.frames_per_scene, config.size
    if clips_dir is not None and clips_dir.is_dir():
        pool = _encode_sources(clip_sources(clips_dir, count, size), config)
        if pool.scene_count:
            log.info("simulator: %d scenes from the clips in %s", pool.scene_count, clips_dir)
            return pool
    log.warning("simulator: no usable clips in %s; serving synthetic scenes instead", clips_dir)
    return _encode_sources(synthetic_sources(count, size), config)
