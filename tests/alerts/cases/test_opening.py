"""Opening cases from alerts on a real database: rules, waiting, routing, one open case."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from alerts.cases.commands import act, get_case, history
from alerts.cases.models import Case, CaseAlert, CaseEvent
from alerts.cases.opening import Opened, open_case_for_alert, open_case_manually
from alerts.cases.transitions import CaseError
from alerts.cases.vocabulary import SYSTEM_ACTOR, CaseAction
from alerts.cases.workflow import Workflow
from registry.db import SessionFactory, transaction
from tests.alerts.cases.conftest import NOW, alert

A = CaseAction


def count_cases(db: SessionFactory) -> int:
    with db() as session:
        return int(session.scalar(select(func.count()).select_from(Case)) or 0)


def test_camera_fault_opens_after_its_wait_and_is_dispatched(
    league: SessionFactory, workflow: Workflow
) -> None:
    fired = NOW - timedelta(minutes=5)
    first = open_case_for_alert(league, workflow, alert(fired_since=fired), NOW)
    assert first.result is Opened.WAITING
    assert first.rule == "key-site-camera-down"
    assert first.recheck_at == fired + timedelta(minutes=15)
    assert count_cases(league) == 0

    later = open_case_for_alert(league, workflow, alert(fired_since=fired), first.recheck_at)
    assert later.result is Opened.OPENED
    assert later.case_id is not None
    case = get_case(league, later.case_id)
    assert (case.status, case.department_id, case.category) == (
        "assigned",
        "maint-150402",
        "camera_fault",
    )
    assert case.camera_fault
    assert case.stage == "sign_for"
    actions = [(e.action, e.from_status, e.to_status, e.actor) for e in history(league, case.id)]
    assert actions == [
        ("open", None, "reported", SYSTEM_ACTOR),
        ("link_alert", "reported", "reported", SYSTEM_ACTOR),
        ("accept", "reported", "accepted", SYSTEM_ACTOR),
        ("assign", "accepted", "assigned", SYSTEM_ACTOR),
    ]


def test_later_alerts_link_to_the_open_case(league: SessionFactory, workflow: Workflow) -> None:
    first = open_case_for_alert(league, workflow, alert(priority="P1"), NOW)
    again = open_case_for_alert(league, workflow, alert(priority="P1", alert_id="a-2"), NOW)
    assert again.result is Opened.LINKED
    assert again.case_id == first.case_id
    assert count_cases(league) == 1
    with league() as session:
        assert session.scalar(select(func.count()).select_from(CaseAlert)) == 2


def test_storm_opens_one_case_and_members_join_it(
    league: SessionFactory, workflow: Workflow
) -> None:
    member = alert("cam-7:camera.offline", group_fingerprint="150402001:camera.offline")
    assert open_case_for_alert(league, workflow, member, NOW).result is Opened.WAITING
    storm = alert(
        "150402001:camera.offline",
        kind="camera.group_offline",
        camera_id=None,
        camera_use=None,
        is_group=True,
        cameras_affected=40,
        district_code="150402001",
    )
    opened = open_case_for_alert(league, workflow, storm, NOW)
    assert opened.result is Opened.OPENED
    for number in range(5):
        joined = open_case_for_alert(
            league,
            workflow,
            alert(f"cam-{number}:camera.offline", group_fingerprint=storm.fingerprint),
            NOW,
        )
        assert joined.case_id == opened.case_id
    assert count_cases(league) == 1
    assert opened.case_id is not None
    assert "(40 cameras)" in get_case(league, opened.case_id).title


def test_rules_can_refuse(league: SessionFactory, workflow: Workflow) -> None:
    quiet = alert("cam-1:motion.start", kind="motion.start", camera_use="traffic")
    outcome = open_case_for_alert(league, workflow, quiet, NOW)
    assert (outcome.result, outcome.rule) == (Opened.NOT_OPENED, "everything-else-waits")
    resolved = alert(priority="P1")
    from dataclasses import replace

    from alerts.cases.seam import AlertStatus

    gone = open_case_for_alert(
        league, workflow, replace(resolved, status=AlertStatus.RESOLVED), NOW
    )
    assert gone.result is Opened.NOT_OPENED


def test_unrouted_category_falls_back_to_the_command_center(
    league: SessionFactory, workflow: Workflow
) -> None:
    motion = alert(
        "cam-9:motion.start", kind="motion.start", camera_use="key_site", district_code="150402001"
    )
    opened = open_case_for_alert(league, workflow, motion, NOW)
    assert opened.case_id is not None
    assert get_case(league, opened.case_id).department_id == "cc-150402001"


def test_one_open_case_per_fingerprint_is_a_database_constraint(
    league: SessionFactory, workflow: Workflow
) -> None:
    opened = open_case_for_alert(league, workflow, alert(priority="P1"), NOW)
    assert opened.case_id is not None
    template = get_case(league, opened.case_id)
    columns = {c.key: getattr(template, c.key) for c in Case.__table__.columns if c.key != "id"}
    with pytest.raises(IntegrityError), transaction(league) as session:
        session.add(Case(**columns))


def test_recurrence_reopens_a_recently_closed_case(
    league: SessionFactory, workflow: Workflow
) -> None:
    motion = alert("cam-9:motion.start", kind="motion.start", camera_use="key_site")
    opened = open_case_for_alert(league, workflow, motion, NOW)
    case_id = opened.case_id
    assert case_id is not None
    act(league, workflow, case_id, A.SIGN_FOR, actor="wang", now=NOW)
    act(league, workflow, case_id, A.RESOLVE, actor="wang", now=NOW, reason="patrol sent")
    act(league, workflow, case_id, A.CLOSE, actor="cc.zhao", now=NOW)

    again = open_case_for_alert(
        league,
        workflow,
        alert(
            "cam-9:motion.start",
            alert_id="a-again",
            kind="motion.start",
            camera_use="key_site",
            fired_since=NOW + timedelta(days=3),
        ),
        NOW + timedelta(days=3),
    )
    assert (again.result, again.case_id) == (Opened.REOPENED, case_id)
    reopened = get_case(league, case_id)
    assert (reopened.status, reopened.stage, reopened.reopen_count) == ("reopened", "sign_for", 1)
    assert reopened.closed_at is None

    act(league, workflow, case_id, A.SIGN_FOR, actor="wang", now=NOW + timedelta(days=3))
    act(
        league, workflow, case_id, A.RESOLVE, actor="wang", now=NOW + timedelta(days=3), reason="ok"
    )
    act(league, workflow, case_id, A.CLOSE, actor="cc.zhao", now=NOW + timedelta(days=3))
    much_later = NOW + timedelta(days=11)
    fresh = open_case_for_alert(
        league,
        workflow,
        alert(
            "cam-9:motion.start",
            alert_id="a-late",
            kind="motion.start",
            camera_use="key_site",
            fired_since=much_later,
        ),
        much_later,
    )
    assert fresh.result is Opened.OPENED
    assert fresh.case_id != case_id


def test_manual_case_from_an_alert(league: SessionFactory, workflow: Workflow) -> None:
    quiet = alert("cam-1:motion.start", kind="motion.start", camera_use="traffic")
    with pytest.raises(CaseError, match="needs a reason"):
        open_case_manually(league, workflow, quiet, actor="cc.zhao", reason=" ", now=NOW)
    opened = open_case_manually(
        league, workflow, quiet, actor="cc.zhao", reason="crowd at the crossing", now=NOW
    )
    assert opened.result is Opened.OPENED
    assert opened.case_id is not None
    case = get_case(league, opened.case_id)
    assert (case.opened_by, case.department_id) == ("cc.zhao", "traffic-150400")
    again = open_case_manually(league, workflow, quiet, actor="cc.li", reason="dup", now=NOW)
    assert (again.result, again.case_id) == (Opened.LINKED, opened.case_id)


def test_unknown_district_is_refused_clearly(league: SessionFactory, workflow: Workflow) -> None:
    with pytest.raises(CaseError, match="district 999999 is not in the registry"):
        open_case_for_alert(league, workflow, alert(priority="P1", district_code="999999"), NOW)


def test_audit_rows_cannot_be_changed(league: SessionFactory, workflow: Workflow) -> None:
    from alerts.cases.models import AppendOnlyViolation

    opened = open_case_for_alert(league, workflow, alert(priority="P1"), NOW)
    with league() as session:
        row = session.scalar(select(CaseEvent).where(CaseEvent.case_id == opened.case_id).limit(1))
        assert row is not None
        row.reason = "rewritten"
        with pytest.raises(AppendOnlyViolation):
            session.flush()
        session.rollback()
        row = session.scalar(select(CaseEvent).limit(1))
        session.delete(row)
        with pytest.raises(AppendOnlyViolation):
            session.flush()
