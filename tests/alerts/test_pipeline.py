"""The pure pipeline in virtual time: signals, dedup, state order, flapping, recurrence,
priorities, arming and silences. No database, no broker: events at t, state asserted."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from alerts.arming import parse_arming
from alerts.domain import AlertStatus, Kind, Scope, Severity, fingerprint
from alerts.engine import Engine
from alerts.policy import Policy
from alerts.priorities import PriorityRules, load_rules
from alerts.silences import Matchers, Silence
from alerts.stages.validate import Rejected
from config.settings import Settings
from tests.alerts.helpers import T0, Producer, at, small_topology

NO_HOLD = Policy(hold_s=0)


def engine(policy: Policy = NO_HOLD, **kwargs: object) -> Engine:
    return Engine(policy, small_topology(), **kwargs)  # type: ignore[arg-type]


def shipped_rules() -> PriorityRules:
    settings = Settings()
    return load_rules(settings.alerts_priorities_file, settings.command_center_tz)


def offline_fp(camera: str) -> str:
    return fingerprint(Kind.OFFLINE, Scope.CAMERA, camera)


def test_offline_fires_and_online_resolves() -> None:
    e, p = engine(), Producer()
    e.apply_event(p.offline("C00000", at(0)), at(0))
    alert = e.alerts[offline_fp("C00000")]
    assert alert.status is AlertStatus.FIRING
    assert alert.visible
    e.apply_event(p.online("C00000", at(60)), at(60))
    resolved = e.alerts[offline_fp("C00000")]
    assert resolved.status is AlertStatus.RESOLVED
    assert resolved.resolved_at == at(60)
    assert [c.after.status for c in e.drain()] == [AlertStatus.RESOLVED]


def test_probe_failed_alone_is_no_alert_but_auth_is_its_own_kind() -> None:
    e, p = engine(), Producer()
    e.apply_event(p.event("probe.failed", "C00000", at(0), code="timeout", detail="x"), at(0))
    assert not e.alerts
    e.apply_event(p.offline("C00001", at(1), code="auth"), at(1))
    (alert,) = e.alerts.values()
    assert alert.kind is Kind.AUTH
    assert "credentials" in alert.summary
    e.apply_event(p.online("C00001", at(9)), at(9))
    assert not e.alerts[alert.fingerprint].active


def test_repeats_are_counted_on_one_alert() -> None:
    e, p = engine(), Producer()
    for second in range(5):
        e.apply_event(p.event("health.fault", "C00000", at(second), code="FROZEN", value=0.0,
                              threshold=0.5), at(second))  # fmt: skip
    (alert,) = e.alerts.values()
    assert alert.count == 5
    assert alert.code == "FROZEN"
    assert alert.last_seen_at == at(4)


def test_out_of_order_never_moves_state_back() -> None:
    e, p = engine(), Producer()
    offline, online = p.offline("C00000", at(0)), p.online("C00000", at(60))
    e.apply_event(online, at(61))  # the newer one arrives first
    e.apply_event(offline, at(62))
    assert offline_fp("C00000") not in e.alerts  # nothing open, nothing to resolve

    e.apply_event(p.offline("C00001", at(100)), at(100))
    late_online = p.online("C00001", at(50))  # older than the offline: stale
    e.apply_event(late_online, at(101))
    assert e.alerts[offline_fp("C00001")].status is AlertStatus.FIRING


def test_stale_offline_after_resolution_opens_nothing() -> None:
    e, p = engine(), Producer()
    e.apply_event(p.offline("C00000", at(0)), at(0))
    e.apply_event(p.online("C00000", at(60)), at(60))
    e.drain()
    e.apply_event(p.offline("C00000", at(30)), at(61))  # delivered late
    assert not e.alerts[offline_fp("C00000")].active
    assert not e.drain()


def test_recurrence_links_to_the_earlier_occurrence() -> None:
    e, p = engine(), Producer()
    e.apply_event(p.offline("C00000", at(0)), at(0))
    first = e.alerts[offline_fp("C00000")]
    e.apply_event(p.online("C00000", at(60)), at(60))
    e.apply_event(p.offline("C00000", at(600)), at(600))
    second = e.alerts[offline_fp("C00000")]
    assert second.id != first.id
    assert second.previous_id == first.id
    e.apply_event(p.online("C00000", at(700)), at(700))
    e.apply_event(p.offline("C00000", at(700 + 7200)), at(700 + 7200))
    assert e.alerts[offline_fp("C00000")].previous_id is None  # beyond the window


def test_flapping_holds_the_alert_open_then_settles() -> None:
    policy = Policy(hold_s=0, flap_changes=4, flap_window_s=600)
    e, p = engine(policy), Producer()
    fp = offline_fp("C00000")
    e.apply_event(p.offline("C00000", at(0)), at(0))
    first_id = e.alerts[fp].id
    e.apply_event(p.online("C00000", at(60)), at(60))
    e.apply_event(p.offline("C00000", at(120)), at(120))
    e.apply_event(p.online("C00000", at(180)), at(180))  # 4th change: flapping, held open
    alert = e.alerts[fp]
    assert alert.flapping
    assert alert.status is AlertStatus.FIRING
    assert alert.clear_since == at(180)
    second_id = alert.id
    for t in (240, 300, 360, 420):  # keeps flapping: still the same open alert
        e.apply_event(p.offline("C00000", at(t)), at(t))
        e.apply_event(p.online("C00000", at(t + 30)), at(t + 30))
    assert e.alerts[fp].id == second_id != first_id
    e.tick(at(800))  # not yet quiet for a whole window
    assert e.alerts[fp].active
    e.tick(at(450 + 601))
    settled = e.alerts[fp]
    assert settled.status is AlertStatus.RESOLVED
    assert settled.resolved_at == at(450)


def test_bad_fault_data_is_rejected_with_a_reason() -> None:
    e, p = engine(), Producer()
    with pytest.raises(Rejected) as caught:
        e.apply_event(p.event("health.fault", "C00000", at(0), value=1.0), at(0))
    assert caught.value.reason == "bad_data"
    with pytest.raises(Rejected) as caught:
        e.apply_event(p.event("health.recovered", "C00000", at(0), code="SMUDGED"), at(0))
    assert caught.value.reason == "unknown_code"


def test_intrusion_only_when_armed() -> None:
    arming = parse_arming(
        {"schedules": [{"tags": ["gate"], "hours": "22:00-06:00"}]}, "test", "Asia/Shanghai"
    )
    e, p = engine(arming=arming, rules=shipped_rules()), Producer()
    e.apply_event(p.event("motion.start", "C00000", at(0), area=0.1, boxes=[], zones=[]), at(0))
    assert not e.alerts  # 10:00 local: not armed
    night = T0 + timedelta(hours=13)  # 23:00 local
    e.apply_event(p.event("motion.start", "C00000", night, area=0.1, boxes=[], zones=[]), night)
    (alert,) = e.alerts.values()
    assert alert.kind is Kind.INTRUSION
    assert alert.severity is Severity.CRITICAL
    e.apply_event(p.event("motion.end", "C00000", night + timedelta(seconds=20), area=0.0,
                          boxes=[], zones=[]), night)  # fmt: skip
    assert not e.alerts[alert.fingerprint].active


def test_priorities_from_the_shipped_rules() -> None:
    rules = shipped_rules()
    topology = small_topology()
    school = replace(topology.cameras["C00001"], use="school")
    topology = replace(topology, cameras={**topology.cameras, "C00001": school})
    e, p = Engine(NO_HOLD, topology, rules=rules), Producer()
    e.apply_event(p.offline("C00000", at(0)), at(0))
    e.apply_event(p.offline("C00001", at(0)), at(0))  # a school at 10:00 local
    plain, school_alert = e.alerts[offline_fp("C00000")], e.alerts[offline_fp("C00001")]
    assert school_alert.priority == plain.priority + 20
    e.tick(at(3601))  # still down after an hour
    assert e.alerts[offline_fp("C00000")].priority == plain.priority + 10


def test_silence_marks_and_never_drops_then_expires() -> None:
    silence = Silence("s1", Matchers(districts=frozenset({"150402002"})), at(0), at(600),
                      "maint", "power work")  # fmt: skip
    e, p = engine(silences=(silence,)), Producer()
    e.apply_event(p.offline("C02000", at(10)), at(10))  # 文钟镇: silenced
    e.apply_event(p.offline("C00000", at(10)), at(10))  # 桥北镇: not
    quiet, loud = e.alerts[offline_fp("C02000")], e.alerts[offline_fp("C00000")]
    assert quiet.silenced_by == "s1"
    assert quiet.status is AlertStatus.FIRING
    assert not quiet.visible
    assert loud.silenced_by is None
    assert loud.visible
    e.tick(at(600))  # the silence ended: back in the queue
    assert e.alerts[offline_fp("C02000")].visible


def test_recurring_maintenance_window() -> None:
    from alerts.hours import parse_hours

    window = parse_hours("09:00-11:00", [0])  # Mondays 09-11 local
    silence = Silence("s2", Matchers(uplinks=frozenset({"NVR-0"})), at(-86400), at(30 * 86400),
                      "maint", "weekly", window)  # fmt: skip
    e, p = engine(silences=(silence,)), Producer()
    e.apply_event(p.offline("C00000", at(0)), at(0))  # Monday 10:00
    assert e.alerts[offline_fp("C00000")].silenced_by == "s2"
    e.tick(at(3 * 3600))  # 13:00: the window closed
    assert e.alerts[offline_fp("C00000")].silenced_by is None


def test_worker_last_will_is_an_alert() -> None:
    from bus.messages import PresenceMessage
    from bus.status import WorkerPresence

    e = engine()
    e.apply_presence(PresenceMessage("w1", WorkerPresence.OFFLINE), at(0))
    (alert,) = e.alerts.values()
    assert alert.kind is Kind.WORKER_OFFLINE
    assert alert.district_code == "150400"
    e.apply_presence(PresenceMessage("w1", WorkerPresence.ONLINE), at(5))
    assert not e.alerts[alert.fingerprint].active
