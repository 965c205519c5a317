"""Cases of the caller's subtree: the list, one case with its audit trail and the actions
the caller may take next, actions, whistle (吹哨) and check-in (报到).

Every change goes through `alerts.cases` (`commands.act`, `whistle.whistle`,
`whistle.check_in`), which applies the transition table and writes the audit rows; an
illegal move answers a problem naming the moves the case allows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from sqlalchemy import select

from alerts.cases import commands
from alerts.cases.models import Case
from alerts.cases.photos import not_attached
from alerts.cases.transitions import CaseError, IllegalTransition
from alerts.cases.vocabulary import FINISHED, CaseAction, CaseStatus, Stage, WhistleRole
from alerts.cases.whistle import check_in, roll_call, whistle
from api.auth.case_roles import next_actions, refusal
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.context import AppContext
from api.deps import CasesActor, CasesReader, ContextDep, NowDep, SessionDep
from api.evidence import EvidenceFilesDep, get_evidence_files
from api.problems import ProblemError, ProblemType, not_found
from api.queries import keyset
from api.queries.cases import (
    KEY_SHAPE,
    CaseFilter,
    case_in_scope,
    key_of,
    linked_alerts,
    search_cases,
    summoned,
)
from api.queries.districts import district_path_in_scope
from api.routers import V1
from api.schemas.cases import (
    CaseActionBody,
    CaseDetail,
    CaseEventOut,
    CaseOut,
    CasePage,
    CheckedIn,
    CheckInBody,
    NextAction,
    RollCallOut,
    WhistleBody,
    Whistled,
)
from api.schemas.problem import Problem
from registry.auth_tables import Role
from registry.models import Department

router = APIRouter(prefix=f"{V1}/cases", tags=["cases"])
REFUSED: dict[int | str, dict[str, object]] = {
    409: {"model": Problem, "description": "Not allowed from the case's status (`allowed`)."}
}
CaseId = Annotated[int, Path(ge=1, le=2**31 - 1)]
_STATUSES = "^(" + "|".join(CaseStatus) + ")$"
_STAGES = "^(" + "|".join(Stage) + ")$"


def case_out(case: Case, now: datetime) -> CaseOut:
    fields = {name: getattr(case, name) for name in CaseOut.model_fields if name != "overdue"}
    overdue = case.stage_deadline is not None and case.stage_deadline < now
    return CaseOut(**fields, overdue=overdue)


def case_error(exc: CaseError) -> ProblemError:
    if isinstance(exc, commands.CaseNotFound):
        return not_found("case")
    if isinstance(exc, IllegalTransition):
        return ProblemError(
            ProblemType.ILLEGAL_TRANSITION,
            409,
            str(exc),
            case_status=str(exc.status),
            allowed=[str(a) for a in exc.allowed],
        )
    return ProblemError(ProblemType.ACTION_REFUSED, 409, str(exc))


def _visible(context: AppContext, principal: Principal, case_id: int) -> Case:
    with context.factory() as session:
        case = case_in_scope(session, principal.scope, case_id)
    if case is None:
        raise not_found("case")
    return case


@router.get("", response_model=CasePage, summary="Cases of your subtree, newest first")
def list_cases(
    principal: CasesReader,
    session: SessionDep,
    now: NowDep,
    mine: Annotated[
        bool, Query(description="Assigned to your department, or it is summoned to them.")
    ] = False,
    department: Annotated[str | None, Query(max_length=64)] = None,
    overdue: bool | None = None,
    case_status: Annotated[str | None, Query(alias="status", pattern=_STATUSES)] = None,
    stage: Annotated[str | None, Query(pattern=_STAGES)] = None,
    district: Annotated[str | None, Query(description="This district and below.")] = None,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> CasePage:
    path = None
    if district is not None:
        path = district_path_in_scope(session, principal.scope, district)
        if path is None:
            raise not_found("district")
    if mine and principal.department_id is None:
        return CasePage(items=[], next_cursor=None)
    wanted = CaseFilter(
        path, department, principal.department_id if mine else None, overdue, case_status, stage
    )
    after = None if cursor is None else keyset.decode(cursor, "cases", KEY_SHAPE)
    rows, more = search_cases(session, principal.scope, wanted, now, after, limit)  # type: ignore[arg-type]
    next_cursor = keyset.encode(*key_of(rows[-1])) if more and rows else None
    return CasePage(items=[case_out(c, now) for c in rows], next_cursor=next_cursor)


@router.get("/{case_id}", response_model=CaseDetail, summary="One case: audit trail, next actions")
def get_case(
    case_id: CaseId,
    principal: CasesReader,
    context: ContextDep,
    session: SessionDep,
    now: NowDep,
    files: EvidenceFilesDep,
) -> CaseDetail:
    case = case_in_scope(session, principal.scope, case_id)
    if case is None:
        raise not_found("case")
    case = commands.get_case(context.factory, case_id)
    events = commands.history(context.factory, case_id)
    moves = next_actions(
        principal.role,
        principal.department_id,
        case.department_id,
        CaseStatus(case.status),
        case.camera_fault,
        principal.may(Permission.CASES_ACT),
    )
    return CaseDetail(
        **case_out(case, now).model_dump(),
        next_actions=[
            NextAction(
                action=str(action),
                requires_reason=needs_reason,
                needs_department=action in (CaseAction.ASSIGN, CaseAction.REASSIGN),
                needs_extension=action is CaseAction.APPROVE_EXTENSION,
            )
            for action, needs_reason in moves
        ],
        history=[
            CaseEventOut.model_validate(e, from_attributes=True).model_copy(
                update={"evidence": files.links(e.data.get("evidence"))}
            )
            for e in events
        ],
        alerts=linked_alerts(session, case_id),
        roll_call=[
            RollCallOut(
                department_id=r.department_id,
                role=str(r.role),
                deadline=r.deadline,
                state=str(r.state),
                checked_in_at=r.checked_in_at,
                supervision=r.supervision,
            )
            for r in roll_call(context.factory, case_id, now)
        ],
        may_whistle=principal.may(Permission.CASES_ACT)
        and principal.role != Role.HANDLER
        and CaseStatus(case.status) not in FINISHED
        and case.district_level in context.workflow.rules.whistle_levels,
    )


def _department_exists(context: AppContext, department_id: str) -> None:
    with context.factory() as session:
        if session.scalar(select(Department.id).where(Department.id == department_id)) is None:
            raise ProblemError(
                ProblemType.VALIDATION, 422, f"no department {department_id!r}; see /departments"
            )


@router.post(
    "/{case_id}/actions/{action}",
    response_model=CaseDetail,
    responses=REFUSED,
    summary="Move the case (accept, assign, sign_for, resolve, close, follow_up, …)",
)
def act(
    case_id: CaseId,
    action: Annotated[str, Path(max_length=32, description="A case action (next_actions).")],
    body: CaseActionBody,
    principal: CasesActor,
    context: ContextDep,
    session: SessionDep,
    now: NowDep,
    files: EvidenceFilesDep,
) -> CaseDetail:
    case = _visible(context, principal, case_id)
    try:
        move = CaseAction(action)
    except ValueError:
        raise ProblemError(
            ProblemType.VALIDATION, 422, f"{action!r} is no case action; see next_actions"
        ) from None
    if why := refusal(principal.role, principal.department_id, case.department_id, move):
        raise ProblemError(ProblemType.FORBIDDEN, 403, why)
    if body.department_id is not None:
        _department_exists(context, body.department_id)
    if missing := not_attached(context.factory, case_id, body.photos):
        raise ProblemError(
            ProblemType.VALIDATION, 422, f"photos {missing} are not attached to case {case_id}"
        )
    data: dict[str, object] = {"note": body.note} if body.note else {}
    if body.photos:
        data["photos"] = body.photos
    try:
        commands.act(
            context.factory,
            context.workflow,
            case_id,
            move,
            actor=principal.username,
            now=now,
            reason=body.reason,
            department_id=body.department_id,
            extension_s=body.extension_s,
            data=data or None,
        )
    except CaseError as exc:
        raise case_error(exc) from None
    session.rollback()
    return get_case(case_id, principal, context, session, now, get_evidence_files(context.settings))


@router.post(
    "/{case_id}/whistle",
    response_model=Whistled,
    status_code=status.HTTP_201_CREATED,
    responses=REFUSED,
    summary="吹哨: summon departments (one lead) to check in by a deadline",
)
def summon(
    case_id: CaseId,
    body: WhistleBody,
    principal: CasesActor,
    context: ContextDep,
    now: NowDep,
) -> Whistled:
    _visible(context, principal, case_id)  # 404 outside the caller's subtree
    if principal.role == Role.HANDLER:
        raise ProblemError(ProblemType.FORBIDDEN, 403, "the command center blows the whistle")
    departments = [(d.department_id, WhistleRole(d.role)) for d in body.departments]
    try:
        ids = whistle(
            context.factory,
            context.workflow,
            case_id,
            departments,
            actor=principal.username,
            reason=body.reason,
            now=now,
        )
    except CaseError as exc:
        raise case_error(exc) from None
    return Whistled(summons_ids=ids)


@router.post(
    "/{case_id}/check-in",
    response_model=CheckedIn,
    responses=REFUSED,
    summary="报到: a summoned department reports in (late ones are recorded late)",
)
def report_in(
    case_id: CaseId,
    body: CheckInBody,
    principal: CasesActor,
    context: ContextDep,
    session: SessionDep,
    now: NowDep,
) -> CheckedIn:
    _visible(context, principal, case_id)  # 404 outside the caller's subtree
    department = body.department_id or principal.department_id
    if department is None:
        raise ProblemError(ProblemType.VALIDATION, 422, "name the department checking in")
    if principal.role == Role.HANDLER and department != principal.department_id:
        raise ProblemError(ProblemType.FORBIDDEN, 403, "a handler checks in for their department")
    if not summoned(session, case_id, department):
        raise ProblemError(
            ProblemType.ACTION_REFUSED, 409, f"department {department} is not summoned to this case"
        )
    session.rollback()
    try:
        state = check_in(context.factory, case_id, department, actor=principal.username, now=now)
    except CaseError as exc:
        raise case_error(exc) from None
    return CheckedIn(department_id=department, state=str(state))
