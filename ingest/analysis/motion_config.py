"""Settings of the motion detector, one frozen value per camera."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from ingest.analysis.regions import Polygon, Zone, validate_polygon

# (low, high) inclusive bounds of each numeric field.
_BOUNDS: dict[str, tuple[float, float]] = {
    "width": (32, 640),
    "threshold": (1.0, 128.0),
    "noise_factor": (1.0, 20.0),
    "background_time_s": (0.1, 3600.0),
    "absorb_time_s": (1.0, 86400.0),
    "flicker_time_s": (1.0, 3600.0),
    "flicker_rate": (0.05, 1.0),
    "min_box_area": (0.0, 0.5),
    "trigger_area": (0.0, 1.0),
    "start_after_s": (0.0, 60.0),
    "end_after_s": (0.0, 3600.0),
    "scene_change_area": (0.1, 1.0),
}


@dataclass(frozen=True, slots=True)
class MotionConfig:
    """How one camera's motion is detected.

    width: processing width in pixels (height follows the aspect). 160 keeps a
        640x360 stream at 160x90, where one pixel averages 4x4 input pixels and
        so most sensor and compression noise.
    threshold: smallest brightness change (levels, after illumination
        compensation) that can count as motion, whatever the learned noise.
    noise_factor: a pixel is moving when its change exceeds this many times its
        own learned mean deviation (compression shimmer, swaying leaves).
    background_time_s: time constant with which the background follows pixels
        that are not moving (slow lighting drift).
    absorb_time_s: time constant with which moving pixels are folded into the
        background anyway, so a parked car stops being motion.
    flicker_time_s / flicker_rate: a pixel that has been changing more than
        `flicker_rate` of the time over about `flicker_time_s` is ignored; this
        is what silences a ticking on-screen clock and blinking OSD icons.
    min_box_area: blobs smaller than this fraction of the frame give no box.
    trigger_area: moving fraction of the watched area above which a frame
        counts as having motion for the start/end events.
    start_after_s: motion must last this long before `motion.start`.
    end_after_s: cool-down without motion before `motion.end`.
    scene_change_area: when more than this fraction changes at once (IR
        switch at dusk, camera knocked), the background is re-seeded and the
        frame reports no motion.
    mask: polygons (normalized 0..1 coordinates) where motion is ignored.
    zones: named polygons reported when motion touches them.
    """

    width: int = 160
    threshold: float = 12.0
    noise_factor: float = 3.5
    background_time_s: float = 4.0
    absorb_time_s: float = 60.0
    flicker_time_s: float = 15.0
    flicker_rate: float = 0.45
    min_box_area: float = 0.0008
    trigger_area: float = 0.002
    start_after_s: float = 0.4
    end_after_s: float = 3.0
    scene_change_area: float = 0.6
    mask: tuple[Polygon, ...] = ()
    zones: tuple[Zone, ...] = ()

    def __post_init__(self) -> None:
        for field in fields(self):
            bounds = _BOUNDS.get(field.name)
            if bounds is None:
                continue
            value: Any = getattr(self, field.name)
            if not bounds[0] <= value <= bounds[1]:
                raise ValueError(f"motion {field.name}={value} is outside {bounds[0]}..{bounds[1]}")
        object.__setattr__(self, "mask", tuple(validate_polygon(p) for p in self.mask))
        names = [zone.name for zone in self.zones]
        if len(set(names)) != len(names):
            raise ValueError(f"zone names must be unique, got {names}")
