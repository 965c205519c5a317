"""Motion detector against synthetic ground truth built from real pictures.

Real image patches (cut from another clip) glide over a real background plate
(the per-pixel median of a clip), so every moving pixel is known. Sensor noise
and an illumination ramp make the plate behave like a live camera. The score is
the pixel F-measure at input resolution, summed over all frames after warm-up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ingest.analysis.motion import MotionDetector
from ingest.analysis.motion_config import MotionConfig
from ingest.analysis.motion_events import MotionEvent
from ingest.simulator import fault_painter

Frame = npt.NDArray[np.uint8]
FPS = 25.0
WARMUP_FRAMES = 50
MOVING_FRAMES = 150


@dataclass(frozen=True, slots=True)
class Mover:
    """A patch entering at `start` (x, y pixels) and moving `velocity` pixels per frame."""

    patch: Frame
    start: tuple[float, float]
    velocity: tuple[float, float]


@dataclass(frozen=True, slots=True)
class MotionScore:
    plate: str
    f_measure: float
    precision: float
    recall: float
    frames: int


@dataclass(frozen=True, slots=True)
class QuietScore:
    """Motion events raised on a scene where nothing moves (must be zero)."""

    plate: str
    case: str
    starts: int
    max_area: float


def movers_for(plate: Frame, donor: Frame, rng: np.random.Generator) -> tuple[Mover, ...]:
    """Three patches cut from `donor`, sized to the plate, crossing it on different paths."""
    height, width = plate.shape[:2]
    movers = []
    paths = (
        ((-0.15, 0.55), (1.0, 0.0)),
        ((1.0, 0.15), (-0.8, 0.1)),
        ((0.35, -0.2), (0.2, 0.9)),
    )
    for (sx, sy), (vx, vy) in paths:
        pw = round(width * rng.uniform(0.09, 0.14))
        ph = round(height * rng.uniform(0.14, 0.22))
        patch = _textured_crop(donor, pw, ph, rng)
        speed = width / MOVING_FRAMES * 0.9
        movers.append(Mover(patch, (sx * width, sy * height), (vx * speed, vy * speed)))
    return tuple(movers)


def _textured_crop(donor: Frame, width: int, height: int, rng: np.random.Generator) -> Frame:
    """The most textured of a few random crops: a flat crop of sky is not an object."""
    donor_h, donor_w = donor.shape[:2]
    best: Frame | None = None
    best_spread = -1.0
    for _ in range(12):
        x = int(rng.integers(0, max(1, donor_w - width)))
        y = int(rng.integers(0, max(1, donor_h - height)))
        crop = np.ascontiguousarray(donor[y : y + height, x : x + width])
        spread = float(np.std(crop))
        if spread > best_spread:
            best, best_spread = crop, spread
    assert best is not None
    return best


def compose(plate: Frame, movers: tuple[Mover, ...], index: int) -> tuple[Frame, Frame]:
    """Frame `index` frames after warm-up and its 0/255 ground-truth mask."""
    frame = plate.copy()
    truth = np.zeros(plate.shape[:2], dtype=np.uint8)
    height, width = plate.shape[:2]
    for mover in movers:
        ph, pw = mover.patch.shape[:2]
        x = round(mover.start[0] + mover.velocity[0] * index)
        y = round(mover.start[1] + mover.velocity[1] * index)
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + pw, width), min(y + ph, height)
        if x0 >= x1 or y0 >= y1:
            continue
        frame[y0:y1, x0:x1] = mover.patch[y0 - y : y1 - y, x0 - x : x1 - x]
        truth[y0:y1, x0:x1] = 255
    return frame, truth


class Sensor:
    """Sensor noise of 2.5 levels, drawn from a bank of pre-generated fields (drawing a
    fresh 640x360x3 field per frame would dominate the evaluation's run time)."""

    def __init__(self, shape: tuple[int, ...], rng: np.random.Generator, fields: int = 24) -> None:
        self._rng = rng
        self._bank = [rng.normal(0.0, 2.5, size=shape).astype(np.float32) for _ in range(fields)]

    def render(self, frame: Frame, gain: float = 1.0) -> Frame:
        """A camera's rendering of `frame`: lighting gain, then sensor noise."""
        noise = self._bank[int(self._rng.integers(len(self._bank)))]
        return np.asarray(np.clip(frame.astype(np.float32) * gain + noise, 0, 255), dtype=np.uint8)


def score_motion(
    plate_name: str, plate: Frame, donor: Frame, seed: int = 7, config: MotionConfig | None = None
) -> MotionScore:
    """Pixel F-measure of the detector on patches moving over `plate`."""
    rng = np.random.default_rng(seed)
    movers = movers_for(plate, donor, rng)
    detector = MotionDetector(config)
    sensor = Sensor(plate.shape, rng)
    for index in range(WARMUP_FRAMES):
        detector.process(sensor.render(plate), index / FPS)
    true_pos = false_pos = false_neg = 0
    for index in range(MOVING_FRAMES):
        frame, truth = compose(plate, movers, index)
        result = detector.process(
            sensor.render(frame), (WARMUP_FRAMES + index) / FPS, want_mask=True
        )
        assert result.mask is not None
        hit = result.mask > 0
        want = truth > 0
        true_pos += int(np.count_nonzero(hit & want))
        false_pos += int(np.count_nonzero(hit & ~want))
        false_neg += int(np.count_nonzero(~hit & want))
    precision = true_pos / max(1, true_pos + false_pos)
    recall = true_pos / max(1, true_pos + false_neg)
    f_measure = 2 * true_pos / max(1, 2 * true_pos + false_pos + false_neg)
    return MotionScore(plate_name, f_measure, precision, recall, MOVING_FRAMES)


def quiet_scene_starts(
    plate_name: str, plate: Frame, case: str, seconds: float = 17.0, seed: int = 11
) -> QuietScore:
    """Motion starts on a still plate under `case`: 'ramp-up' / 'ramp-down' (±40 % light
    over 10 s from t = 4 s, then held) or 'timestamp' (a ticking burned-in clock)."""
    rng = np.random.default_rng(seed)
    detector = MotionDetector()
    sensor = Sensor(plate.shape, rng)
    starts = 0
    max_area = 0.0
    ramp_start = 4.0
    for index in range(round(seconds * FPS)):
        t = index / FPS
        progress = min(max((t - ramp_start) / 10.0, 0.0), 1.0)
        gain = 1.0
        if case == "ramp-up":
            gain = 1.0 + 0.4 * progress
        elif case == "ramp-down":
            gain = 1.0 - 0.4 * progress
        frame = fault_painter.draw_timestamp(plate, t) if case == "timestamp" else plate
        result = detector.process(sensor.render(frame, gain), t)
        if index > FPS:
            max_area = max(max_area, result.area)
        if result.event is MotionEvent.START:
            starts += 1
    return QuietScore(plate_name, case, starts, max_area)
