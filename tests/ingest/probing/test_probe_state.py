from datetime import UTC, datetime, timedelta

import pytest

from ingest.probing.state import (
    CameraStatus,
    Change,
    ProbePolicy,
    ProbeState,
    after_failure,
    after_success,
    next_delay,
)

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
POLICY = ProbePolicy(interval_s=60, offline_after=3, backoff_max_s=300)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_offline_only_after_k_failures_in_a_row() -> None:
    state, changes = after_success(ProbeState(), at(0), frozenset())
    assert state.status is CameraStatus.ONLINE
    state, changes = after_failure(state, at(1), "timeout", POLICY)
    assert changes == (Change.FIRST_FAILURE,)
    state, changes = after_failure(state, at(2), "timeout", POLICY)
    assert (state.status, changes) == (CameraStatus.ONLINE, ())
    state, changes = after_failure(state, at(3), "refused", POLICY)
    assert (state.status, changes, state.status_since) == (
        CameraStatus.OFFLINE,
        (Change.WENT_OFFLINE,),
        at(3),
    )
    state, changes = after_failure(state, at(4), "refused", POLICY)
    assert changes == ()


def test_a_blip_resets_the_count() -> None:
    state = ProbeState(status=CameraStatus.ONLINE)
    for minute in range(10):
        state, _ = after_failure(state, at(2 * minute), "timeout", POLICY)
        state, _ = after_success(state, at(2 * minute + 1), frozenset())
    assert state.status is CameraStatus.ONLINE
    assert state.consecutive_failures == 0


def test_recovery_is_reported_and_faults_degrade() -> None:
    state = ProbeState(status=CameraStatus.OFFLINE, consecutive_failures=5)
    state, changes = after_success(state, at(10), frozenset({"FROZEN"}))
    assert changes == (Change.CAME_ONLINE,)
    assert (state.status, state.status_since) == (CameraStatus.DEGRADED, at(10))


@pytest.mark.parametrize(
    ("failures", "delay"), [(1, 60), (3, 60), (4, 120), (5, 240), (6, 300), (40, 300)]
)
def test_backoff_doubles_up_to_the_ceiling(failures: int, delay: float) -> None:
    state = ProbeState()
    for minute in range(failures):
        state, _ = after_failure(state, at(minute), "timeout", POLICY)
    assert next_delay(state, POLICY) == delay


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="backoff_max_s"):
        ProbePolicy(interval_s=60, backoff_max_s=30)


def test_runtime_load_covers_only_the_time_since_the_last_heartbeat() -> None:
    from ingest.worker.loop import RuntimeStats

    stats = RuntimeStats()
    first = stats.take_load(now=100.0)
    assert (first.probes_per_s, first.p99_lateness_s) == (0.0, 0.0)  # nothing measured yet
    for lateness in [0.1] * 98 + [3.0, 5.0]:
        stats.probes += 1
        stats.note_lateness(lateness)
    second = stats.take_load(now=110.0)
    assert second.probes_per_s == 10.0
    assert second.p99_lateness_s == 3.0
    stats.probes += 5
    stats.note_lateness(0.2)
    third = stats.take_load(now=115.0)
    assert (third.probes_per_s, third.p99_lateness_s) == (1.0, 0.2)
    assert len(stats.lateness_s) == 101  # the long history is kept apart
