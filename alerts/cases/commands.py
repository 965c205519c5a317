"""Commands on one case, each in its own transaction (what the API calls)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.cases.lifecycle import transition
from alerts.cases.models import Case, CaseEvent
from alerts.cases.transitions import CaseError
from alerts.cases.vocabulary import CaseAction
from alerts.cases.workflow import Workflow
from registry.db import SessionFactory, transaction


class CaseNotFound(CaseError):
    pass


def lock_case(session: Session, case_id: int) -> Case:
    """The case row, locked for this transaction (PostgreSQL) so two commands serialize."""
    case = session.scalar(select(Case).where(Case.id == case_id).with_for_update())
    if case is None:
        raise CaseNotFound(f"case {case_id} does not exist")
    return case


def act(
    factory: SessionFactory,
    workflow: Workflow,
    case_id: int,
    action: CaseAction,
    *,
    actor: str,
    now: datetime,
    reason: str | None = None,
    department_id: str | None = None,
    extension_s: float | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """Apply one action to a case and commit, or raise a `CaseError` saying what is allowed."""
    with transaction(factory) as session:
        case = lock_case(session, case_id)
        return transition(
            session,
            case,
            action,
            actor=actor,
            now=now,
            workflow=workflow,
            reason=reason,
            department_id=department_id,
            extension_s=extension_s,
            data=data,
        )


def history(factory: SessionFactory, case_id: int) -> list[CaseEvent]:
    """The case's audit rows, oldest first."""
    with factory() as session:
        return list(
            session.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
            )
        )


def get_case(factory: SessionFactory, case_id: int) -> Case:
    with factory() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise CaseNotFound(f"case {case_id} does not exist")
        return case
