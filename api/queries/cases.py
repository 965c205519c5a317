"""Cases of a scope: the filtered list with keyset pagination (newest first), one case,
its linked alerts, and open cases per district for the roll-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from alerts.cases.models import Case, CaseAlert, CaseSummons
from alerts.cases.vocabulary import OPEN_STATUSES
from api.auth.principal import Scope

CaseKey = tuple[datetime, int]
KEY_SHAPE = (datetime, int)


@dataclass(frozen=True, slots=True)
class CaseFilter:
    district_path: str | None = None
    department_id: str | None = None
    mine: str | None = None
    """A department: cases assigned to it or to which it is summoned (a whistle)."""
    overdue: bool | None = None
    status: str | None = None
    stage: str | None = None


def key_of(case: Case) -> CaseKey:
    return (case.opened_at, case.id)


def _overdue(now: datetime) -> ColumnElement[bool]:
    return and_(Case.stage_deadline.is_not(None), Case.stage_deadline < now)


def _conditions(wanted: CaseFilter, now: datetime) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if wanted.district_path is not None:
        where.append(Scope("", wanted.district_path).covers(Case.district_path))
    if wanted.department_id is not None:
        where.append(Case.department_id == wanted.department_id)
    if wanted.mine is not None:
        summoned = exists().where(
            CaseSummons.case_id == Case.id, CaseSummons.department_id == wanted.mine
        )
        where.append(or_(Case.department_id == wanted.mine, summoned))
    if wanted.overdue is not None:
        where.append(_overdue(now) if wanted.overdue else ~_overdue(now))
    if wanted.status is not None:
        where.append(Case.status == wanted.status)
    if wanted.stage is not None:
        where.append(Case.stage == wanted.stage)
    return where


def search_cases(
    session: Session,
    scope: Scope,
    wanted: CaseFilter,
    now: datetime,
    after: CaseKey | None,
    limit: int,
) -> tuple[list[Case], bool]:
    statement = select(Case).where(scope.covers(Case.district_path), *_conditions(wanted, now))
    if after is not None:
        columns = (Case.opened_at, Case.id)
        values = (literal(v, c.type) for v, c in zip(after, columns, strict=True))
        statement = statement.where(tuple_(*columns) < tuple_(*values))
    rows = list(
        session.scalars(statement.order_by(Case.opened_at.desc(), Case.id.desc()).limit(limit + 1))
    )
    return rows[:limit], len(rows) > limit


def case_in_scope(session: Session, scope: Scope, case_id: int) -> Case | None:
    return session.scalar(select(Case).where(Case.id == case_id, scope.covers(Case.district_path)))


def linked_alerts(session: Session, case_id: int) -> list[str]:
    return list(
        session.scalars(
            select(CaseAlert.alert_id)
            .where(CaseAlert.case_id == case_id)
            .order_by(CaseAlert.linked_at, CaseAlert.alert_id)
        )
    )


def summoned(session: Session, case_id: int, department_id: str) -> bool:
    return (
        session.scalar(
            select(CaseSummons.id).where(
                CaseSummons.case_id == case_id, CaseSummons.department_id == department_id
            )
        )
        is not None
    )


def open_cases_by_district(session: Session, scope: Scope) -> dict[str, int]:
    rows = session.execute(
        select(Case.district_code, func.count())
        .where(scope.covers(Case.district_path), Case.status.in_([str(s) for s in OPEN_STATUSES]))
        .group_by(Case.district_code)
    ).all()
    return {code: int(n) for code, n in rows}
