"""Silences and maintenance windows of the caller's subtree: list, create, cancel.

A silence names no district of its own, only matchers; one made here must lie inside
the caller's subtree: every district and camera it names is in scope, and without
either it is confined to the caller's district. Writes go through `alerts.actions`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response, status

from alerts import actions
from alerts.hours import BadHours, parse_hours
from alerts.models import Silence as SilenceRow
from alerts.silences import BadSilence, Matchers
from alerts.store import silence_from_row
from api.deps import AlertsReader, ContextDep, NowDep, SessionDep, SettingsDep, SilencesWriter
from api.problems import ProblemError, ProblemType, not_found
from api.queries.silences import outside, silence_in_scope, silences_in_scope
from api.routers import V1
from api.schemas.alerts import SilenceCreate, SilenceOut
from api.schemas.problem import Problem

router = APIRouter(prefix=f"{V1}/silences", tags=["silences"])


def silence_out(row: SilenceRow, now: datetime, zone: str = "Asia/Shanghai") -> SilenceOut:
    active = row.cancelled_at is None and silence_from_row(row).active(now, ZoneInfo(zone))
    return SilenceOut(
        id=row.id,
        matchers=row.matchers,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        window=row.window,
        created_by=row.created_by,
        reason=row.reason,
        created_at=row.created_at,
        cancelled_at=row.cancelled_at,
        cancelled_by=row.cancelled_by,
        active=active,
    )


@router.get("", response_model=list[SilenceOut], summary="Silences of your subtree")
def list_silences(
    principal: AlertsReader,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    current: Annotated[bool, Query(description="Only those not over nor cancelled.")] = True,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SilenceOut]:
    rows = silences_in_scope(session, principal.scope, now if current else None, limit)
    return [silence_out(row, now, settings.command_center_tz) for row in rows]


@router.post(
    "",
    response_model=SilenceOut,
    status_code=status.HTTP_201_CREATED,
    summary="Silence matching alerts for a time range, optionally in a weekly window",
)
def create_silence(
    body: SilenceCreate,
    principal: SilencesWriter,
    session: SessionDep,
    context: ContextDep,
    now: NowDep,
) -> SilenceOut:
    if strangers := outside(session, principal.scope, body.districts, body.cameras):
        raise ProblemError(
            ProblemType.NOT_FOUND, 404, f"not in your subtree: {', '.join(strangers[:20])}"
        )
    districts = body.districts or ([] if body.cameras else [principal.scope.district_code])
    matchers = Matchers(
        cameras=frozenset(body.cameras),
        districts=frozenset(districts),
        uplinks=frozenset(body.uplinks),
        kinds=frozenset(body.kinds),
        tags=frozenset(body.tags),
    )
    session.rollback()
    try:
        window = None if body.window is None else parse_hours(body.window.hours, body.window.days)
        silence_id = actions.create_silence(
            context.factory,
            principal.username,
            matchers,
            body.starts_at or now,
            body.ends_at,
            body.reason,
            now,
            window,
        )
    except (BadSilence, BadHours, actions.ActionRefused) as exc:
        raise ProblemError(ProblemType.VALIDATION, 422, str(exc)) from None
    row = session.get(SilenceRow, silence_id)
    assert row is not None
    return silence_out(row, now, context.settings.command_center_tz)


@router.delete(
    "/{silence_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={409: {"model": Problem, "description": "Already cancelled."}},
    summary="Cancel a silence (alerts it holds return on the service's next tick)",
)
def cancel_silence(
    silence_id: str,
    principal: SilencesWriter,
    session: SessionDep,
    context: ContextDep,
    now: NowDep,
) -> Response:
    if silence_in_scope(session, principal.scope, silence_id) is None:
        raise not_found("silence")
    session.rollback()
    try:
        actions.cancel_silence(context.factory, principal.username, silence_id, now)
    except actions.ActionRefused as exc:
        raise ProblemError(ProblemType.ACTION_REFUSED, 409, str(exc)) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)
