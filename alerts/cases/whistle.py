"""吹哨报到: a township case summons several departments at once; each must check in
(报到) before its own deadline, one as lead and the rest assisting. The roll call says
who came, who came late, who is still awaited and who never came; supervision raises
yellow/red cards on each check-in deadline like on a stage (see `supervision`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from alerts.cases.commands import lock_case
from alerts.cases.lifecycle import record
from alerts.cases.models import CaseSummons
from alerts.cases.sla import CHECK_IN
from alerts.cases.transitions import CaseError
from alerts.cases.vocabulary import FINISHED, CaseAction, CaseStatus, CheckInState, WhistleRole
from alerts.cases.workflow import Workflow
from registry.db import SessionFactory, transaction
from registry.models import Department


@dataclass(frozen=True, slots=True)
class RollCall:
    department_id: str
    role: WhistleRole
    deadline: datetime
    state: CheckInState
    checked_in_at: datetime | None
    supervision: str


def check_in_state(
    now: datetime, deadline: datetime, checked_in_at: datetime | None
) -> CheckInState:
    if checked_in_at is not None:
        return CheckInState.CAME if checked_in_at <= deadline else CheckInState.LATE
    return CheckInState.WAITING if now <= deadline else CheckInState.NEVER_CAME


def whistle(
    factory: SessionFactory,
    workflow: Workflow,
    case_id: int,
    summoned: Sequence[tuple[str, WhistleRole]],
    *,
    actor: str,
    reason: str,
    now: datetime,
) -> list[int]:
    """Summon departments to a case; returns the summons ids."""
    if not reason.strip():
        raise CaseError("a whistle needs a reason (what the departments are summoned for)")
    with transaction(factory) as session:
        case = lock_case(session, case_id)
        if CaseStatus(case.status) in FINISHED:
            raise CaseError(f"case {case_id} is {case.status}: reopen it before whistling")
        if case.district_level not in workflow.rules.whistle_levels:
            levels = sorted(workflow.rules.whistle_levels)
            raise CaseError(
                f"case {case_id} is at district level {case.district_level}; "
                f"whistles are for levels {levels} (case_rules.yaml whistle_levels)"
            )
        present = {
            (s.department_id, s.role)
            for s in session.scalars(select(CaseSummons).where(CaseSummons.case_id == case_id))
        }
        ids = [d for d, _ in summoned]
        known = set(session.scalars(select(Department.id).where(Department.id.in_(ids))))
        if missing := sorted(set(ids) - known):
            raise CaseError(f"unknown departments {missing}: import them first")
        if len(set(ids)) != len(ids) or set(ids) & {d for d, _ in present}:
            raise CaseError("each department is summoned to a case once")
        leads = [d for d, role in [*present, *summoned] if role is WhistleRole.LEAD]
        if len(leads) != 1:
            raise CaseError(f"a whistle needs exactly one lead department (got {len(leads)})")
        budget = workflow.sla.limit_s(
            CHECK_IN, priority=case.priority, category=case.category, level=case.district_level
        )
        clock = workflow.clock(now, budget)
        rows = [
            CaseSummons(
                case_id=case_id,
                department_id=department,
                role=str(role),
                summoned_at=now,
                summoned_by=actor,
                deadline=clock.red_at,
                deadline_estimated=clock.estimated,
                yellow_at=clock.yellow_at,
                next_flag_at=clock.yellow_at,
                supervision="none",
            )
            for department, role in summoned
        ]
        session.add_all(rows)
        session.flush()
        record(
            session,
            case,
            CaseAction.WHISTLE,
            actor=actor,
            now=now,
            reason=reason,
            from_status=case.status,
            data={
                "summoned": [{"department_id": d, "role": str(r)} for d, r in summoned],
                "check_in_deadline": clock.red_at.isoformat(),
            },
        )
        return [row.id for row in rows]


def check_in(
    factory: SessionFactory, case_id: int, department_id: str, *, actor: str, now: datetime
) -> CheckInState:
    """A summoned department reports in (报到); late check-ins are recorded as late."""
    with transaction(factory) as session:
        case = lock_case(session, case_id)
        summons = session.scalar(
            select(CaseSummons).where(
                CaseSummons.case_id == case_id, CaseSummons.department_id == department_id
            )
        )
        if summons is None:
            raise CaseError(f"department {department_id} was not summoned to case {case_id}")
        if summons.checked_in_at is not None:
            raise CaseError(f"department {department_id} checked in at {summons.checked_in_at}")
        summons.checked_in_at = now
        summons.checked_in_by = actor
        summons.next_flag_at = None
        state = check_in_state(now, summons.deadline, now)
        record(
            session,
            case,
            CaseAction.CHECK_IN,
            actor=actor,
            now=now,
            from_status=case.status,
            data={"department_id": department_id, "state": str(state)},
        )
        return state


def roll_call(factory: SessionFactory, case_id: int, now: datetime) -> list[RollCall]:
    with factory() as session:
        rows = session.scalars(
            select(CaseSummons).where(CaseSummons.case_id == case_id).order_by(CaseSummons.id)
        )
        return [
            RollCall(
                s.department_id,
                WhistleRole(s.role),
                s.deadline,
                check_in_state(now, s.deadline, s.checked_in_at),
                s.checked_in_at,
                s.supervision,
            )
            for s in rows
        ]
