"""Motion detection on a reduced gray frame.

A per-pixel background (running mean) with a per-pixel noise estimate (running
mean absolute deviation). Only pixels judged still update the background
quickly (selective update); moving ones are absorbed slowly. Each frame is
first scaled to the background's mean brightness over still pixels, so clouds,
auto-exposure steps and gain ramps do not read as motion. Pixels that keep
changing (a ticking on-screen clock) are learned and ignored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from ingest.analysis.frames import reduce_gray
from ingest.analysis.motion_config import MotionConfig
from ingest.analysis.motion_events import EventState, MotionEvent, step_events
from ingest.analysis.regions import rasterize

Box = tuple[int, int, int, int]
Mask = npt.NDArray[np.uint8]
Float = npt.NDArray[np.float32]

_GAIN_LIMITS = (0.25, 4.0)


@dataclass(frozen=True, slots=True)
class MotionResult:
    """What moved in one frame.

    area: moving fraction of the watched (unmasked) area.
    boxes: [x1, y1, x2, y2] in input-resolution pixels, x2/y2 exclusive.
    zones: names of the configured zones that motion touched.
    event: `motion.start` / `motion.end` when this frame crossed the hysteresis.
    active: whether a motion event is open after this frame.
    scene_change: the whole view changed at once; the background was re-seeded.
    mask: 0/255 moving-pixel mask at input resolution, only when requested.
    """

    area: float
    boxes: tuple[Box, ...]
    zones: tuple[str, ...]
    event: MotionEvent | None
    active: bool
    scene_change: bool = False
    mask: Mask | None = None


@dataclass(slots=True)
class _Model:
    """Per-pixel learned state at processing resolution.

    flicker holds, per pixel, the running share (0..255) of frames in which it
    changed; pixels outside the watched area are pinned at 255 so the same
    comparison that drops flickering pixels also drops masked ones.
    """

    background: Float
    deviation: Float
    flicker: Float
    still: Mask
    watched: Mask
    zones: tuple[tuple[str, Mask], ...]
    watched_pixels: int
    last_t: float


def _rate(dt: float, time_constant: float) -> float:
    """Per-frame weight of an exponential average with `time_constant`, for a step of `dt`."""
    return 1.0 - math.exp(-dt / time_constant) if dt > 0 else 0.0


def _seed(small: npt.NDArray[np.uint8], t: float, cfg: MotionConfig) -> _Model:
    height, width = small.shape
    watched = np.full((height, width), 255, dtype=np.uint8)
    if cfg.mask:
        watched = cast(Mask, cv2.bitwise_not(rasterize(cfg.mask, width, height)))
    zones = tuple(
        (zone.name, cast(Mask, cv2.bitwise_and(rasterize((zone.polygon,), width, height), watched)))
        for zone in cfg.zones
    )
    return _Model(
        background=small.astype(np.float32),
        deviation=np.zeros((height, width), dtype=np.float32),
        flicker=np.where(watched > 0, 0.0, 255.0).astype(np.float32),
        still=np.full((height, width), 255, dtype=np.uint8),
        watched=watched,
        zones=zones,
        watched_pixels=max(1, cv2.countNonZero(watched)),
        last_t=t,
    )


class MotionDetector:
    """Motion for one camera. Feed frames in time order with their timestamps (s)."""

    def __init__(self, config: MotionConfig | None = None) -> None:
        self.config = config or MotionConfig()
        self._model: _Model | None = None
        self._events = EventState()

    def reset(self) -> None:
        """Forget the learned background (after a PTZ move or a stream switch)."""
        self._model = None
        self._events = EventState()

    def process(
        self, frame: npt.NDArray[np.uint8], t: float, want_mask: bool = False
    ) -> MotionResult:
        """Analyse one frame (gray or BGR, any resolution) taken at time `t` seconds."""
        cfg = self.config
        in_height, in_width = frame.shape[:2]
        small = reduce_gray(frame, cfg.width)
        model = self._model
        if model is None or model.background.shape != small.shape:
            self._model = _seed(small, t, cfg)
            return self._finish(t, None, 0.0, (), (), (in_width, in_height), want_mask, seed=True)
        dt = t - model.last_t
        model.last_t = t

        still = model.still
        # The comparison runs on uint8 copies: half a level of rounding is far below any
        # useful threshold, and 8-bit arithmetic is several times cheaper than float.
        background = cv2.convertScaleAbs(model.background)
        gain = cv2.mean(background, still)[0] / max(cv2.mean(small, still)[0], 1.0)
        gain = min(max(gain, _GAIN_LIMITS[0]), _GAIN_LIMITS[1])
        compensated = cv2.convertScaleAbs(small, alpha=gain)
        diff = cv2.absdiff(compensated, background)
        limit = _at_least(
            cv2.convertScaleAbs(model.deviation, alpha=cfg.noise_factor), cfg.threshold
        )
        raw = cast(Mask, cv2.compare(diff, limit, cv2.CMP_GT))
        cv2.accumulateWeighted(raw, model.flicker, _rate(dt, cfg.flicker_time_s), model.watched)

        if cv2.countNonZero(raw) > cfg.scene_change_area * raw.size:
            # IR switch or a knocked camera: the old background says nothing any more.
            model.background = compensated.astype(np.float32)
            model.still[:] = 255
            return self._finish(t, None, 0.0, (), (), (in_width, in_height), want_mask, True)

        steady = _compare(model.flicker, cfg.flicker_rate * 255.0, cv2.CMP_LT)
        if gain < 1.0:
            # Brighter light clips highlights at 255, which no gain can undo: a clipped
            # pixel that compensates to below its background is lighting, not motion.
            clipped = cv2.bitwise_and(
                _compare(small, 250.0, cv2.CMP_GE),
                cv2.compare(compensated, background, cv2.CMP_LT),
            )
            steady = cast(Mask, cv2.bitwise_and(steady, cv2.bitwise_not(clipped)))
        # A 3x3 median drops isolated specks and fills pinholes in one cheap pass.
        moving = cast(Mask, cv2.medianBlur(cv2.bitwise_and(raw, steady), 3))
        still = cast(Mask, cv2.bitwise_not(moving))
        model.still = still
        learn = _rate(dt, cfg.background_time_s)
        cv2.accumulateWeighted(compensated, model.background, learn, still)
        cv2.accumulateWeighted(compensated, model.background, _rate(dt, cfg.absorb_time_s), moving)
        cv2.accumulateWeighted(diff, model.deviation, learn, still)

        count = cv2.countNonZero(moving)
        boxes: tuple[Box, ...] = ()
        zones: tuple[str, ...] = ()
        if count >= cfg.min_box_area * moving.size:
            boxes = _boxes(moving, (in_width, in_height), cfg.min_box_area * moving.size)
            zones = tuple(
                name
                for name, zone in model.zones
                if cv2.countNonZero(cv2.bitwise_and(moving, zone))
                >= max(1.0, cfg.min_box_area * moving.size)
            )
        area = count / model.watched_pixels
        return self._finish(t, moving, area, boxes, zones, (in_width, in_height), want_mask)

    def _finish(
        self,
        t: float,
        moving: Mask | None,
        area: float,
        boxes: tuple[Box, ...],
        zones: tuple[str, ...],
        size: tuple[int, int],
        want_mask: bool,
        scene_change: bool = False,
        seed: bool = False,
    ) -> MotionResult:
        event = None
        if not seed:
            cfg = self.config
            self._events, event = step_events(
                self._events,
                area >= cfg.trigger_area and area > 0,
                t,
                cfg.start_after_s,
                cfg.end_after_s,
            )
        mask = upscale_mask(moving, size) if want_mask else None
        return MotionResult(area, boxes, zones, event, self._events.active, scene_change, mask)


def _boxes(moving: Mask, size: tuple[int, int], min_pixels: float) -> tuple[Box, ...]:
    """Bounding boxes of the moving blobs large enough to report, in input pixels."""
    contours, _ = cv2.findContours(moving, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    scale_x = size[0] / moving.shape[1]
    scale_y = size[1] / moving.shape[0]
    boxes = []
    # A plain loop: there are a handful of blobs, and numpy's call overhead costs more.
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if w * h >= min_pixels:
            boxes.append(
                (
                    math.floor(x * scale_x),
                    math.floor(y * scale_y),
                    math.ceil((x + w) * scale_x),
                    math.ceil((y + h) * scale_y),
                )
            )
    boxes.sort()
    return tuple(boxes)


def upscale_mask(moving: Mask | None, size: tuple[int, int]) -> Mask:
    """A 0/255 mask at `size` (width, height): bilinear, then cut at half, so edges fall
    between the coarse cells instead of on their blocky borders."""
    width, height = size
    if moving is None:
        return np.zeros((height, width), dtype=np.uint8)
    if moving.shape == (height, width):
        return moving.copy()
    smooth = cv2.resize(moving, (width, height), interpolation=cv2.INTER_LINEAR)
    return _compare(smooth, 127.0, cv2.CMP_GT)


# OpenCV's type stubs only declare the array-array forms of these two functions;
# the scalar forms used here are documented and avoid building a constant image.
def _compare(image: npt.NDArray[np.generic], level: float, operation: int) -> Mask:
    return cast(Mask, cv2.compare(image, level, operation))  # type: ignore[call-overload]


def _at_least(image: npt.NDArray[np.generic], level: float) -> Mask:
    return cast(Mask, cv2.max(image, level))  # type: ignore[call-overload]
