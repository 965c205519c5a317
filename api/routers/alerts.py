"""The alert queue of the caller's subtree, one alert with its history, operator actions.

Every action goes through `alerts.actions` (which writes the operators' columns and one
audit row in one transaction); this router only checks scope and permission, maps the
service's refusals to problems and announces the change on the feed.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from sqlalchemy.orm import Session

from alerts import actions
from alerts.models import AlertRow
from alerts.models import Silence as SilenceRow
from api.auth.principal import Principal
from api.context import AppContext
from api.deps import AlertsActor, AlertsReader, ContextDep, NowDep, SessionDep
from api.evidence import EvidenceFiles, EvidenceFilesDep, get_evidence_files
from api.problems import ProblemError, ProblemType, not_found
from api.queries import keyset
from api.queries.alerts import (
    KEY_SHAPE,
    AlertFilter,
    alert_in_scope,
    history,
    key_of,
    latest_evidence,
    search_alerts,
)
from api.queries.districts import district_path_in_scope
from api.routers import V1
from api.routers.silences import silence_out
from api.schemas.alerts import (
    Acknowledge,
    AlertDetail,
    AlertEventOut,
    AlertOut,
    AlertPage,
    Assign,
    AuditOut,
    Comment,
    Escalate,
    Escalated,
    SilenceAlert,
    SilenceOut,
)
from api.schemas.evidence import EvidenceOut
from api.schemas.instants import Instant
from api.schemas.problem import Problem
from registry.changefeed import ChangeKind, record_change
from registry.db import transaction

router = APIRouter(prefix=f"{V1}/alerts", tags=["alerts"])
REFUSED: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "The action does not apply to the alert as it is now."}
}


_COMPUTED = frozenset({"acknowledged", "evidence"})


def alert_out(row: AlertRow, now: datetime, evidence: EvidenceOut | None) -> AlertOut:
    fields = {name: getattr(row, name) for name in AlertOut.model_fields if name not in _COMPUTED}
    acked = row.acked_until is not None and row.acked_until > now
    return AlertOut(**fields, acknowledged=acked, evidence=evidence)


def alerts_out(
    session: Session, rows: Sequence[AlertRow], now: datetime, files: EvidenceFiles
) -> list[AlertOut]:
    references = latest_evidence(session, rows)
    return [alert_out(r, now, files.links(references.get(r.id))) for r in rows]


def refused(exc: Exception) -> ProblemError:
    if isinstance(exc, actions.AlertNotFound):
        return not_found("alert")
    return ProblemError(ProblemType.ACTION_REFUSED, 409, str(exc))


def _visible(context: AppContext, principal: Principal, alert_id: str) -> AlertRow:
    with context.factory() as session:
        row = alert_in_scope(session, principal.scope, alert_id)
    if row is None:
        raise not_found("alert")
    return row


def _announce(context: AppContext, row: AlertRow, op: str, now: datetime) -> None:
    with transaction(context.factory) as session:
        record_change(
            session,
            kind=ChangeKind.ALERT,
            district_code=row.district_code,
            entity_id=row.id,
            payload={"op": op, "status": row.status},
            now=now,
        )


def _after_action(
    context: AppContext, principal: Principal, alert_id: str, op: str, now: datetime
) -> AlertOut:
    row = _visible(context, principal, alert_id)
    _announce(context, row, op, now)
    with context.factory() as session:
        return alerts_out(session, [row], now, get_evidence_files(context.settings))[0]


@router.get("", response_model=AlertPage, summary="The alert queue of your subtree")
def list_alerts(
    principal: AlertsReader,
    session: SessionDep,
    now: NowDep,
    files: EvidenceFilesDep,
    district: Annotated[str | None, Query(description="This district and below.")] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    priority: Annotated[int | None, Query(ge=0, le=100, description="At least this.")] = None,
    alert_status: Annotated[
        str | None, Query(alias="status", pattern="^(pending|firing|resolved)$")
    ] = None,
    acknowledged: bool | None = None,
    silenced: bool | None = None,
    inhibited: bool | None = None,
    since: Annotated[Instant | None, Query(description="Started at or after.")] = None,
    queue: Annotated[
        bool,
        Query(
            description="Only what needs an operator: firing, not grouped, "
            "silenced or acknowledged."
        ),
    ] = False,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AlertPage:
    path = None
    if district is not None:
        path = district_path_in_scope(session, principal.scope, district)
        if path is None:
            raise not_found("district")
    after = None if cursor is None else keyset.decode(cursor, "alerts", KEY_SHAPE)
    wanted = AlertFilter(
        path, kind, priority, alert_status, acknowledged, silenced, inhibited, since, queue
    )
    rows, more = search_alerts(session, principal.scope, wanted, now, after, limit)  # type: ignore[arg-type]
    next_cursor = keyset.encode(*key_of(rows[-1])) if more and rows else None
    return AlertPage(items=alerts_out(session, rows, now, files), next_cursor=next_cursor)


@router.get("/{alert_id}", response_model=AlertDetail, summary="One alert with its history")
def get_alert(
    alert_id: str,
    principal: AlertsReader,
    session: SessionDep,
    now: NowDep,
    files: EvidenceFilesDep,
) -> AlertDetail:
    row = alert_in_scope(session, principal.scope, alert_id)
    if row is None:
        raise not_found("alert")
    members, audit, events = history(session, principal.scope, row)
    shown = alerts_out(session, [row, *members], now, files)
    return AlertDetail(
        **shown[0].model_dump(),
        grouped=shown[1:],
        audit=[AuditOut(at=a.at, actor=a.actor, action=a.action, detail=a.detail) for a in audit],
        events=[
            AlertEventOut(
                event_id=e.event_id,
                type=e.type,
                ts=e.ts,
                data=e.data,
                evidence=files.links(e.evidence),
            )
            for e in events
        ],
    )


def _run(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except (actions.AlertNotFound, actions.ActionRefused, ValueError) as exc:
        raise refused(exc) from None


@router.post(
    "/{alert_id}/acknowledge",
    response_model=AlertOut,
    responses=REFUSED,
    summary="Take the alert off the queue until the acknowledgement expires",
)
def acknowledge(
    alert_id: str, body: Acknowledge, principal: AlertsActor, context: ContextDep, now: NowDep
) -> AlertOut:
    _visible(context, principal, alert_id)
    duration = timedelta(seconds=body.duration_s)
    _run(
        lambda: actions.acknowledge(
            context.factory, principal.username, alert_id, now, duration, body.note
        )
    )
    return _after_action(context, principal, alert_id, "acknowledge", now)


@router.post(
    "/{alert_id}/unacknowledge",
    response_model=AlertOut,
    responses=REFUSED,
    summary="Put the alert back on the queue",
)
def unacknowledge(
    alert_id: str, principal: AlertsActor, context: ContextDep, now: NowDep
) -> AlertOut:
    _visible(context, principal, alert_id)
    _run(lambda: actions.unacknowledge(context.factory, principal.username, alert_id, now))
    return _after_action(context, principal, alert_id, "unacknowledge", now)


@router.post(
    "/{alert_id}/assign",
    response_model=AlertOut,
    responses=REFUSED,
    summary="Assign the alert to a person (null: unassign)",
)
def assign(
    alert_id: str, body: Assign, principal: AlertsActor, context: ContextDep, now: NowDep
) -> AlertOut:
    _visible(context, principal, alert_id)
    _run(lambda: actions.assign(context.factory, principal.username, alert_id, body.assignee, now))
    return _after_action(context, principal, alert_id, "assign", now)


@router.post(
    "/{alert_id}/comment",
    response_model=AlertOut,
    responses=REFUSED,
    status_code=status.HTTP_201_CREATED,
    summary="Add a comment to the history",
)
def comment(
    alert_id: str, body: Comment, principal: AlertsActor, context: ContextDep, now: NowDep
) -> AlertOut:
    _visible(context, principal, alert_id)
    _run(lambda: actions.comment(context.factory, principal.username, alert_id, body.text, now))
    return _after_action(context, principal, alert_id, "comment", now)


@router.post(
    "/{alert_id}/silence",
    response_model=SilenceOut,
    responses=REFUSED,
    status_code=status.HTTP_201_CREATED,
    summary="Silence what this alert is about (its subject and kind) for a while",
)
def silence(
    alert_id: str, body: SilenceAlert, principal: AlertsActor, context: ContextDep, now: NowDep
) -> SilenceOut:
    _visible(context, principal, alert_id)
    duration = timedelta(seconds=body.duration_s)
    silence_id = _run(
        lambda: actions.silence_alert(
            context.factory, principal.username, alert_id, duration, body.reason, now
        )
    )
    _after_action(context, principal, alert_id, "silence", now)
    with context.factory() as session:
        row = session.get(SilenceRow, silence_id)
        assert row is not None
        return silence_out(row, now, context.settings.command_center_tz)


def _escalate(context: AppContext, actor: str, alert_id: str, reason: str, now: datetime) -> object:
    """The alert service's `escalate`; once wired to cases it takes the workflow and
    returns the case id (either signature is served)."""
    escalate: Callable[..., object] = actions.escalate
    wired = "workflow" in inspect.signature(escalate).parameters
    extra = {"workflow": context.workflow} if wired else {}
    return escalate(context.factory, actor, alert_id, reason, now, **extra)


@router.post(
    "/{alert_id}/escalate",
    response_model=Escalated,
    responses=REFUSED,
    summary="Ask for a case; answers the case opened or joined",
)
def escalate(
    alert_id: str, body: Escalate, principal: AlertsActor, context: ContextDep, now: NowDep
) -> Escalated:
    _visible(context, principal, alert_id)
    result = _run(lambda: _escalate(context, principal.username, alert_id, body.reason, now))
    row = _visible(context, principal, alert_id)
    _announce(context, row, "escalate", now)
    case_id = result if isinstance(result, int) else None
    if case_id is None and row.case_id is not None and row.case_id.isdigit():
        case_id = int(row.case_id)
    return Escalated(alert_id=alert_id, case_id=case_id)
