"""Open a case from an alert, or link the alert to the case already open for it.

At most one open case per fingerprint (a grouped alert's, for its members) is the
partial unique index `uq_cases_open_fingerprint`: two consumers racing for one storm
both try the insert, the database lets one win, the other's insert fails inside a
savepoint and it links its alert to the winner's case. A case closed less than
`recurrence_days` ago is reopened instead of opening a new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alerts.cases.lifecycle import record, start_stage, transition
from alerts.cases.models import Case, CaseAlert
from alerts.cases.rules import DepartmentInfo, Verdict, decide_opening, route
from alerts.cases.seam import AlertSnapshot
from alerts.cases.transitions import CaseError
from alerts.cases.vocabulary import (
    FINISHED,
    OPEN_STATUSES,
    SYSTEM_ACTOR,
    CaseAction,
    CaseStatus,
    Stage,
)
from alerts.cases.workflow import Workflow
from registry.db import SessionFactory, transaction
from registry.models import Department, District


class Opened(StrEnum):
    OPENED = "opened"
    LINKED = "linked"
    REOPENED = "reopened"
    WAITING = "waiting"
    NOT_OPENED = "not_opened"


@dataclass(frozen=True, slots=True)
class OpeningOutcome:
    result: Opened
    case_id: int | None
    rule: str
    recheck_at: datetime | None = None


def departments_above(session: Session, district_path: str) -> list[DepartmentInfo]:
    """Departments of the district at `district_path` and of every district above it."""
    codes = [code for code in district_path.split("/") if code]
    rows = session.execute(
        select(Department.id, Department.district_code, Department.categories).where(
            Department.district_code.in_(codes)
        )
    )
    return [DepartmentInfo(i, d, frozenset(c or [])) for i, d, c in rows]


def _district(session: Session, code: str) -> District:
    district = session.get(District, code)
    if district is None:
        raise CaseError(f"district {code} is not in the registry: import it before opening cases")
    return district


def _link(session: Session, case: Case, alert: AlertSnapshot, now: datetime, actor: str) -> None:
    if session.get(CaseAlert, (case.id, alert.alert_id)) is not None:
        return
    session.add(
        CaseAlert(
            case_id=case.id, alert_id=alert.alert_id, fingerprint=alert.fingerprint, linked_at=now
        )
    )
    record(
        session,
        case,
        CaseAction.LINK_ALERT,
        actor=actor,
        now=now,
        from_status=case.status,
        data={"alert_id": alert.alert_id, "fingerprint": alert.fingerprint},
    )


def _open_case(session: Session, key: str) -> Case | None:
    return session.scalar(
        select(Case).where(
            Case.fingerprint == key, Case.status.in_([str(s) for s in OPEN_STATUSES])
        )
    )


def _recent_closed(session: Session, key: str, since: datetime) -> Case | None:
    return session.scalar(
        select(Case)
        .where(
            Case.fingerprint == key,
            Case.status.in_([str(s) for s in FINISHED]),
            Case.closed_at >= since,
        )
        .order_by(Case.closed_at.desc())
        .limit(1)
        .with_for_update()
    )


def _new_case(
    workflow: Workflow,
    alert: AlertSnapshot,
    district: District,
    category: str,
    actor: str,
    now: datetime,
) -> Case:
    where = alert.camera_id or district.name
    title = f"{alert.kind} at {where}"
    if alert.is_group:
        title += f" ({alert.cameras_affected} cameras)"
    case = Case(
        title=title,
        category=category,
        kind=alert.kind,
        priority=alert.priority,
        fingerprint=alert.case_key,
        is_group=alert.is_group,
        camera_fault=category == "camera_fault",
        camera_id=alert.camera_id,
        camera_use=alert.camera_use,
        cameras_affected=alert.cameras_affected,
        district_code=district.code,
        district_path=district.path,
        district_level=district.level,
        status=str(CaseStatus.REPORTED),
        opened_at=now,
        opened_by=actor,
        stage_seq=0,
        supervision="none",
        late_stages=0,
        reopen_count=0,
        yellow_count=0,
        red_count=0,
    )
    start_stage(case, Stage.ACCEPT, workflow, now)
    return case


def _dispatch(session: Session, workflow: Workflow, case: Case, now: datetime) -> None:
    departments = departments_above(session, case.district_path)
    found = route(workflow.rules, case.category, case.district_path, case.camera_use, departments)
    if found.department_id is None:
        return
    transition(session, case, CaseAction.ACCEPT, actor=SYSTEM_ACTOR, now=now, workflow=workflow)
    transition(
        session,
        case,
        CaseAction.ASSIGN,
        actor=SYSTEM_ACTOR,
        now=now,
        workflow=workflow,
        department_id=found.department_id,
        data={"route": found.rule},
    )


def _open(
    session: Session,
    workflow: Workflow,
    alert: AlertSnapshot,
    category: str,
    rule: str,
    actor: str,
    reason: str | None,
    now: datetime,
) -> OpeningOutcome:
    key = alert.case_key
    since = now - timedelta(days=workflow.recurrence_days)
    closed = _recent_closed(session, key, since) if workflow.recurrence_days else None
    if closed is not None:
        transition(
            session,
            closed,
            CaseAction.REOPEN_RECURRENCE,
            actor=SYSTEM_ACTOR,
            now=now,
            workflow=workflow,
            reason=f"alert {alert.alert_id} fired again within "
            f"{workflow.recurrence_days} days of closure",
        )
        _link(session, closed, alert, now, actor)
        return OpeningOutcome(Opened.REOPENED, closed.id, rule)
    district = _district(session, alert.district_code)
    case = _new_case(workflow, alert, district, category, actor, now)
    try:
        with session.begin_nested():
            session.add(case)
            session.flush()
    except IntegrityError:
        # Another consumer opened it first: join that case.
        existing = _open_case(session, key)
        if existing is None:
            raise
        _link(session, existing, alert, now, actor)
        return OpeningOutcome(Opened.LINKED, existing.id, rule)
    record(session, case, CaseAction.OPEN, actor=actor, now=now, reason=reason, rule=rule)
    _link(session, case, alert, now, actor)
    if workflow.rules.auto_dispatch:
        _dispatch(session, workflow, case, now)
    return OpeningOutcome(Opened.OPENED, case.id, rule)


def open_case_for_alert(
    factory: SessionFactory, workflow: Workflow, alert: AlertSnapshot, now: datetime
) -> OpeningOutcome:
    """What the alert service calls on each alert change (and on a tick for waiting ones)."""
    with transaction(factory) as session:
        existing = _open_case(session, alert.case_key)
        if existing is not None:
            _link(session, existing, alert, now, SYSTEM_ACTOR)
            return OpeningOutcome(Opened.LINKED, existing.id, "open case")
        if alert.group_fingerprint is not None:
            return OpeningOutcome(Opened.WAITING, None, "its group alert decides")
        district = _district(session, alert.district_code)
        decision = decide_opening(workflow.rules, alert, district.path, now)
        if decision.verdict is Verdict.WAIT:
            return OpeningOutcome(Opened.WAITING, None, decision.rule, decision.recheck_at)
        if decision.verdict is Verdict.NEVER:
            return OpeningOutcome(Opened.NOT_OPENED, None, decision.rule)
        return _open(
            session, workflow, alert, decision.category, decision.rule, SYSTEM_ACTOR, None, now
        )


def link_to_open_cases(
    factory: SessionFactory, alerts: Sequence[AlertSnapshot], now: datetime
) -> dict[str, int]:
    """Link every alert whose case key has an open case to that case, in one transaction
    (a storm's cameras come by the thousand: one commit each kept the case thread busy
    for minutes). Returns alert id → case id; the alerts left out have no open case and
    go through `open_case_for_alert`."""
    linked: dict[str, int] = {}
    with transaction(factory) as session:
        cases: dict[str, Case | None] = {}
        for alert in alerts:
            if alert.case_key not in cases:
                cases[alert.case_key] = _open_case(session, alert.case_key)
            case = cases[alert.case_key]
            if case is not None:
                _link(session, case, alert, now, SYSTEM_ACTOR)
                linked[alert.alert_id] = case.id
    return linked


def open_case_manually(
    factory: SessionFactory,
    workflow: Workflow,
    alert: AlertSnapshot,
    *,
    actor: str,
    reason: str,
    now: datetime,
    category: str | None = None,
) -> OpeningOutcome:
    """An operator opens a case from an alert whatever the rules say (still one per alert)."""
    if not reason.strip():
        raise CaseError("opening a case by hand needs a reason")
    with transaction(factory) as session:
        existing = _open_case(session, alert.case_key)
        if existing is not None:
            _link(session, existing, alert, now, actor)
            return OpeningOutcome(Opened.LINKED, existing.id, "open case")
        chosen = category or workflow.rules.category_of(alert.kind)
        return _open(session, workflow, alert, chosen, "manual", actor, reason, now)
