"""Figures and tables of the health evaluation (`detection_eval.Evaluation`)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable

from benchmarks import clips as clip_files
from benchmarks.detection_eval import Evaluation, RunResult

STILL_CLIPS = ("still-room-768x432.mp4",)


def _rate(runs: list[RunResult]) -> float:
    return sum(r.detected for r in runs) / len(runs) if runs else float("nan")


def _delay(runs: list[RunResult]) -> float:
    delays = [r.delay_s for r in runs if r.detected and r.delay_s is not None]
    return statistics.fmean(delays) if delays else float("nan")


def _wrong(result: RunResult) -> int:
    """Alarms nobody should see: before a fault's onset, or of another code after it."""
    return len(result.false_alarms) + len(result.other_codes)


def figures(found: Evaluation) -> dict[str, float | int]:
    """The JSON figures: false alarms over every clean clip at every rate, detection of
    the standard sizes on the evaluation clips (and, apart, on the tuning clips)."""
    evaluation = [r for r in found.standard if r.clip in clip_files.EVALUATION_CLIPS]
    tuning = [r for r in found.standard if r.clip in clip_files.TUNING_CLIPS]
    return {
        "eval_false_alarms": sum(len(r.false_alarms) for r in found.clean),
        "eval_detection_rate": round(_rate(evaluation), 4),
        "eval_mean_delay_s": round(_delay(evaluation), 2),
        "still_false_alarms": sum(
            _wrong(r) for r in found.clean + found.negatives if r.clip in STILL_CLIPS
        ),
        "tuning_detection_rate": round(_rate(tuning), 4),
        "negative_false_alarms": sum(_wrong(r) for r in found.negatives),
        "lighting_blown_out": sum(r.expected is not None for r in found.negatives),
        "prefault_false_alarms": sum(len(r.false_alarms) for r in found.standard + found.sweeps),
        "distinct_clean_samples": found.distinct_clean,
        "eval_late_or_missed": sum(not r.detected for r in evaluation),
    }


def sweep_table(found: Evaluation) -> list[tuple[str, float, int, int, float]]:
    """(family, size, detected, runs, mean delay s) per sweep size, evaluation clips."""
    groups: dict[tuple[str, float], list[RunResult]] = defaultdict(list)
    for result in found.sweeps:
        groups[(result.family, result.size)].append(result)
    return [
        (family, size, sum(r.detected for r in runs), len(runs), _delay(runs))
        for (family, size), runs in groups.items()
    ]


def report(found: Evaluation, say: Callable[[str], None]) -> None:
    say("health: false alarms on clean clips, by sampling rate (must be 0):")
    by_rate: dict[str, int] = defaultdict(int)
    for result in found.clean:
        by_rate[result.rate] += len(result.false_alarms)
        if result.false_alarms:
            say(f"  {result.clip} at {result.rate}: {', '.join(result.false_alarms[:5])}")
    say("  " + ", ".join(f"{rate}: {count}" for rate, count in by_rate.items()))
    for split, names in (
        ("evaluation", clip_files.EVALUATION_CLIPS),
        ("tuning", clip_files.TUNING_CLIPS),
    ):
        runs = [r for r in found.standard if r.clip in names]
        say(
            f"standard faults on the {split} clips: {sum(r.detected for r in runs)}/{len(runs)}"
            f" within min time + 1 sample, mean delay {_delay(runs):.1f} s"
        )
        for result in runs:
            if not result.detected or result.false_alarms:
                say(
                    f"  {result.clip}/{result.scenario}: delay {result.delay_s} s"
                    f" (limit {result.limit_s:.0f} s), before onset {list(result.false_alarms)}"
                )
    say("size sweep on the evaluation clips (detected / runs, mean delay s):")
    for family, size, detected, count, delay in sweep_table(found):
        say(f"  {family:36s} {size:5g}  {detected}/{count}  {delay:6.1f}")
    negatives = [r for r in found.negatives if _wrong(r)]
    wrong = [(r.clip, r.scenario, r.false_alarms + r.other_codes) for r in negatives]
    say(f"negatives with alarms: {wrong}")
    for result in (r for r in found.negatives if r.expected is not None):
        say(
            f"  {result.clip}/{result.scenario}: the lighting change clips the picture as"
            f" far as OVEREXPOSED is defined; raised {result.delay_s} s after the onset of"
            f" its 10 s ramp"
        )
    say(f"distinct clean samples: {found.distinct_clean}")
