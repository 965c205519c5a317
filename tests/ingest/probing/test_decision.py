"""The probe decision: which events, which retained status and which record a probe's
result turns into. Pure: no I/O, time is the timestamps handed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bus.vocabulary import CameraStatus, FaultCode, ProbeFailure
from ingest.analysis.health_codes import FaultVerdict, HealthVerdict
from ingest.probing.decision import (
    ProbeOutcome,
    Target,
    after_internal_error,
    after_probe_error,
    after_sample,
)
from ingest.probing.state import ProbePolicy, ProbeState, next_delay
from ingest.sources.failures import ProbeError

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
POLICY = ProbePolicy(interval_s=60, offline_after=3, backoff_max_s=300)
CAM = Target("cam-1", "150402001001")
BLUR = FaultVerdict(FaultCode.BLURRED, 0.4, 0.72)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def verdict(
    raised: tuple[FaultVerdict, ...] = (),
    cleared: tuple[FaultVerdict, ...] = (),
    active: tuple[FaultVerdict, ...] = (),
) -> HealthVerdict:
    return HealthVerdict(raised, cleared, active, measured=active, learning=False)


def types(outcome: ProbeOutcome) -> list[str]:
    return [str(d.type) for d in outcome.drafts]


def timeout() -> ProbeError:
    return ProbeError(ProbeFailure.TIMEOUT, "no answer in 10 s")


def test_first_failure_then_offline_after_k_then_back_off_then_online() -> None:
    state = after_sample(CAM, ProbeState(), at(0), verdict(), None).state
    seen, delays = [], []
    for minute in range(1, 7):
        outcome = after_probe_error(CAM, state, at(minute), timeout(), POLICY)
        state = outcome.state
        seen.append(types(outcome))
        delays.append(next_delay(state, POLICY))
    assert seen == [["probe.failed"], [], ["camera.offline"], [], [], []]
    assert delays == [60, 60, 60, 120, 240, 300]  # doubling, up to the ceiling
    offline = after_probe_error(CAM, state, at(7), timeout(), POLICY)
    assert offline.status is None  # nothing changed: no retained status resent
    back = after_sample(CAM, state, at(8), verdict(), None)
    assert types(back) == ["camera.online"]
    assert back.drafts[0].data == {"was_offline_since": at(3).isoformat()}
    assert back.status is not None
    assert back.status["status"] == CameraStatus.ONLINE


def test_faults_raise_and_clear_and_status_is_sent_only_when_it_changes() -> None:
    first = after_sample(CAM, ProbeState(), at(0), verdict(), None)
    assert first.status is not None  # unknown → online
    same = after_sample(CAM, first.state, at(1), verdict(), None)
    assert (types(same), same.status) == ([], None)
    raised = after_sample(CAM, same.state, at(2), verdict(raised=(BLUR,), active=(BLUR,)), "e1")
    assert types(raised) == ["health.fault"]
    assert raised.drafts[0].data == {"code": "BLURRED", "value": 0.4, "threshold": 0.72}
    assert raised.drafts[0].evidence == "e1"
    assert raised.status is not None
    assert raised.status["status"] == CameraStatus.DEGRADED
    still = after_sample(CAM, raised.state, at(3), verdict(active=(BLUR,)), None)
    assert (types(still), still.status) == ([], None)
    cleared = after_sample(CAM, still.state, at(4), verdict(cleared=(BLUR,)), None)
    assert types(cleared) == ["health.recovered"]
    assert cleared.drafts[0].data == {"code": "BLURRED"}
    assert cleared.status is not None
    assert cleared.status["status"] == CameraStatus.ONLINE


def test_an_internal_error_is_reported_once_and_changes_nothing_about_the_camera() -> None:
    online = after_sample(CAM, ProbeState(), at(0), verdict(), None).state
    first = after_internal_error(CAM, online, at(1), "ZeroDivisionError: in a check")
    assert types(first) == ["probe.failed"]
    assert first.drafts[0].data["code"] == ProbeFailure.INTERNAL
    assert (first.record, first.status) == (None, None)  # no health history, no status
    assert first.state.status is CameraStatus.ONLINE
    assert first.state.consecutive_failures == 0
    again = after_internal_error(CAM, first.state, at(2), "ZeroDivisionError: in a check")
    assert types(again) == []
    assert again.state.internal_errors == 2
    healthy = after_sample(CAM, again.state, at(3), verdict(), None)
    assert healthy.state.internal_errors == 0
    anew = after_internal_error(CAM, healthy.state, at(4), "KeyError: 'reference'")
    assert types(anew) == ["probe.failed"]
