from __future__ import annotations

from collections.abc import Sequence

import pytest

from ingest.analysis.debounce import Hold, Persistence, Transition, step_persistence


def _feed(
    samples: Sequence[bool | None], hold: Hold, period_s: float = 1.0
) -> list[Transition | None]:
    state = Persistence()
    out = []
    for index, bad in enumerate(samples):
        state, transition = step_persistence(state, bad, index * period_s, hold)
        out.append(transition)
    return out


def _samples_only(k: int, m: int) -> Hold:
    return Hold(k, 0.0, m, 0.0)


@pytest.mark.parametrize(("k", "m"), [(2, 1), (3, 3), (5, 2)])
def test_raise_after_k_bad_clear_after_m_good(k: int, m: int) -> None:
    out = _feed([True] * k + [False] * m, _samples_only(k, m))
    assert out[k - 1] is Transition.RAISED
    assert out[-1] is Transition.CLEARED
    assert [t for t in out if t is not None] == [Transition.RAISED, Transition.CLEARED]


def test_single_bad_sample_never_alerts() -> None:
    assert all(t is None for t in _feed([True, False] * 10, _samples_only(2, 2)))


def test_interrupted_runs_restart() -> None:
    out = _feed([True, True, False, True, True, True], _samples_only(3, 3))
    assert out.index(Transition.RAISED) == 5
    out = _feed([True] * 3 + [False, False, True, False, False, False], _samples_only(3, 3))
    assert out[-1] is Transition.CLEARED
    assert out.count(Transition.CLEARED) == 1


def test_unjudged_samples_hold_the_state() -> None:
    out = _feed([True, None, True, None, True], _samples_only(3, 3))
    assert out[-1] is Transition.RAISED


@pytest.mark.parametrize("period_s", [0.1, 1.0, 10.0, 60.0])
def test_raised_after_the_minimum_time_at_any_sampling_rate(period_s: float) -> None:
    hold = Hold(3, 30.0, 3, 10.0)
    out = _feed([True] * 400, hold, period_s)
    raised_at = out.index(Transition.RAISED) * period_s
    # The condition must have held 30 s and 3 samples: the first bad sample is at 0 s.
    assert raised_at == pytest.approx(max(30.0, 2 * period_s), abs=period_s)
    assert raised_at >= 30.0


def test_cleared_after_samples_and_seconds() -> None:
    hold = Hold(2, 0.0, 3, 10.0)
    out = _feed([True] * 2 + [False] * 20, hold, period_s=2.0)
    cleared = out.index(Transition.CLEARED)
    assert (cleared - 2) * 2.0 == 10.0  # first good sample at index 2, cleared 10 s later


def test_minimum_time_restarts_with_the_run() -> None:
    hold = Hold(1, 5.0, 1, 0.0)
    out = _feed([True] * 4 + [False] + [True] * 6, hold)
    assert out.index(Transition.RAISED) == 10  # the second run starts at 5 s


def test_tolerated_contrary_sample_keeps_the_clock() -> None:
    hold = Hold(3, 5.0, 1, 0.0, tolerate=1)
    out = _feed([True] * 3 + [False] + [True] * 3, hold)
    assert out.index(Transition.RAISED) == 5  # 5 s after the first bad sample
    two_good = _feed([True] * 3 + [False, False] + [True] * 4, hold)
    assert Transition.RAISED not in two_good  # a second good sample in a row ends the run


def test_clock_going_backwards_restarts_the_run() -> None:
    hold = Hold(1, 5.0, 1, 0.0)
    state = Persistence()
    for t in (100.0, 103.0, 50.0, 54.0):
        state, transition = step_persistence(state, True, t, hold)
        assert transition is None
    state, transition = step_persistence(state, True, 55.0, hold)
    assert transition is Transition.RAISED
