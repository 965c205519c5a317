"""Recompute the deadlines that counted days of an estimated calendar year.

When the calendar file gains a year (the State Council publishes its arrangement),
every running clock marked `deadline_estimated` is recomputed from where it started
with the same working-time budget, and each change is audited. A clock the calendar
still cannot answer better is left alone (no audit row), so the alert service may run
this at every start and every day, in several processes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from alerts.cases.commands import lock_case
from alerts.cases.lifecycle import record, set_clock
from alerts.cases.models import Case, CaseSummons
from alerts.cases.sla import CHECK_IN
from alerts.cases.vocabulary import SYSTEM_ACTOR, CaseAction, Supervision
from alerts.cases.workflow import Workflow
from registry.db import SessionFactory, transaction


def recompute_estimated(factory: SessionFactory, workflow: Workflow, now: datetime) -> int:
    """Recompute estimated stage and check-in deadlines; returns how many changed."""
    with factory() as session:
        case_ids = list(
            session.scalars(
                select(Case.id).where(
                    Case.deadline_estimated.is_(True), Case.clock_from.is_not(None)
                )
            )
        )
        summons_ids = list(
            session.scalars(
                select(CaseSummons.id).where(
                    CaseSummons.deadline_estimated.is_(True), CaseSummons.checked_in_at.is_(None)
                )
            )
        )
    changed = 0
    for case_id in case_ids:
        with transaction(factory) as session:
            case = lock_case(session, case_id)
            if (
                not case.deadline_estimated  # another process recomputed it meanwhile
                or case.clock_from is None
                or case.stage_budget_s is None
            ):
                continue
            old = case.stage_deadline
            clock = workflow.clock(case.clock_from, case.stage_budget_s)
            if clock.estimated and clock.deadline == old:
                continue  # the calendar still knows nothing new: no write, no audit row
            set_clock(case, clock, case.clock_from)
            record(
                session,
                case,
                CaseAction.RECOMPUTE_DEADLINE,
                actor=SYSTEM_ACTOR,
                now=now,
                from_status=case.status,
                reason="the calendar now covers the year the deadline counted"
                if not clock.estimated
                else "deadline recomputed, still estimated",
                data={
                    "old_deadline": old.isoformat() if old else None,
                    "new_deadline": clock.deadline.isoformat(),
                },
            )
            changed += 1
    for summons_id in summons_ids:
        with transaction(factory) as session:
            summons = session.get(CaseSummons, summons_id)
            if summons is None:
                continue
            case = lock_case(session, summons.case_id)
            session.refresh(summons)
            if not summons.deadline_estimated or summons.checked_in_at is not None:
                continue
            budget = workflow.sla.limit_s(
                CHECK_IN, priority=case.priority, category=case.category, level=case.district_level
            )
            clock = workflow.clock(summons.summoned_at, budget)
            old = summons.deadline
            if clock.estimated and clock.red_at == old:
                continue
            summons.deadline, summons.yellow_at = clock.red_at, clock.yellow_at
            summons.deadline_estimated = clock.estimated
            if summons.supervision == Supervision.NONE:
                summons.next_flag_at = clock.yellow_at
            elif summons.supervision == Supervision.YELLOW:
                summons.next_flag_at = clock.red_at
            record(
                session,
                case,
                CaseAction.RECOMPUTE_DEADLINE,
                actor=SYSTEM_ACTOR,
                now=now,
                from_status=case.status,
                reason="check-in deadline recomputed",
                data={
                    "summons": summons.department_id,
                    "old_deadline": old.isoformat(),
                    "new_deadline": clock.red_at.isoformat(),
                },
            )
            changed += 1
    return changed
