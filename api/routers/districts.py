"""The district tree of the caller's subtree, with roll-ups and online rate per day."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from api.auth.principal import Scope
from api.deps import DistrictsReader, HealthReader, NowDep, SessionDep, SettingsDep
from api.problems import ProblemError, ProblemType, not_found
from api.queries.districts import (
    Node,
    command_center_day,
    district_nodes,
    district_path_in_scope,
    online_rate_by_day,
)
from api.routers import V1
from api.schemas.districts import DistrictNode, OnlineRate, OnlineRateDay

router = APIRouter(prefix=f"{V1}/districts", tags=["districts"])
MAX_DAYS = 400


def _out(node: Node) -> DistrictNode:
    c = node.counts
    return DistrictNode(
        code=node.code,
        name=node.name,
        level=node.level,
        parent_code=node.parent_code,
        cameras=c.cameras,
        online=c.online,
        faulty=c.faulty,
        offline=c.offline,
        unknown=c.unknown,
        online_rate_today=c.online_rate_today,
        open_alerts=c.open_alerts,
        open_cases=c.open_cases,
    )


@router.get(
    "",
    response_model=list[DistrictNode],
    summary="Your district subtree, parents first, each node with its roll-up",
)
def districts(
    principal: DistrictsReader, session: SessionDep, settings: SettingsDep, now: NowDep
) -> list[DistrictNode]:
    today = command_center_day(now, settings.command_center_tz)
    return [_out(node) for node in district_nodes(session, principal.scope, today)]


@router.get("/{code}", response_model=DistrictNode, summary="One district with its roll-up")
def district(
    code: str, principal: DistrictsReader, session: SessionDep, settings: SettingsDep, now: NowDep
) -> DistrictNode:
    path = district_path_in_scope(session, principal.scope, code)
    if path is None:
        raise not_found("district")
    today = command_center_day(now, settings.command_center_tz)
    return _out(district_nodes(session, Scope(code, path), today)[0])


@router.get(
    "/{code}/online-rate",
    response_model=OnlineRate,
    summary="Online rate per day of a district subtree",
)
def online_rate(
    code: str,
    principal: HealthReader,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    first: Annotated[
        date | None, Query(alias="from", description="First day (default: 30 days ago).")
    ] = None,
    last: Annotated[
        date | None, Query(alias="to", description="Last day (default: today).")
    ] = None,
) -> OnlineRate:
    path = district_path_in_scope(session, principal.scope, code)
    if path is None:
        raise not_found("district")
    end = last or command_center_day(now, settings.command_center_tz)
    start = first or end - timedelta(days=29)
    if start > end or (end - start).days >= MAX_DAYS:
        raise ProblemError(
            ProblemType.VALIDATION, 422, f"'from' must be before 'to', at most {MAX_DAYS} days"
        )
    days = [
        OnlineRateDay(
            day=day,
            probes=probes,
            online=online,
            faulty=faulty,
            rate=round(online / probes, 4) if probes else None,
        )
        for day, probes, online, faulty in online_rate_by_day(session, path, start, end)
    ]
    return OnlineRate(district_code=code, days=days)
