"""Labelled targets on the real clips (skipped without them, failing on CI without them)."""

from __future__ import annotations

import pytest

from benchmarks import clips as clip_files
from benchmarks import detection_eval, health_scenarios, motion_eval
from ingest.analysis.health_config import HealthConfig

pytestmark = [pytest.mark.clips, pytest.mark.slow]
STILL = "still-room-768x432.mp4"
EVALUATION = "pedestrians-480x360.avi"


def test_split_is_disjoint_and_covers_every_clip() -> None:
    tuning, evaluation = set(clip_files.TUNING_CLIPS), set(clip_files.EVALUATION_CLIPS)
    assert not tuning & evaluation
    assert tuning | evaluation == set(clip_files.CLIP_NAMES)


def test_still_room_raises_nothing_at_any_sampling_rate() -> None:
    config = HealthConfig()
    clip = detection_eval.load_clip(clip_files.clips_dir() / STILL, config, faults=False)
    counter = detection_eval.CleanCounter(set())
    results = detection_eval.run_rates(clip, config, counter)
    assert [r.rate for r in results] == [r.name for r in detection_eval.RATES]
    assert [(r.rate, r.false_alarms) for r in results if r.false_alarms] == []
    # Slow schedules revisit frames: each distinct picture counts once.
    assert counter.digests
    assert len(counter.digests) <= clip.count


def test_standard_faults_on_an_evaluation_clip_within_min_time_plus_one_sample() -> None:
    config = HealthConfig()
    clip = detection_eval.load_clip(clip_files.clips_dir() / EVALUATION, config, faults=True)
    counter = detection_eval.CleanCounter(set())
    results = detection_eval.run_scenarios(clip, health_scenarios.standard(), config, counter)
    late = [(r.scenario, r.delay_s, r.limit_s) for r in results if not r.passed]
    assert late == []
    for result in results:
        assert result.expected is not None
        assert result.delay_s is not None
        assert result.delay_s >= config.min_time_s(result.expected) - 1e-6


def test_blind_spots_on_an_evaluation_clip_are_missed() -> None:
    """Sizes below the blind-spot limits in docs/detection.md are expected misses."""
    config = HealthConfig()
    clip = detection_eval.load_clip(clip_files.clips_dir() / EVALUATION, config, faults=True)
    misses = ("rotate-1", "cover-10", "freeze-noise-2", "blur-1")
    chosen = tuple(s for s in health_scenarios.sweeps() if s.name in misses)
    assert len(chosen) == len(misses)
    counter = detection_eval.CleanCounter(set())
    results = detection_eval.run_scenarios(clip, chosen, config, counter)
    assert [r.scenario for r in results if r.detected] == []
    assert [r.false_alarms for r in results if r.false_alarms] == []


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
