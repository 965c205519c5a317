"""Labelled evaluation of the health checks (and motion) on the real clips.

Faults are painted onto real frames with a known onset; negative cases
(lighting ramps, heavy traffic, rain, starved encoders) must raise nothing.

Sampling: the health checker sees every `SAMPLE_STEP`-th frame (0.13 s at
30 fps, 0.4 s at 10 fps). In production a camera is sampled every few seconds;
the clips are 12-80 s long, so a denser sampling is the only way to get enough
samples from them. Consecutive samples are therefore *more* alike than in
production, which makes the freeze check's job harder, not easier.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks import clips as clip_files
from benchmarks.motion_eval import compose, movers_for
from bus.vocabulary import FaultCode
from ingest.analysis.frames import prepare_sample
from ingest.analysis.health import HealthChecker
from ingest.simulator import fault_painter as fi

SAMPLE_STEP = 4
ONSET = 30
"""Sample index at which a fault starts (after the 5 learning samples and 25 more)."""
AFTER_ONSET = 15
DETECT_WITHIN = 5
MAX_SAMPLES = 150

Frame = fi.Frame
Painter = Callable[[Frame, int, float, np.random.Generator], Frame]
"""Paints the scenario onto a clean frame: (frame, sample index, time s, rng) -> frame."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """expected: the code that must be raised from `onset_sample` on (None: nothing may be)."""

    name: str
    expected: FaultCode | None
    paint: Painter
    early_from: int = ONSET


@dataclass(frozen=True, slots=True)
class RunResult:
    clip: str
    scenario: str
    expected: FaultCode | None
    detected_at: int | None
    delay: int | None
    false_alarms: tuple[str, ...]
    clean_samples: int
    other_codes: tuple[str, ...]

    @property
    def passed(self) -> bool:
        if self.false_alarms:
            return False
        if self.expected is None:
            return True
        return self.delay is not None and self.delay <= DETECT_WITHIN


@dataclass(slots=True)
class CheckSummary:
    runs: int = 0
    detected: int = 0
    delays: list[int] = field(default_factory=list)


def _scale(frame: Frame) -> float:
    return float(frame.shape[1]) / 640.0


def _after(onset: int, fault: Painter) -> Painter:
    def paint(frame: Frame, index: int, t: float, rng: np.random.Generator) -> Frame:
        return fault(frame, index, t, rng) if index >= onset else frame

    return paint


def _blur_ramp(frame: Frame, index: int, t: float, rng: np.random.Generator) -> Frame:
    # Reaches sigma 2 (at 640 px wide) at the onset, keeps growing to 4.
    sigma = min(4.0, max(0.0, 2.0 * (index - (ONSET - 4)) / 4.0))
    return fi.blur(frame, sigma * _scale(frame))


def _ticking(frame: Frame, index: int, t: float, rng: np.random.Generator) -> Frame:
    return fi.draw_timestamp(frame, t)


def _lighting(direction: float) -> Painter:
    def paint(frame: Frame, index: int, t: float, rng: np.random.Generator) -> Frame:
        # ±40 % over 10 s of clip time, from the onset on, then held.
        progress = min(max((t - _onset_time[0]) / 10.0, 0.0), 1.0) if index >= ONSET else 0.0
        return fi.illumination(frame, 1.0 + direction * 0.4 * progress)

    return paint


_onset_time = [0.0]


def scenarios() -> tuple[Scenario, ...]:
    def at_onset(code: FaultCode | None, name: str, fault: Painter) -> Scenario:
        return Scenario(name, code, _after(ONSET, fault))

    return (
        Scenario("blur-ramp", FaultCode.BLURRED, _blur_ramp, early_from=ONSET - 4),
        at_onset(FaultCode.BLURRED, "blur-3px", lambda f, i, t, r: fi.blur(f, 3 * _scale(f))),
        at_onset(FaultCode.OCCLUDED, "cover-full", lambda f, i, t, r: fi.cover(f)),
        at_onset(FaultCode.OCCLUDED, "cover-left-40", lambda f, i, t, r: fi.cover(f, 0.4)),
        at_onset(
            FaultCode.OCCLUDED,
            "cover-corner-30",
            lambda f, i, t, r: fi.cover(f, 0.3, colour=(30, 30, 35), side="bottom-right"),
        ),
        at_onset(
            FaultCode.OCCLUDED,
            "cover-translucent",
            lambda f, i, t, r: fi.cover(f, 1.0, 0.7, (200, 200, 200)),
        ),
        at_onset(
            FaultCode.OCCLUDED,
            "cover-translucent-top-50",
            lambda f, i, t, r: fi.cover(f, 0.5, 0.6, (210, 210, 210), side="top"),
        ),
        at_onset(FaultCode.MOVED, "shift-5", lambda f, i, t, r: fi.shift(f, 0.05)),
        at_onset(FaultCode.MOVED, "shift-10-diag", lambda f, i, t, r: fi.shift(f, -0.1, 0.1)),
        at_onset(FaultCode.MOVED, "shift-15", lambda f, i, t, r: fi.shift(f, -0.15)),
        at_onset(FaultCode.MOVED, "rotate-3", lambda f, i, t, r: fi.rotate(f, 3)),
        at_onset(FaultCode.MOVED, "rotate-5", lambda f, i, t, r: fi.rotate(f, -5)),
        Scenario("freeze-ticking", FaultCode.FROZEN, _ticking),  # frozen by the runner
        at_onset(FaultCode.NO_SIGNAL, "black", lambda f, i, t, r: fi.black(f)),
        at_onset(FaultCode.NO_SIGNAL, "blue-screen", lambda f, i, t, r: fi.no_signal_screen(f)),
        at_onset(FaultCode.TOO_DARK, "dark", lambda f, i, t, r: fi.darken(f)),
        at_onset(FaultCode.OVEREXPOSED, "overexposed", lambda f, i, t, r: fi.overexpose(f)),
        at_onset(FaultCode.COLOR_CAST, "colour-cast", lambda f, i, t, r: fi.colour_cast(f)),
        at_onset(FaultCode.NOISY, "noise-20", lambda f, i, t, r: fi.gaussian_noise(f, 20, r)),
        Scenario("light-up-40", None, _lighting(+1.0)),
        Scenario("light-down-40", None, _lighting(-1.0)),
        at_onset(None, "rain", lambda f, i, t, r: fi.rain(f, r)),
        at_onset(None, "jpeg-q15", lambda f, i, t, r: fi.jpeg(f, 15)),
        at_onset(None, "ticking-clock", lambda f, i, t, r: fi.draw_timestamp(f, t)),
    )


def _frames_for(scenario: Scenario, frames: tuple[Frame, ...]) -> Iterator[Frame]:
    """The clean frames the scenario paints on; a freeze repeats the onset frame."""
    for index, frame in enumerate(frames):
        yield frames[ONSET] if scenario.name == "freeze-ticking" and index >= ONSET else frame


def run_scenario(
    clip: clip_files.Clip, scenario: Scenario, frames: tuple[Frame, ...], seed: int = 3
) -> RunResult:
    rng = np.random.default_rng(seed)
    checker = HealthChecker()
    period = clip.step / clip.fps
    _onset_time[0] = ONSET * period
    detected_at: int | None = None
    false_alarms: list[str] = []
    other: set[str] = set()
    clean = 0
    for index, frame in enumerate(_frames_for(scenario, frames)):
        t = index * period
        sample = prepare_sample(scenario.paint(frame, index, t, rng))
        verdict = checker.check(sample.gray, t, color=sample.thumb)
        faulty_now = scenario.expected is not None and index >= scenario.early_from
        if not faulty_now:
            clean += 1
        for raised in verdict.raised:
            if not faulty_now:
                false_alarms.append(f"{raised.code.value}@{index}")
            elif raised.code is scenario.expected and detected_at is None:
                detected_at = index
            else:
                other.add(raised.code.value)
    delay = None if detected_at is None else detected_at - ONSET
    return RunResult(
        clip.name,
        scenario.name,
        scenario.expected,
        detected_at,
        delay,
        tuple(false_alarms),
        clean,
        tuple(sorted(other)),
    )


def evaluate_clip(path: Path, names: tuple[str, ...] | None = None) -> list[RunResult]:
    """Every scenario (or those in `names`) plus the untouched clip, on one clip."""
    clip = clip_files.read_clip(path, step=SAMPLE_STEP, limit=MAX_SAMPLES)
    short = clip.frames[: ONSET + AFTER_ONSET]
    results = [run_scenario(clip, Scenario("untouched", None, lambda f, i, t, r: f), clip.frames)]
    plate_movers = movers_for(clip.frames[0], clip.frames[-1], np.random.default_rng(5))

    def surge(frame: Frame, index: int, t: float, rng: np.random.Generator) -> Frame:
        # Extra traffic: real patches of the clip driven across it from the onset on.
        moved, _ = compose(frame, plate_movers, (index - ONSET) * 6)
        return moved if index >= ONSET else frame

    candidates = (*scenarios(), Scenario("traffic-surge", None, surge))
    for scenario in candidates:
        if names is not None and scenario.name not in names:
            continue
        frames = clip.frames if scenario.expected is None else short
        results.append(run_scenario(clip, scenario, frames))
    return results


def evaluate(directory: Path | None = None) -> list[RunResult]:
    base = directory or clip_files.clips_dir()
    results: list[RunResult] = []
    for name in clip_files.CLIP_NAMES:
        results.extend(evaluate_clip(base / name))
    return results


def summarize(results: list[RunResult]) -> dict[str, dict[str, float]]:
    """Per fault code: detection rate, mean and worst delay (samples), and false alarms
    of that code per 1,000 clean samples (over every run's clean samples)."""
    clean_total = sum(r.clean_samples for r in results)
    summary: dict[FaultCode, CheckSummary] = {code: CheckSummary() for code in FaultCode}
    false_by_code: dict[str, int] = {code.value: 0 for code in FaultCode}
    for result in results:
        for alarm in result.false_alarms:
            false_by_code[alarm.split("@")[0]] += 1
        if result.expected is None:
            continue
        entry = summary[result.expected]
        entry.runs += 1
        if result.delay is not None and result.delay <= DETECT_WITHIN:
            entry.detected += 1
            entry.delays.append(result.delay)
    table: dict[str, dict[str, float]] = {}
    for code, entry in summary.items():
        table[code.value] = {
            "runs": entry.runs,
            "detection_rate": entry.detected / entry.runs if entry.runs else float("nan"),
            "mean_delay": float(np.mean(entry.delays)) if entry.delays else float("nan"),
            "max_delay": float(max(entry.delays)) if entry.delays else float("nan"),
            "false_per_1000": 1000.0 * false_by_code[code.value] / max(1, clean_total),
        }
    return table
