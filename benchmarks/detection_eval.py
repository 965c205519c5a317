"""Labelled evaluation of the health checks on the real clips.

Clean clips run at several sampling rates (every frame, 1 per second, 1 per 10 s,
and 1 per second with a 60 s gap) and must raise nothing. Faults are painted onto
real frames from a known onset (`ONSET_S`) and sampled once a second; a fault is
detected when its code is raised within its minimum time plus one sample.

The clips are 12-140 s long. Schedules longer than a clip play it back and forth
(frame index reflected at the ends), so a slow schedule sees real frames in a real
order; consecutive samples then differ more than on a live still camera, and the
same frame can come back, which is why clean samples are counted once each
(`distinct`, by a digest of the reduced picture).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from benchmarks import clips as clip_files
from benchmarks import health_scenarios
from benchmarks.health_scenarios import FREEZE_NONE, Frame, Scenario
from bus.vocabulary import FaultCode
from ingest.analysis.frames import ReducedFrame, prepare_sample
from ingest.analysis.health import HealthChecker
from ingest.analysis.health_config import HealthConfig

ONSET_S = 30.0
"""Fault onset: after the baseline is learned at one sample a second."""
FAULT_PERIOD_S = 1.0
AFTER_S = 15.0
"""Fault runs continue this long past the fault's minimum time."""
NEGATIVE_S = 90.0
_MAX_WIDTH = 640


@dataclass(frozen=True, slots=True)
class Rate:
    """A sampling schedule: one sample every `period_s` (None: every frame of the clip,
    once through) for `duration_s`, with no samples inside `gap` (start, end) s."""

    name: str
    period_s: float | None
    duration_s: float
    gap: tuple[float, float] | None = None


RATES = (
    Rate("every frame", None, 0.0),
    Rate("1 s", 1.0, 300.0),
    Rate("10 s", 10.0, 900.0),
    Rate("1 s, 60 s gap", 1.0, 240.0, (90.0, 150.0)),
)


@dataclass(slots=True)
class LoadedClip:
    """A clip decoded once: reduced samples of every frame, full frames where needed."""

    name: str
    fps: float
    count: int
    reduced: list[ReducedFrame]
    full: dict[int, Frame]

    def index_at(self, t: float) -> int:
        """Frame shown at `t` s when the clip plays back and forth."""
        cycle = max(1, 2 * self.count - 2)
        k = int(t * self.fps + 1e-6) % cycle
        return k if k < self.count else cycle - k


@dataclass(frozen=True, slots=True)
class RunResult:
    clip: str
    scenario: str
    rate: str
    expected: FaultCode | None
    delay_s: float | None
    limit_s: float
    false_alarms: tuple[str, ...]
    other_codes: tuple[str, ...]
    family: str = ""
    size: float = 0.0

    @property
    def detected(self) -> bool:
        return self.delay_s is not None and self.delay_s <= self.limit_s + 1e-6

    @property
    def passed(self) -> bool:
        return not self.false_alarms and (self.expected is None or self.detected)


@dataclass(slots=True)
class CleanCounter:
    """Clean samples seen, each distinct picture once."""

    digests: set[bytes]

    def add(self, sample: ReducedFrame) -> None:
        self.digests.add(hashlib.blake2b(sample.gray.tobytes(), digest_size=12).digest())


def _times(rate: Rate, fps: float, count: int) -> Iterator[float]:
    if rate.period_s is None:
        yield from (i / fps for i in range(count))
        return
    steps = int(rate.duration_s / rate.period_s)
    for i in range(steps + 1):
        t = i * rate.period_s
        if rate.gap is None or not rate.gap[0] <= t < rate.gap[1]:
            yield t


def fault_times(config: HealthConfig, code: FaultCode | None) -> list[float]:
    end = ONSET_S + (NEGATIVE_S if code is None else config.min_time_s(code) + AFTER_S)
    return [i * FAULT_PERIOD_S for i in range(int(end / FAULT_PERIOD_S) + 1)]


def _decode(path: Path) -> cv2.VideoCapture:
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise FileNotFoundError(f"cannot open clip {path}")
    return capture


def _at_most_640(frame: Frame) -> Frame:
    height, width = frame.shape[:2]
    if width <= _MAX_WIDTH:
        return frame
    size = (_MAX_WIDTH, round(height * _MAX_WIDTH / width))
    return np.asarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def load_clip(path: Path, config: HealthConfig, faults: bool) -> LoadedClip:
    """Decode twice: every frame reduced, then full frames (at most 640 wide) only at
    the fault runs' times (the frame count in a header is not to be trusted)."""
    capture = _decode(path)
    clip = LoadedClip(path.name, capture.get(cv2.CAP_PROP_FPS) or 25.0, 0, [], {})
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            clip.reduced.append(prepare_sample(np.asarray(frame, dtype=np.uint8)))
    finally:
        capture.release()
    clip.count = len(clip.reduced)
    if not clip.count:
        raise ValueError(f"clip {path} has no readable frames")
    if not faults:
        return clip
    longest = max(fault_times(config, code)[-1] for code in (*FaultCode, None))
    wanted = {clip.index_at(i * FAULT_PERIOD_S) for i in range(int(longest) + 1)}
    capture = _decode(path)
    try:
        for index in range(max(wanted) + 1):
            if not capture.grab():
                break
            if index not in wanted:
                continue
            clip.full[index] = _at_most_640(np.asarray(capture.retrieve()[1], dtype=np.uint8))
    finally:
        capture.release()
    return clip


def run_clean(
    clip: LoadedClip, rate: Rate, config: HealthConfig, counter: CleanCounter
) -> RunResult:
    checker = HealthChecker(config)
    alarms: list[str] = []
    for t in _times(rate, clip.fps, clip.count):
        sample = clip.reduced[clip.index_at(t)]
        counter.add(sample)
        verdict = checker.check(sample.gray, t, color=sample.thumb)
        alarms.extend(f"{f.code.value}@{t:.1f}s" for f in verdict.raised)
    return RunResult(clip.name, "untouched", rate.name, None, None, 0.0, tuple(alarms), ())


def run_fault(
    clip: LoadedClip,
    scenario: Scenario,
    config: HealthConfig,
    counter: CleanCounter,
    seed: int = 3,
) -> RunResult:
    """One scenario at one sample a second; raises before the onset are false alarms."""
    rng = np.random.default_rng(seed)
    checker = HealthChecker(config)
    onset_frame = clip.full[clip.index_at(ONSET_S)]
    detected: float | None = None
    alarms: list[str] = []
    other: set[str] = set()
    for t in fault_times(config, scenario.expected):
        frame = clip.full[clip.index_at(t)]
        since = t - ONSET_S
        if since >= 0:
            if scenario.freeze != FREEZE_NONE:
                frame = onset_frame
            frame = scenario.paint(frame, since, t, rng)
        sample = prepare_sample(frame)
        faulty = since >= 0 and scenario.expected is not None
        if not faulty:
            counter.add(sample)
        verdict = checker.check(sample.gray, t, color=sample.thumb)
        for fault in verdict.raised:
            if not faulty:
                alarms.append(f"{fault.code.value}@{t:.0f}s")
            elif fault.code is scenario.expected and detected is None:
                detected = since
            else:
                other.add(fault.code.value)
    limit = 0.0
    if scenario.expected is not None:
        limit = config.min_time_s(scenario.expected) + FAULT_PERIOD_S
    return RunResult(
        clip.name,
        scenario.name,
        "1 s",
        scenario.expected,
        detected,
        limit,
        tuple(alarms),
        tuple(sorted(other)),
        scenario.family,
        scenario.size,
    )


def run_scenarios(
    clip: LoadedClip,
    scenarios: tuple[Scenario, ...],
    config: HealthConfig,
    counter: CleanCounter,
) -> list[RunResult]:
    return [run_fault(clip, scenario, config, counter) for scenario in scenarios]


def run_rates(clip: LoadedClip, config: HealthConfig, counter: CleanCounter) -> list[RunResult]:
    return [run_clean(clip, rate, config, counter) for rate in RATES]


@dataclass(slots=True)
class Evaluation:
    """Every run of the evaluation, by kind, and the distinct clean samples seen."""

    clean: list[RunResult]
    standard: list[RunResult]
    negatives: list[RunResult]
    sweeps: list[RunResult]
    distinct_clean: int


def _negatives(clip: LoadedClip, config: HealthConfig) -> tuple[Scenario, ...]:
    held = [clip.full[clip.index_at(t)] for t in fault_times(config, None) if t >= ONSET_S]
    return tuple(
        health_scenarios.labelled_for(s, held, config.overexposed_clipped)
        for s in health_scenarios.negatives()
    )


def evaluate(
    directory: Path | None = None,
    config: HealthConfig | None = None,
    names: tuple[str, ...] = clip_files.CLIP_NAMES,
    sweep: bool = True,
) -> Evaluation:
    """Clean runs at every rate and the negatives on every clip; standard faults on
    every clip (reported by split); size sweeps on the evaluation clips only."""
    base = directory or clip_files.clips_dir()
    cfg = config or HealthConfig()
    counter = CleanCounter(set())
    found = Evaluation([], [], [], [], 0)
    for name in names:
        clip = load_clip(base / name, cfg, faults=True)
        found.clean.extend(run_rates(clip, cfg, counter))
        found.negatives.extend(run_scenarios(clip, _negatives(clip, cfg), cfg, counter))
        found.standard.extend(run_scenarios(clip, health_scenarios.standard(), cfg, counter))
        if sweep and name in clip_files.EVALUATION_CLIPS:
            found.sweeps.extend(run_scenarios(clip, health_scenarios.sweeps(), cfg, counter))
    found.distinct_clean = len(counter.digests)
    return found
