"""Case KPIs of a period for the caller's subtree (or a district in it), optionally one
department: `alerts.cases.kpis.kpis`, whose figures were stored as stages ended."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from alerts.cases.kpis import KpiScope, kpis
from api.deps import KpisReader, NowDep, SessionDep
from api.problems import ProblemError, ProblemType, not_found
from api.queries.districts import district_path_in_scope
from api.routers import V1
from api.schemas.cases import CardsOut, KpisOut
from api.schemas.instants import Instant

router = APIRouter(prefix=f"{V1}/kpis", tags=["cases"])


@router.get("", response_model=KpisOut, summary="Case KPIs of a period (default: 30 days)")
def case_kpis(
    principal: KpisReader,
    session: SessionDep,
    now: NowDep,
    start: Annotated[
        Instant | None, Query(alias="from", description="Default: 30 days ago.")
    ] = None,
    end: Annotated[Instant | None, Query(alias="to", description="Default: now.")] = None,
    department: Annotated[str | None, Query(max_length=64)] = None,
    district: Annotated[str | None, Query(description="Default: your whole subtree.")] = None,
) -> KpisOut:
    end = end or now
    start = start or end - timedelta(days=30)
    if end <= start:
        raise ProblemError(ProblemType.VALIDATION, 422, "`to` must be after `from`")
    code = district or principal.scope.district_code
    path = district_path_in_scope(session, principal.scope, code)
    if path is None:
        raise not_found("district")
    figures = kpis(session, KpiScope(start, end, department, path), now)
    return KpisOut(
        start=start,
        end=end,
        department_id=department,
        district_code=code,
        opened=figures.opened,
        closed=figures.closed,
        closed_of_opened=figures.closed_of_opened,
        closure_rate=figures.closure_rate,
        on_time_rate=figures.on_time_rate,
        followed_up=figures.followed_up,
        satisfaction_rate=figures.satisfaction_rate,
        mean_sign_for_s=figures.mean_sign_for_s,
        mean_resolve_s=figures.mean_resolve_s,
        overdue_now=figures.overdue_now,
        cards=[
            CardsOut(department_id=c.department_id, yellow=c.yellow, red=c.red)
            for c in figures.cards
        ],
    )
