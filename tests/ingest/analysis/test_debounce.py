from __future__ import annotations

from collections.abc import Sequence

import pytest

from ingest.analysis.debounce import Persistence, Transition, step_persistence


def _feed(samples: Sequence[bool | None], k: int, m: int) -> list[Transition | None]:
    state = Persistence()
    out = []
    for bad in samples:
        state, transition = step_persistence(state, bad, k, m)
        out.append(transition)
    return out


@pytest.mark.parametrize(("k", "m"), [(2, 1), (3, 3), (5, 2)])
def test_raise_after_k_bad_clear_after_m_good(k: int, m: int) -> None:
    out = _feed([True] * k + [False] * m, k, m)
    assert out[k - 1] is Transition.RAISED
    assert out[-1] is Transition.CLEARED
    assert [t for t in out if t is not None] == [Transition.RAISED, Transition.CLEARED]


def test_single_bad_sample_never_alerts() -> None:
    assert all(t is None for t in _feed([True, False] * 10, 2, 2))


def test_interrupted_runs_restart() -> None:
    out = _feed([True, True, False, True, True, True], 3, 3)
    assert out.index(Transition.RAISED) == 5
    out = _feed([True] * 3 + [False, False, True, False, False, False], 3, 3)
    assert out[-1] is Transition.CLEARED
    assert out.count(Transition.CLEARED) == 1


def test_unjudged_samples_hold_the_state() -> None:
    out = _feed([True, None, True, None, True], 3, 3)
    assert out[-1] is Transition.RAISED
