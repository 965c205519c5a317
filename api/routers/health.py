"""Camera health now and per day, and the list of faulty cameras (ingest's tables, read only)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import HealthReader, NowDep, SessionDep, SettingsDep
from api.problems import ProblemError, ProblemType, not_found
from api.queries.cameras import camera_in_scope, faulty_cameras, health_days, health_now
from api.queries.districts import command_center_day
from api.routers import V1
from api.schemas.health import FaultyCamera, HealthDay, HealthHistory, HealthNow

router = APIRouter(prefix=V1, tags=["health"])
MAX_DAYS = 400


@router.get(
    "/cameras/{camera_id}/health", response_model=HealthNow, summary="A camera's health now"
)
def camera_health(camera_id: str, principal: HealthReader, session: SessionDep) -> HealthNow:
    if camera_in_scope(session, principal.scope, camera_id) is None:
        raise not_found("camera")
    row = health_now(session, camera_id)
    if row is None:
        return HealthNow(
            camera_id=camera_id,
            status="unknown",
            faults={},
            status_since=None,
            last_probe_at=None,
            last_good_at=None,
            last_failure=None,
            consecutive_failures=0,
        )
    return HealthNow(
        camera_id=camera_id,
        status=row.status,
        faults=row.faults,
        status_since=row.status_since,
        last_probe_at=row.last_probe_at,
        last_good_at=row.last_good_at,
        last_failure=row.last_failure,
        consecutive_failures=row.consecutive_failures,
    )


@router.get(
    "/cameras/{camera_id}/health/history",
    response_model=HealthHistory,
    summary="A camera's probes, online and faulty counts per day",
)
def camera_history(
    camera_id: str,
    principal: HealthReader,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
) -> HealthHistory:
    if camera_in_scope(session, principal.scope, camera_id) is None:
        raise not_found("camera")
    end = last or command_center_day(now, settings.command_center_tz)
    start = first or end - timedelta(days=29)
    if start > end or (end - start).days >= MAX_DAYS:
        raise ProblemError(
            ProblemType.VALIDATION, 422, f"'from' must be before 'to', at most {MAX_DAYS} days"
        )
    days = [
        HealthDay(
            day=row.day,
            probes=row.probes,
            online=row.online,
            faulty=row.faulty,
            rate=round(row.online / row.probes, 4) if row.probes else None,
        )
        for row in health_days(session, camera_id, start, end)
    ]
    return HealthHistory(camera_id=camera_id, days=days)


@router.get(
    "/health/faulty",
    response_model=list[FaultyCamera],
    summary="Cameras degraded or offline now, longest first",
)
def faulty(
    principal: HealthReader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[FaultyCamera]:
    return [
        FaultyCamera(
            camera_id=camera.id,
            name=camera.name,
            district_code=camera.district_code,
            status=health.status,
            faults=health.faults,
            status_since=health.status_since,
            last_failure=health.last_failure,
        )
        for camera, health in faulty_cameras(session, principal.scope, limit)
    ]
