"""Verified closure over a tiny real alert-state table, follow-up and every reopen path."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Column, MetaData, String, Table, insert, select, update

from alerts.cases.calendar import BusinessCalendar, parse_calendar
from alerts.cases.closure import Verification, verdict, verify_closures
from alerts.cases.commands import act, get_case, history
from alerts.cases.messages import case_message
from alerts.cases.opening import open_case_for_alert
from alerts.cases.recompute import recompute_estimated
from alerts.cases.transitions import TransitionRefused
from alerts.cases.vocabulary import CaseAction
from alerts.cases.workflow import Workflow
from registry.db import SessionFactory
from registry.models import UTCDateTime
from tests.alerts.cases.conftest import NOW, alert, cst

A = CaseAction
MIN = timedelta(minutes=1)

states = Table(
    "test_alert_state",
    MetaData(),
    Column("fingerprint", String(200), primary_key=True),
    Column("resolved_since", UTCDateTime(timezone=True), nullable=True),
    Column("evidence", String(200), nullable=True),
)


class TableAlertStates:
    """The `AlertStateReader` the lead will write over the alert tables, here over a tiny one."""

    def __init__(self, factory: SessionFactory) -> None:
        self.factory = factory

    def alert_resolved_since(self, fingerprint: str) -> datetime | None:
        with self.factory() as session:
            return session.scalar(
                select(states.c.resolved_since).where(states.c.fingerprint == fingerprint)
            )

    def alert_evidence(self, fingerprint: str) -> str | None:
        with self.factory() as session:
            return session.scalar(
                select(states.c.evidence).where(states.c.fingerprint == fingerprint)
            )

    def set(
        self, fingerprint: str, resolved_since: datetime | None, evidence: str | None = None
    ) -> None:
        with self.factory.begin() as session:
            done = session.execute(
                update(states)
                .where(states.c.fingerprint == fingerprint)
                .values(resolved_since=resolved_since, evidence=evidence)
            )
            if done.rowcount == 0:  # type: ignore[attr-defined]
                session.execute(
                    insert(states).values(
                        fingerprint=fingerprint, resolved_since=resolved_since, evidence=evidence
                    )
                )


@pytest.fixture
def alert_states(league: SessionFactory) -> Iterator[TableAlertStates]:
    engine = league.kw["bind"]
    states.create(engine)
    yield TableAlertStates(league)
    states.drop(engine)


def resolved_camera_case(db: SessionFactory, workflow: Workflow, fingerprint: str) -> int:
    opened = open_case_for_alert(db, workflow, alert(fingerprint), NOW)
    assert opened.case_id is not None
    act(db, workflow, opened.case_id, A.SIGN_FOR, actor="wang", now=NOW)
    act(
        db,
        workflow,
        opened.case_id,
        A.RESOLVE,
        actor="wang",
        now=NOW + 60 * MIN,
        reason="replaced the power supply",
    )
    return opened.case_id


def test_verdict_is_pure() -> None:
    assert verdict(NOW, NOW, None, 1800, 600) is Verification.WAITING
    assert verdict(NOW + 10 * MIN, NOW, None, 1800, 600) is Verification.FAULT_BACK
    assert verdict(NOW + 29 * MIN, NOW, NOW, 1800, 600) is Verification.WAITING
    assert verdict(NOW + 30 * MIN, NOW, NOW, 1800, 600) is Verification.CLOSED


def test_camera_case_closes_only_after_the_alert_stayed_resolved(
    league: SessionFactory, workflow: Workflow, alert_states: TableAlertStates
) -> None:
    case_id = resolved_camera_case(league, workflow, "cam-1:camera.offline")
    with pytest.raises(TransitionRefused, match="handler's word"):
        act(league, workflow, case_id, A.CLOSE, actor="wang", now=NOW + 61 * MIN)
    alert_states.set("cam-1:camera.offline", NOW + 50 * MIN, "snap-1.jpg")
    outcome = verify_closures(league, workflow, alert_states, NOW + 79 * MIN)
    assert [o.result for o in outcome] == [Verification.WAITING]
    outcome = verify_closures(league, workflow, alert_states, NOW + 80 * MIN)
    assert [o.result for o in outcome] == [Verification.CLOSED]
    case = get_case(league, case_id)
    assert (case.status, case.closed_at, case.stage) == ("closed", NOW + 80 * MIN, None)
    closing = history(league, case_id)[-1]
    assert (closing.action, closing.actor, closing.rule) == (
        "verified_close",
        "system",
        "verified_close",
    )
    assert closing.data["evidence"] == "snap-1.jpg"
    assert verify_closures(league, workflow, alert_states, NOW + 90 * MIN) == []


def test_fault_back_returns_the_case_to_in_progress_with_evidence(
    league: SessionFactory, workflow: Workflow, alert_states: TableAlertStates
) -> None:
    case_id = resolved_camera_case(league, workflow, "cam-2:camera.offline")
    alert_states.set("cam-2:camera.offline", None, "snap-still-black.jpg")
    waiting = verify_closures(league, workflow, alert_states, NOW + 65 * MIN)
    assert [o.result for o in waiting] == [Verification.WAITING]
    back = verify_closures(league, workflow, alert_states, NOW + 70 * MIN)
    assert [o.result for o in back] == [Verification.FAULT_BACK]
    case = get_case(league, case_id)
    assert (case.status, case.stage, case.reopen_count, case.resolved_at is not None) == (
        "in_progress",
        "handle",
        1,
        True,
    )
    event = history(league, case_id)[-1]
    assert (event.action, event.from_status, event.to_status) == (
        "check_failed",
        "resolved",
        "in_progress",
    )
    assert event.data["evidence"] == "snap-still-black.jpg"
    assert "fault is back" in (event.reason or "")


def motion_case(db: SessionFactory, workflow: Workflow) -> int:
    opened = open_case_for_alert(
        db, workflow, alert("cam-9:motion.start", kind="motion.start", camera_use="key_site"), NOW
    )
    assert opened.case_id is not None
    return opened.case_id


def test_failed_check_dissatisfied_follow_up_and_archive(
    league: SessionFactory, workflow: Workflow
) -> None:
    case_id = motion_case(league, workflow)
    step = iter(NOW + n * MIN for n in range(1, 100))
    act(league, workflow, case_id, A.SIGN_FOR, actor="wang", now=next(step))
    act(league, workflow, case_id, A.RESOLVE, actor="wang", now=next(step), reason="patrolled")
    act(
        league,
        workflow,
        case_id,
        A.CHECK_FAILED,
        actor="cc.zhao",
        now=next(step),
        reason="no photo of the patrol",
    )
    assert get_case(league, case_id).status == "in_progress"
    act(league, workflow, case_id, A.RESOLVE, actor="wang", now=next(step), reason="photo added")
    act(league, workflow, case_id, A.CLOSE, actor="cc.zhao", now=next(step))
    act(
        league,
        workflow,
        case_id,
        A.FOLLOW_UP_DISSATISFIED,
        actor="cc.zhao",
        now=next(step),
        reason="the reporter says nobody came",
    )
    reopened = get_case(league, case_id)
    assert (reopened.status, reopened.stage, reopened.follow_up_result, reopened.reopen_count) == (
        "reopened",
        "sign_for",
        "dissatisfied",
        2,
    )
    act(league, workflow, case_id, A.SIGN_FOR, actor="wang", now=next(step))
    act(league, workflow, case_id, A.RESOLVE, actor="wang", now=next(step), reason="went again")
    act(league, workflow, case_id, A.CLOSE, actor="cc.zhao", now=next(step))
    act(league, workflow, case_id, A.FOLLOW_UP, actor="cc.zhao", now=next(step))
    act(league, workflow, case_id, A.ARCHIVE, actor="cc.zhao", now=next(step))
    done = get_case(league, case_id)
    assert (done.status, done.follow_up_result, done.late_stages) == ("archived", "satisfied", 0)
    assert done.sign_for_work_s == 60.0
    assert [e.to_status for e in history(league, case_id) if e.rule][-3:] == [
        "closed",
        "followed_up",
        "archived",
    ]


def test_case_message_for_integrations(league: SessionFactory, workflow: Workflow) -> None:
    case_id = motion_case(league, workflow)
    event = act(league, workflow, case_id, A.SIGN_FOR, actor="wang", now=NOW)
    topic, payload = case_message("gridwatch", get_case(league, case_id), event)
    assert topic == f"gridwatch/v1/cases/150402001001/{case_id}"
    assert (payload["action"], payload["from"], payload["to"], payload["actor"]) == (
        "sign_for",
        "assigned",
        "in_progress",
        "wang",
    )
    assert payload["stage_deadline"] == cst(2026, 12, 3, 10, 0).isoformat()


def test_deadline_into_2027_is_estimated_then_recomputed_when_the_file_gains_2027(
    league: SessionFactory, workflow: Workflow
) -> None:
    start = cst(2026, 12, 21, 10, 0)
    slow = alert(
        "cam-9:motion.start",
        kind="motion.start",
        camera_use="key_site",
        priority="P4",
        fired_since=start,
    )
    opened = open_case_for_alert(league, workflow, slow, start)
    assert opened.case_id is not None
    act(league, workflow, opened.case_id, A.SIGN_FOR, actor="wang", now=start)
    case = get_case(league, opened.case_id)
    # 15 working days, 2027 estimated: weekends + statutory New Year.
    assert (case.stage_deadline, case.deadline_estimated) == (cst(2027, 1, 12, 10, 0), True)
    assert recompute_estimated(league, workflow, start) == 0  # still estimated: nothing new

    published = parse_calendar(
        {
            "years": {
                2027: {
                    "holidays": [date(2027, 1, 1), date(2027, 1, 4), date(2027, 1, 5)],
                }
            }
        }
    )
    # Dec 22–31 (8), Jan 6–8 (11), Jan 11–14 (15).
    informed = replace(workflow, calendar=BusinessCalendar(published))
    assert recompute_estimated(league, informed, cst(2026, 12, 28, 9, 0)) == 1
    case = get_case(league, opened.case_id)
    assert (case.stage_deadline, case.deadline_estimated) == (cst(2027, 1, 14, 10, 0), False)
    audit = history(league, opened.case_id)[-1]
    assert audit.action == "recompute_deadline"
    assert audit.data["old_deadline"] == cst(2027, 1, 12, 10, 0).isoformat()
    assert audit.stage_deadline == cst(2027, 1, 14, 10, 0)
    assert recompute_estimated(league, informed, cst(2026, 12, 28, 9, 0)) == 0
