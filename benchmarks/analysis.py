"""Speed of the analysis kernels on one core, against OpenCV's MOG2 and KNN, and the
labelled health evaluation (see `benchmarks.detection_eval`, split into tuning and
evaluation clips in `benchmarks.clips`).

Every figure is the mean (and median) of per-frame `time.perf_counter` readings
over `repeats` passes through distinct decoded frames, so the input comes in
cold from memory as it would from a decoder.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks import clips as clip_files
from benchmarks import detection_eval, health_summary, motion_eval
from ingest.analysis.frames import prepare_sample, to_gray
from ingest.analysis.health import HealthChecker
from ingest.analysis.motion import MotionDetector

Frame = np.ndarray[Any, np.dtype[np.uint8]]
SPEED_CLIP = "car-traffic-640x360.mp4"
_WARMUP = 30


def _timed(step: Callable[[int], object], count: int, repeats: int) -> tuple[float, float]:
    """(mean ms, median ms) of `step(i)` over `repeats` x `count` calls after a warm-up."""
    for index in range(min(_WARMUP, count)):
        step(index)
    readings = []
    for _ in range(repeats):
        for index in range(count):
            start = time.perf_counter()
            step(index)
            readings.append(time.perf_counter() - start)
    return statistics.fmean(readings) * 1e3, statistics.median(readings) * 1e3


def _speed_frames(directory: Path, count: int) -> tuple[list[Frame], str]:
    path = directory / SPEED_CLIP
    if path.is_file():
        clip = clip_files.read_clip(path, limit=count)
        return list(clip.frames), SPEED_CLIP
    # No clips here: textured synthetic frames keep the timing meaningful.
    rng = np.random.default_rng(1)
    base = cv2.GaussianBlur(rng.integers(0, 255, (360, 640, 3), dtype=np.uint8), (0, 0), 3)
    frames = [np.asarray(np.roll(base, 4 * i, axis=1), dtype=np.uint8) for i in range(count)]
    return frames, "synthetic 640x360"


def measure_speed(frames: Sequence[Frame], repeats: int) -> dict[str, float]:
    cv2.setNumThreads(1)
    count = len(frames)
    luma = [to_gray(frame).copy() for frame in frames]
    period = 1 / 30

    detector = MotionDetector()
    motion_ms, motion_median = _timed(
        lambda i: detector.process(luma[i], i * period), count, repeats
    )
    detector_bgr = MotionDetector()
    motion_bgr_ms, _ = _timed(lambda i: detector_bgr.process(frames[i], i * period), count, repeats)

    checker = HealthChecker()

    def health_step(i: int) -> None:
        sample = prepare_sample(frames[i])
        checker.check(sample.gray, i * period, color=sample.thumb)

    health_ms, health_median = _timed(health_step, count, repeats)
    mog2 = cv2.createBackgroundSubtractorMOG2()
    mog2_ms, mog2_median = _timed(lambda i: mog2.apply(frames[i]), count, max(1, repeats // 3))
    knn = cv2.createBackgroundSubtractorKNN()
    knn_ms, knn_median = _timed(lambda i: knn.apply(frames[i]), count, max(1, repeats // 3))
    return {
        "motion_ms": motion_ms,
        "motion_median_ms": motion_median,
        "motion_bgr_ms": motion_bgr_ms,
        "health_ms": health_ms,
        "health_median_ms": health_median,
        "mog2_ms": mog2_ms,
        "mog2_median_ms": mog2_median,
        "knn_ms": knn_ms,
        "knn_median_ms": knn_median,
    }


def motion_quality(directory: Path) -> tuple[list[motion_eval.MotionScore], int]:
    """F-measure per plate, and motion starts over all quiet scenes (must be 0)."""
    names = clip_files.CLIP_NAMES
    plates = {name: clip_files.median_plate(directory / name) for name in names}
    donors = {name: clip_files.read_clip(directory / name, limit=101).frames[100] for name in names}
    scores = []
    starts = 0
    for index, name in enumerate(names):
        # The donor pairs of the first four clips, kept so figures stay comparable.
        donor = donors[names[(index + 2) % 4]]
        scores.append(motion_eval.score_motion(name, plates[name], donor))
        for case in ("ramp-up", "ramp-down", "timestamp"):
            starts += motion_eval.quiet_scene_starts(name, plates[name], case).starts
    return scores, starts


def run(
    repeats: int = 3, frames: int = 300, report: Callable[[str], None] = print
) -> dict[str, Any]:
    """Measure, print a readable report through `report`, return the figures."""
    directory = clip_files.clips_dir()
    speed_frames, source = _speed_frames(directory, frames)
    report(f"speed: {len(speed_frames)} frames of {source}, {repeats} passes, one core")
    figures: dict[str, Any] = {"bench": "analysis"}
    speed = measure_speed(speed_frames, repeats)
    figures.update({key: round(value, 4) for key, value in speed.items()})
    figures["speedup_vs_mog2"] = round(speed["mog2_ms"] / speed["motion_ms"], 1)
    figures["speedup_vs_knn"] = round(speed["knn_ms"] / speed["motion_ms"], 1)
    figures["health_vs_mog2"] = round(speed["mog2_ms"] / speed["health_ms"], 1)
    report(
        f"  motion  {speed['motion_ms']:.3f} ms/frame mean ({speed['motion_median_ms']:.3f} median)"
        f" from 640x360 luma; {speed['motion_bgr_ms']:.3f} ms from BGR"
    )
    report(f"  health  {speed['health_ms']:.3f} ms/sample mean (BGR in, all checks)")
    for name in ("mog2", "knn"):
        ratio = figures[f"speedup_vs_{name}"]
        report(f"  {name.upper():7s} {speed[name + '_ms']:.3f} ms/frame -> motion {ratio}x faster")

    missing = clip_files.missing_clips(directory)
    if missing:
        report(f"labelled evaluation skipped: clips missing from {directory}: {', '.join(missing)}")
        return figures
    scores, quiet_starts = motion_quality(directory)
    report("motion F-measure on synthetic ground truth (patches moved over median plates):")
    for score in scores:
        quality = f"F={score.f_measure:.3f} P={score.precision:.3f} R={score.recall:.3f}"
        report(f"  {score.plate:26s} {quality}")
    report(f"  motion starts on still scenes under lighting ramps / ticking clock: {quiet_starts}")
    figures["f_measure_min"] = round(min(s.f_measure for s in scores), 4)
    figures["f_measure_mean"] = round(statistics.fmean(s.f_measure for s in scores), 4)
    figures["quiet_motion_starts"] = quiet_starts

    found = detection_eval.evaluate(directory)
    health_summary.report(found, report)
    figures.update(health_summary.figures(found))
    return figures
