from __future__ import annotations

import numpy as np
import pytest

from ingest.analysis.motion import MotionDetector
from ingest.analysis.motion_config import MotionConfig
from ingest.analysis.motion_events import MotionEvent
from ingest.analysis.regions import Zone
from ingest.simulator import fault_painter as fi

from .scenes import render, scene

FPS = 10.0
RIGHT_HALF = ((0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 1.0))
LEFT_HALF = ((0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0))


def _warm(
    detector: MotionDetector, picture: fi.Frame, rng: np.random.Generator, n: int = 30
) -> None:
    for i in range(n):
        detector.process(render(picture, rng), i / FPS)


def _with_square(picture: fi.Frame, x: int, y: int, size: int = 60) -> fi.Frame:
    out = picture.copy()
    out[y : y + size, x : x + size] = (245, 245, 250)
    return out


def test_moving_square_gives_box_area_and_mask() -> None:
    rng = np.random.default_rng(0)
    picture = scene()
    detector = MotionDetector()
    _warm(detector, picture, rng)
    result = None
    for step in range(10):
        frame = render(_with_square(picture, 100 + 20 * step, 150), rng)
        result = detector.process(frame, (30 + step) / FPS, want_mask=True)
    assert result is not None
    assert result.mask is not None
    assert result.mask.shape == (360, 640)
    x1, y1, x2, y2 = max(result.boxes, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
    # The square sits at x 280..340, y 150..210 in the last frame.
    assert abs(x1 - 280) <= 8
    assert abs(x2 - 340) <= 8
    assert abs(y1 - 150) <= 8
    assert abs(y2 - 210) <= 8
    assert result.area == pytest.approx(60 * 60 / (640 * 360), rel=0.5)
    truth = np.zeros((360, 640), bool)
    truth[150:210, 280:340] = True
    hit = result.mask > 0
    f_measure = 2 * np.sum(hit & truth) / (np.sum(hit) + np.sum(truth))
    assert f_measure > 0.85


def test_mask_only_on_request_and_still_scene_is_quiet() -> None:
    rng = np.random.default_rng(1)
    picture = scene()
    detector = MotionDetector()
    results = [detector.process(render(picture, rng), i / FPS) for i in range(60)]
    assert all(r.mask is None for r in results)
    assert all(r.event is None for r in results)
    assert max(r.area for r in results[5:]) < 0.002


def test_event_start_and_end_follow_timestamps() -> None:
    rng = np.random.default_rng(2)
    picture = scene()
    detector = MotionDetector(MotionConfig(start_after_s=0.5, end_after_s=2.0))
    _warm(detector, picture, rng)
    events = []
    for step in range(80):
        t = (30 + step) / FPS
        frame = _with_square(picture, 40 + 15 * step, 100) if step < 20 else picture
        result = detector.process(render(frame, rng), t)
        if result.event is not None:
            events.append((round(t - 3.0, 2), result.event))
    assert [e for _, e in events] == [MotionEvent.START, MotionEvent.END]
    assert 0.5 <= events[0][0] <= 0.7
    assert 3.9 <= events[1][0] <= 4.3


def test_zones_and_masks() -> None:
    rng = np.random.default_rng(3)
    picture = scene()
    config = MotionConfig(mask=(LEFT_HALF,), zones=(Zone("gate", RIGHT_HALF),))
    detector = MotionDetector(config)
    _warm(detector, picture, rng)
    left = detector.process(render(_with_square(picture, 100, 100), rng), 3.1)
    assert left.area == 0.0
    assert left.boxes == ()
    assert left.zones == ()
    right = detector.process(render(_with_square(picture, 450, 100), rng), 3.2)
    assert right.zones == ("gate",)
    assert right.boxes
    assert right.boxes[0][0] >= 320


def test_illumination_ramp_is_not_motion() -> None:
    rng = np.random.default_rng(4)
    picture = scene()
    for direction in (+1, -1):
        detector = MotionDetector()
        events = []
        for i in range(200):
            gain = 1.0 + direction * 0.4 * min(max((i - 20) / 100, 0.0), 1.0)
            result = detector.process(render(fi.illumination(picture, gain), rng), i / FPS)
            events.append(result.event)
        assert MotionEvent.START not in events


def test_sudden_global_change_is_not_motion() -> None:
    rng = np.random.default_rng(5)
    picture = scene()
    detector = MotionDetector()
    _warm(detector, picture, rng)
    night = (255 - picture)[:, ::-1].copy()  # IR switch: surfaces change brightness order
    result = detector.process(render(night, rng), 3.1)
    assert result.scene_change
    assert result.area == 0.0
    later = [detector.process(render(night, rng), 3.2 + i / FPS) for i in range(20)]
    assert all(r.event is None for r in later)


def test_ticking_timestamp_is_not_motion() -> None:
    rng = np.random.default_rng(6)
    picture = scene()
    detector = MotionDetector()
    starts = 0
    for i in range(600):
        t = i / 25.0
        result = detector.process(render(fi.draw_timestamp(picture, t), rng), t)
        starts += result.event is MotionEvent.START
    assert starts == 0


def test_config_bounds() -> None:
    with pytest.raises(ValueError, match="threshold"):
        MotionConfig(threshold=0.0)
    with pytest.raises(ValueError, match="unique"):
        MotionConfig(zones=(Zone("a", RIGHT_HALF), Zone("a", LEFT_HALF)))


def test_input_resolution_change_keeps_model_and_rescales_boxes() -> None:
    rng = np.random.default_rng(7)
    picture = scene()
    detector = MotionDetector()
    _warm(detector, picture, rng)
    # The stream switches to 320x180: the model works at 160x90 either way.
    half = render(_with_square(picture, 400, 100), rng)[::2, ::2].copy()
    result = detector.process(half, 3.1, want_mask=True)
    assert result.mask is not None
    assert result.mask.shape == (180, 320)
    assert result.boxes
    assert all(0 <= x1 < x2 <= 320 and 0 <= y1 < y2 <= 180 for x1, y1, x2, y2 in result.boxes)
    assert any(abs(x1 - 200) <= 6 and abs(y1 - 50) <= 6 for x1, y1, _, _ in result.boxes)


def test_reset_relearns() -> None:
    rng = np.random.default_rng(8)
    detector = MotionDetector()
    _warm(detector, scene(), rng)
    detector.reset()
    result = detector.process(render(scene(seed=3), rng), 5.0)
    assert result.area == 0.0
    assert result.event is None
