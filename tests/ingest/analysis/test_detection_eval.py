"""Labelled targets on the real clips (skipped when the clips are absent)."""

from __future__ import annotations

import pytest

from benchmarks import clips as clip_files
from benchmarks import detection_eval, motion_eval

pytestmark = [
    pytest.mark.clips,
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(clip_files.missing_clips()),
        reason=f"real clips not found in {clip_files.clips_dir()} "
        f"(set {clip_files.CLIPS_ENV} to their folder)",
    ),
]


@pytest.fixture(scope="module", params=clip_files.CLIP_NAMES)
def clip_results(request: pytest.FixtureRequest) -> list[detection_eval.RunResult]:
    return detection_eval.evaluate_clip(clip_files.clips_dir() / request.param)


def test_untouched_clip_and_negative_cases_raise_nothing(
    clip_results: list[detection_eval.RunResult],
) -> None:
    quiet = [r for r in clip_results if r.expected is None]
    assert {r.scenario for r in quiet} >= {"untouched", "light-up-40", "rain", "traffic-surge"}
    assert [(r.scenario, r.false_alarms) for r in quiet if r.false_alarms] == []


def test_every_fault_raised_within_five_samples_with_its_code(
    clip_results: list[detection_eval.RunResult],
) -> None:
    faults = [r for r in clip_results if r.expected is not None]
    assert len(faults) == len([s for s in detection_eval.scenarios() if s.expected])
    late = [(r.scenario, r.expected, r.delay) for r in faults if not r.passed]
    assert late == []


def test_motion_f_measure_and_quiet_scenes() -> None:
    directory = clip_files.clips_dir()
    names = clip_files.CLIP_NAMES
    for index, name in enumerate(names):
        plate = clip_files.median_plate(directory / name)
        donor = clip_files.read_clip(directory / names[(index + 2) % 4], limit=101).frames[100]
        score = motion_eval.score_motion(name, plate, donor)
        assert score.f_measure >= 0.85, score
        for case in ("ramp-up", "ramp-down", "timestamp"):
            quiet = motion_eval.quiet_scene_starts(name, plate, case)
            assert quiet.starts == 0, quiet
