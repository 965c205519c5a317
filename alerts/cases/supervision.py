"""Supervision (督办): yellow and red cards raised by a scheduler, an overlay on the case.

Each running stage (and each whistle check-in) stores the instants it turns yellow and
red, and `next_flag_at`, the next of them still to be raised: the scheduler's scan is
one range query on that indexed column. `supervise` raises every card that is due,
once: the row is locked, the level only goes up, and `case_flags` has a unique
(case, subject, level) key. It holds no state of its own, so it may run every minute,
in several processes, and after a restart it raises what came due while it was down.
A red card counts against the department holding the case and escalates to the
command center of the parent district, which is notified.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.cases.lifecycle import record
from alerts.cases.models import Case, CaseFlag, CaseSummons
from alerts.cases.opening import departments_above
from alerts.cases.rules import command_center_above
from alerts.cases.vocabulary import SYSTEM_ACTOR, CaseAction, Supervision
from alerts.cases.workflow import Workflow
from registry.db import SessionFactory, transaction

BATCH = 500
_RANK = {Supervision.NONE: 0, Supervision.YELLOW: 1, Supervision.RED: 2}


def supervision_level(
    now: datetime, yellow_at: datetime | None, red_at: datetime | None
) -> Supervision:
    """The card a clock deserves at `now` (no clock: none)."""
    if red_at is not None and now >= red_at:
        return Supervision.RED
    if yellow_at is not None and now >= yellow_at:
        return Supervision.YELLOW
    return Supervision.NONE


def levels_between(current: Supervision, reached: Supervision) -> list[Supervision]:
    """Cards to raise going from `current` to `reached` (both, if the scheduler was away)."""
    return [
        level
        for level in (Supervision.YELLOW, Supervision.RED)
        if _RANK[current] < _RANK[level] <= _RANK[reached]
    ]


@dataclass(frozen=True, slots=True)
class SupervisionNotice:
    case_id: int
    subject: str
    level: Supervision
    department_id: str | None
    escalated_to: str | None
    due_at: datetime
    district_code: str


Notify = Callable[[SupervisionNotice], None]


def _raise(
    session: Session,
    workflow: Workflow,
    case: Case,
    *,
    subject: str,
    levels: Sequence[Supervision],
    department_id: str | None,
    due: dict[Supervision, datetime],
    now: datetime,
) -> list[SupervisionNotice]:
    notices = []
    escalate_to: str | None = None
    if Supervision.RED in levels:
        above = departments_above(session, case.district_path)
        escalate_to = command_center_above(workflow.rules, case.district_path, above)
    for level in levels:
        target = escalate_to if level is Supervision.RED else None
        session.add(
            CaseFlag(
                case_id=case.id,
                subject=subject,
                level=str(level),
                raised_at=now,
                due_at=due[level],
                department_id=department_id,
                escalated_to=target,
                district_path=case.district_path,
            )
        )
        if level is Supervision.RED:
            case.red_count += 1
        else:
            case.yellow_count += 1
        record(
            session,
            case,
            CaseAction.SUPERVISE,
            actor=SYSTEM_ACTOR,
            now=now,
            from_status=case.status,
            data={
                "level": str(level),
                "subject": subject,
                "department_id": department_id,
                "escalated_to": target,
                "due_at": due[level].isoformat(),
            },
        )
        notices.append(
            SupervisionNotice(
                case.id, subject, level, department_id, target, due[level], case.district_code
            )
        )
    return notices


def _supervise_case(
    session: Session, workflow: Workflow, case_id: int, now: datetime
) -> list[SupervisionNotice]:
    case = session.scalar(select(Case).where(Case.id == case_id).with_for_update())
    if case is None or case.next_flag_at is None or case.next_flag_at > now:
        return []  # another supervisor got there first, or the stage moved on
    reached = supervision_level(now, case.yellow_at, case.red_at)
    current = Supervision(case.supervision)
    levels = levels_between(current, reached)
    if not levels or case.yellow_at is None or case.red_at is None:
        return []
    case.supervision = str(reached)
    case.next_flag_at = case.red_at if reached is Supervision.YELLOW else None
    return _raise(
        session,
        workflow,
        case,
        subject=f"stage:{case.stage}:{case.stage_seq}",
        levels=levels,
        department_id=case.department_id,
        due={Supervision.YELLOW: case.yellow_at, Supervision.RED: case.red_at},
        now=now,
    )


def _supervise_summons(
    session: Session, workflow: Workflow, summons_id: int, now: datetime
) -> list[SupervisionNotice]:
    summons = session.scalar(
        select(CaseSummons).where(CaseSummons.id == summons_id).with_for_update()
    )
    if summons is None or summons.next_flag_at is None or summons.next_flag_at > now:
        return []
    reached = supervision_level(now, summons.yellow_at, summons.deadline)
    levels = levels_between(Supervision(summons.supervision), reached)
    case = session.get(Case, summons.case_id)
    if not levels or case is None:
        return []
    summons.supervision = str(reached)
    summons.next_flag_at = summons.deadline if reached is Supervision.YELLOW else None
    return _raise(
        session,
        workflow,
        case,
        subject=f"summons:{summons.id}",
        levels=levels,
        department_id=summons.department_id,
        due={Supervision.YELLOW: summons.yellow_at, Supervision.RED: summons.deadline},
        now=now,
    )


def supervise(
    factory: SessionFactory, workflow: Workflow, now: datetime, notify: Notify | None = None
) -> list[SupervisionNotice]:
    """Raise every yellow/red card due at `now`; notify after each commit. Safe to repeat."""
    notices: list[SupervisionNotice] = []
    for model, one in ((Case, _supervise_case), (CaseSummons, _supervise_summons)):
        while True:
            with factory() as session:
                due = list(
                    session.scalars(
                        select(model.id)
                        .where(model.next_flag_at <= now)
                        .order_by(model.next_flag_at)
                        .limit(BATCH)
                    )
                )
            raised_any = False
            for row_id in due:
                with transaction(factory) as session:
                    raised = one(session, workflow, row_id, now)
                raised_any = raised_any or bool(raised)
                for notice in raised:
                    notices.append(notice)
                    if notify is not None:
                        notify(notice)
            if len(due) < BATCH or not raised_any:
                break
    return notices
