"""KPIs of the case workflow for a period, optionally one department and one district subtree.

Each figure is one grouped aggregate over indexed columns of `cases` (or `case_flags`),
because the figures were stored when stages ended: working-time durations as plain
numbers (means are AVGs), lateness as `late_stages`, the follow-up result as a column.

- opened: cases opened in the period (the cohort);
- closed: cases closed in the period (whenever opened);
- closure rate (办结率): share of the cohort closed by now;
- on-time rate (按期办结率): share of the cohort's closed cases with no stage past its deadline;
- satisfaction (回访满意率): share of the cohort's followed-up cases found satisfied;
- mean working time from opening to sign-for and to resolution (seconds of working time);
- overdue now: open cases whose running stage is past its deadline at `now`;
- yellow and red cards raised in the period, per department they count against.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from alerts.cases.models import Case, CaseFlag
from registry.tree import path_range


@dataclass(frozen=True, slots=True)
class KpiScope:
    start: datetime
    end: datetime
    department_id: str | None = None
    district_path: str | None = None


@dataclass(frozen=True, slots=True)
class Cards:
    department_id: str | None
    yellow: int
    red: int


@dataclass(frozen=True, slots=True)
class Kpis:
    opened: int
    closed: int
    closed_of_opened: int
    closure_rate: float | None
    on_time_rate: float | None
    followed_up: int
    satisfaction_rate: float | None
    mean_sign_for_s: float | None
    mean_resolve_s: float | None
    overdue_now: int
    cards: tuple[Cards, ...]


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _filters(scope: KpiScope) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if scope.department_id is not None:
        where.append(Case.department_id == scope.department_id)
    if scope.district_path is not None:
        low, high = path_range(scope.district_path)
        where.append(and_(Case.district_path >= low, Case.district_path < high))
    return where


def _number(value: Any) -> int:
    return int(value or 0)


def kpis(session: Session, scope: KpiScope, now: datetime) -> Kpis:
    where = _filters(scope)
    closed_col = Case.closed_at.is_not(None)
    cohort = session.execute(
        select(
            func.count(),
            func.count(Case.closed_at),
            func.sum(case((and_(closed_col, Case.late_stages == 0), 1), else_=0)),
            func.count(Case.follow_up_result),
            func.sum(case((Case.follow_up_result == "satisfied", 1), else_=0)),
            func.avg(Case.sign_for_work_s),
            func.avg(Case.resolve_work_s),
        ).where(Case.opened_at >= scope.start, Case.opened_at < scope.end, *where)
    ).one()
    closed = session.scalar(
        select(func.count())
        .select_from(Case)
        .where(Case.closed_at >= scope.start, Case.closed_at < scope.end, *where)
    )
    overdue = session.scalar(
        select(func.count()).select_from(Case).where(Case.stage_deadline < now, *where)
    )
    cards_query = (
        select(CaseFlag.department_id, CaseFlag.level, func.count())
        .where(CaseFlag.raised_at >= scope.start, CaseFlag.raised_at < scope.end)
        .group_by(CaseFlag.department_id, CaseFlag.level)
    )
    if scope.department_id is not None:
        cards_query = cards_query.where(CaseFlag.department_id == scope.department_id)
    if scope.district_path is not None:
        low, high = path_range(scope.district_path)
        cards_query = cards_query.where(
            CaseFlag.district_path >= low, CaseFlag.district_path < high
        )
    per_department: dict[str | None, dict[str, int]] = {}
    for department, level, count in session.execute(cards_query):
        per_department.setdefault(department, {})[level] = int(count)
    opened, closed_of_opened = _number(cohort[0]), _number(cohort[1])
    followed = _number(cohort[3])
    return Kpis(
        opened=opened,
        closed=_number(closed),
        closed_of_opened=closed_of_opened,
        closure_rate=_ratio(closed_of_opened, opened),
        on_time_rate=_ratio(_number(cohort[2]), closed_of_opened),
        followed_up=followed,
        satisfaction_rate=_ratio(_number(cohort[4]), followed),
        mean_sign_for_s=None if cohort[5] is None else float(cohort[5]),
        mean_resolve_s=None if cohort[6] is None else float(cohort[6]),
        overdue_now=_number(overdue),
        cards=tuple(
            Cards(d, levels.get("yellow", 0), levels.get("red", 0))
            for d, levels in sorted(per_department.items(), key=lambda kv: kv[0] or "")
        ),
    )
