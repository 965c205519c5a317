"""Yellow and red cards in virtual time, escalation, extension pause, and the whistle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from alerts.cases.commands import act, get_case, history
from alerts.cases.models import CaseFlag
from alerts.cases.opening import open_case_for_alert
from alerts.cases.supervision import SupervisionNotice, levels_between, supervise, supervision_level
from alerts.cases.transitions import CaseError
from alerts.cases.vocabulary import CaseAction, CheckInState, Supervision, WhistleRole
from alerts.cases.whistle import check_in, roll_call, whistle
from alerts.cases.workflow import Workflow
from registry.db import SessionFactory
from tests.alerts.cases.conftest import NOW, alert, cst

A = CaseAction
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_level_from_instants() -> None:
    yellow, red = T0 + timedelta(hours=8), T0 + timedelta(hours=10)
    assert supervision_level(T0, yellow, red) is Supervision.NONE
    assert supervision_level(yellow, yellow, red) is Supervision.YELLOW
    assert supervision_level(red, yellow, red) is Supervision.RED
    assert supervision_level(red, None, None) is Supervision.NONE
    assert levels_between(Supervision.NONE, Supervision.RED) == [
        Supervision.YELLOW,
        Supervision.RED,
    ]
    assert levels_between(Supervision.YELLOW, Supervision.YELLOW) == []


def camera_case(
    db: SessionFactory, workflow: Workflow, fingerprint: str = "cam-1:camera.offline"
) -> int:
    opened = open_case_for_alert(db, workflow, alert(fingerprint, camera_id=fingerprint[:5]), NOW)
    assert opened.case_id is not None
    return opened.case_id


def test_sign_for_stage_turns_yellow_then_red_and_escalates(
    league: SessionFactory, workflow: Workflow
) -> None:
    case_id = camera_case(league, workflow)
    case = get_case(league, case_id)
    # Sign-for: 4 h of working time from Thu 10:00 (lunch 12:00–13:30 excluded).
    assert case.stage_deadline == cst(2026, 11, 26, 15, 30)
    assert case.yellow_at == cst(2026, 11, 26, 14, 42)
    seen: list[SupervisionNotice] = []
    assert supervise(league, workflow, cst(2026, 11, 26, 14, 41), seen.append) == []
    yellow = supervise(league, workflow, cst(2026, 11, 26, 14, 42), seen.append)
    assert [(n.level, n.department_id, n.escalated_to) for n in yellow] == [
        (Supervision.YELLOW, "maint-150402", None)
    ]
    assert supervise(league, workflow, cst(2026, 11, 26, 15, 0)) == []
    red = supervise(league, workflow, cst(2026, 11, 26, 15, 30), seen.append)
    # The village's parent is the township: its command center is told.
    assert [(n.level, n.department_id, n.escalated_to) for n in red] == [
        (Supervision.RED, "maint-150402", "cc-150402001")
    ]
    assert seen == yellow + red
    assert supervise(league, workflow, cst(2026, 11, 27, 9, 0)) == []
    case = get_case(league, case_id)
    assert (case.supervision, case.status, case.yellow_count, case.red_count) == (
        "red",
        "assigned",
        1,
        1,
    )
    supervised = [e.data for e in history(league, case_id) if e.action == "supervise"]
    assert [d["level"] for d in supervised] == ["yellow", "red"]

    # Signing for it late counts the stage late and starts the handle clock afresh.
    act(league, workflow, case_id, A.SIGN_FOR, actor="wang", now=cst(2026, 11, 27, 9, 0))
    case = get_case(league, case_id)
    assert (case.stage, case.supervision, case.late_stages) == ("handle", "none", 1)
    # camera_fault handles in 2 working days: Fri 09:00 → Tue 09:00.
    assert case.stage_deadline == cst(2026, 12, 2, 9, 0)


def test_supervisor_down_through_both_thresholds_raises_both_once(
    league: SessionFactory, workflow: Workflow
) -> None:
    case_id = camera_case(league, workflow)
    later = cst(2026, 11, 30, 9, 0)
    first = supervise(league, workflow, later)
    assert [n.level for n in first] == [Supervision.YELLOW, Supervision.RED]
    assert supervise(league, workflow, later) == []
    with league() as session:
        flags = session.scalars(select(CaseFlag).where(CaseFlag.case_id == case_id)).all()
    assert sorted(f.level for f in flags) == ["red", "yellow"]
    assert {f.due_at for f in flags} == {cst(2026, 11, 26, 14, 42), cst(2026, 11, 26, 15, 30)}


def test_extension_pauses_the_clock_until_approved(
    league: SessionFactory, workflow: Workflow
) -> None:
    motion = alert("cam-9:motion.start", kind="motion.start", camera_use="key_site")
    opened = open_case_for_alert(league, workflow, motion, NOW)
    assert opened.case_id is not None
    case_id = opened.case_id
    act(league, workflow, case_id, A.SIGN_FOR, actor="wang", now=NOW)
    # security handles in 5 working days: Thu 26 Nov 10:00 → Thu 3 Dec 10:00.
    assert get_case(league, case_id).stage_deadline == cst(2026, 12, 3, 10, 0)
    with pytest.raises(CaseError, match="needs a reason"):
        act(league, workflow, case_id, A.REQUEST_EXTENSION, actor="wang", now=NOW)
    act(
        league,
        workflow,
        case_id,
        A.REQUEST_EXTENSION,
        actor="wang",
        now=cst(2026, 11, 30, 10, 0),
        reason="waiting for a spare part",
    )
    paused = get_case(league, case_id)
    # Thu 6 h + Fri 7.5 h + Mon 1.5 h used: 22.5 h left.
    assert paused.paused_remaining_s == 22.5 * 3600
    assert (paused.status, paused.stage_deadline, paused.next_flag_at) == (
        "extension_pending",
        None,
        None,
    )
    assert supervise(league, workflow, cst(2026, 12, 4, 10, 0)) == []
    with pytest.raises(CaseError, match="working time granted"):
        act(
            league,
            workflow,
            case_id,
            A.APPROVE_EXTENSION,
            actor="cc.zhao",
            now=cst(2026, 12, 4, 10, 0),
        )
    act(
        league,
        workflow,
        case_id,
        A.APPROVE_EXTENSION,
        actor="cc.zhao",
        now=cst(2026, 12, 4, 10, 0),
        extension_s=7.5 * 3600,
    )
    resumed = get_case(league, case_id)
    # 22.5 h left + 7.5 h granted = 4 working days from Fri 4 Dec 10:00.
    assert resumed.stage_deadline == cst(2026, 12, 10, 10, 0)
    assert resumed.yellow_at == cst(2026, 12, 9, 11, 30)
    events = [e for e in history(league, case_id) if e.action == "approve_extension"]
    assert events[0].stage_deadline == cst(2026, 12, 10, 10, 0)
    assert events[0].data["extension_s"] == 27000


def test_whistle_roll_call_and_check_in_supervision(
    league: SessionFactory, workflow: Workflow
) -> None:
    motion = alert(
        "cam-9:motion.start", kind="motion.start", camera_use="key_site", district_code="150402001"
    )
    opened = open_case_for_alert(league, workflow, motion, NOW)
    assert opened.case_id is not None
    case_id = opened.case_id
    with pytest.raises(CaseError, match="exactly one lead"):
        whistle(
            league,
            workflow,
            case_id,
            [("police-150402001", WhistleRole.ASSIST)],
            actor="cc.zhao",
            reason="fight",
            now=NOW,
        )
    whistle(
        league,
        workflow,
        case_id,
        [
            ("police-150402001", WhistleRole.LEAD),
            ("urban-150402001", WhistleRole.ASSIST),
            ("maint-150402", WhistleRole.ASSIST),
        ],
        actor="cc.zhao",
        reason="stall fire at the market",
        now=NOW,
    )
    assert (
        check_in(league, case_id, "police-150402001", actor="zhang", now=cst(2026, 11, 26, 11))
        is CheckInState.CAME
    )
    with pytest.raises(CaseError, match="checked in at"):
        check_in(league, case_id, "police-150402001", actor="zhang", now=cst(2026, 11, 26, 11))
    notices = supervise(league, workflow, cst(2026, 11, 26, 15, 30))
    summons_cards = sorted(
        (n.department_id, n.level) for n in notices if n.subject.startswith("summons:")
    )
    assert summons_cards == [
        ("maint-150402", Supervision.RED),
        ("maint-150402", Supervision.YELLOW),
        ("urban-150402001", Supervision.RED),
        ("urban-150402001", Supervision.YELLOW),
    ]
    assert all(n.escalated_to == "cc-150402" for n in notices if n.level is Supervision.RED)
    assert (
        check_in(league, case_id, "urban-150402001", actor="liu", now=cst(2026, 11, 26, 16))
        is CheckInState.LATE
    )
    calls = {r.department_id: r.state for r in roll_call(league, case_id, cst(2026, 11, 26, 16))}
    assert calls == {
        "police-150402001": CheckInState.CAME,
        "urban-150402001": CheckInState.LATE,
        "maint-150402": CheckInState.NEVER_CAME,
    }


def test_whistle_is_for_township_cases(league: SessionFactory, workflow: Workflow) -> None:
    case_id = camera_case(league, workflow)  # a village camera
    with pytest.raises(CaseError, match="whistles are for levels \\[3\\]"):
        whistle(
            league,
            workflow,
            case_id,
            [("police-150402001", WhistleRole.LEAD)],
            actor="cc.zhao",
            reason="x",
            now=NOW,
        )
