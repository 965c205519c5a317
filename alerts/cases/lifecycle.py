"""Carry out one transition on a loaded case: the rule's decision, the stage clock, the
KPI figures and the audit row. The caller owns the session and the commit.

Stage clocks: entering a stage (or a rule that restarts one) starts a fresh clock from
the SLA; an extension request pauses the clock (remaining working time kept), approval
resumes it with the granted time added, rejection with what was left. A stage that ends
after its deadline counts in `late_stages` (the on-time rate reads it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from alerts.cases.models import Case, CaseEvent
from alerts.cases.transitions import Rule, TransitionRefused, decide
from alerts.cases.vocabulary import (
    STAGE_OF,
    CaseAction,
    CaseStatus,
    FollowUpResult,
    Stage,
    Supervision,
)
from alerts.cases.workflow import StageClock, Workflow
from registry.changefeed import Announcement, ChangeKind, record_changes

A = CaseAction


def record(
    session: Session,
    case: Case,
    action: CaseAction,
    *,
    actor: str,
    now: datetime,
    reason: str | None = None,
    from_status: str | None = None,
    rule: str | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """Append one audit row with the case's current status and deadline snapshot."""
    row = CaseEvent(
        case_id=case.id,
        at=now,
        actor=actor,
        action=str(action),
        rule=rule,
        from_status=from_status,
        to_status=case.status,
        reason=reason,
        department_id=case.department_id,
        stage=case.stage,
        stage_deadline=case.stage_deadline,
        deadline_estimated=case.deadline_estimated,
        data=data or {},
    )
    session.add(row)
    # Pushed to the console's case board in the same transaction (alert links are many
    # in a storm and change nothing a handler sees).
    if action is not CaseAction.LINK_ALERT:
        payload = {"op": str(action), "status": case.status, "actor": actor}
        announcement = Announcement(ChangeKind.CASE, case.district_code, str(case.id), payload)
        record_changes(session, [announcement], now)
    return row


def set_clock(case: Case, clock: StageClock, start: datetime) -> None:
    case.clock_from = start
    case.stage_budget_s = clock.budget_s
    case.stage_deadline = clock.deadline
    case.yellow_at = clock.yellow_at
    case.red_at = clock.red_at
    case.deadline_estimated = clock.estimated
    case.next_flag_at = clock.yellow_at if case.supervision == Supervision.NONE else clock.red_at
    if case.supervision == Supervision.RED:
        case.next_flag_at = None


def start_stage(case: Case, stage: Stage, workflow: Workflow, now: datetime) -> None:
    budget = workflow.sla.limit_s(
        str(stage), priority=case.priority, category=case.category, level=case.district_level
    )
    case.stage = str(stage)
    case.stage_seq = (case.stage_seq or 0) + 1
    case.stage_started_at = now
    case.supervision = str(Supervision.NONE)
    case.paused_remaining_s = None
    set_clock(case, workflow.clock(now, budget), now)


def _stop_clock(case: Case) -> None:
    case.clock_from = None
    case.stage_deadline = None
    case.yellow_at = None
    case.red_at = None
    case.next_flag_at = None
    case.deadline_estimated = False


def _end_stage(case: Case, now: datetime) -> None:
    if case.stage_deadline is not None and now > case.stage_deadline:
        case.late_stages += 1


def _figures(case: Case, rule: Rule, workflow: Workflow, now: datetime) -> None:
    """Timestamps and working-time durations the KPIs read."""
    action = rule.action
    if action is A.ACCEPT:
        case.accepted_at = now
    elif action is A.SIGN_FOR:
        if case.signed_at is None:
            case.sign_for_work_s = workflow.between(case.opened_at, now).seconds
        case.signed_at = now
    elif action is A.RESOLVE:
        case.resolved_at = now
        case.resolve_work_s = workflow.between(case.opened_at, now).seconds
    elif action in (A.CLOSE, A.VERIFIED_CLOSE):
        case.closed_at = now
    elif action is A.FOLLOW_UP:
        case.followed_up_at = now
        case.follow_up_result = str(FollowUpResult.SATISFIED)
    elif action is A.FOLLOW_UP_DISSATISFIED:
        case.followed_up_at = now
        case.follow_up_result = str(FollowUpResult.DISSATISFIED)
    elif action is A.ARCHIVE:
        case.archived_at = now
    if rule.target is CaseStatus.REOPENED or action is A.CHECK_FAILED:
        case.reopen_count += 1
        case.closed_at = None
        case.resolve_work_s = None


def transition(
    session: Session,
    case: Case,
    action: CaseAction,
    *,
    actor: str,
    now: datetime,
    workflow: Workflow,
    reason: str | None = None,
    department_id: str | None = None,
    extension_s: float | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """Apply `action` to `case` (loaded in `session`) or raise a `CaseError` saying why not."""
    status = CaseStatus(case.status)
    rule = decide(status, action, camera_fault=case.camera_fault, actor=actor, reason=reason)
    details = dict(data or {})
    if action in (A.ASSIGN, A.REASSIGN):
        if department_id is None:
            raise TransitionRefused(f"{action} needs the department to assign the case to")
        details["from_department"] = case.department_id
        details["to_department"] = department_id
        case.department_id = department_id
    if action is A.APPROVE_EXTENSION:
        if extension_s is None or extension_s <= 0:
            raise TransitionRefused("approve_extension needs the working time granted (> 0 s)")
        details["extension_s"] = extension_s

    old_stage = STAGE_OF[status]
    new_stage = STAGE_OF[rule.target]
    _figures(case, rule, workflow, now)
    case.status = str(rule.target)

    if action is A.REQUEST_EXTENSION:
        remaining = 0.0
        if case.stage_deadline is not None and now < case.stage_deadline:
            remaining = workflow.between(now, case.stage_deadline).seconds
        case.paused_remaining_s = remaining
        details["remaining_s"] = remaining
        _stop_clock(case)
    elif action in (A.APPROVE_EXTENSION, A.REJECT_EXTENSION):
        budget = (case.paused_remaining_s or 0.0) + (extension_s or 0.0)
        case.paused_remaining_s = None
        set_clock(case, workflow.clock(now, budget), now)
    elif new_stage is None:
        _end_stage(case, now)
        case.stage = None
        _stop_clock(case)
    elif new_stage != old_stage or rule.restarts_stage:
        _end_stage(case, now)
        start_stage(case, new_stage, workflow, now)

    return record(
        session,
        case,
        action,
        actor=actor,
        now=now,
        reason=reason,
        from_status=str(status),
        rule=rule.name,
        data=details,
    )
