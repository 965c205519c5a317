"""/healthz (the process answers), /readyz (its database and broker do), /metrics."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.context import AppContext
from api.deps import ContextDep, MetricsReader
from api.problems import ProblemError, ProblemType
from api.schemas.ops import Live, Ready

router = APIRouter(tags=["operations"])
CHECK_TIMEOUT_S = 2.0


def _database(context: AppContext) -> str:
    try:
        with context.factory() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return f"unreachable: {type(exc).__name__}"
    return "ok"


async def _broker(url: str | None) -> str:
    if url is None:
        return "not configured"
    parts = urlsplit(url)
    port = parts.port or (8883 if parts.scheme in ("mqtts", "ssl") else 1883)
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(parts.hostname, port), CHECK_TIMEOUT_S
        )
    except (OSError, TimeoutError) as exc:
        return f"unreachable: {type(exc).__name__}"
    writer.close()
    await writer.wait_closed()
    return "ok"


@router.get("/healthz", response_model=Live, summary="Liveness: the process answers")
def healthz() -> Live:
    return Live()


@router.get(
    "/readyz",
    response_model=Ready,
    summary="Readiness: the database answers, and the broker when one is configured",
    responses={503: {"model": Ready, "description": "A dependency is unreachable."}},
)
async def readyz(context: ContextDep) -> Response:
    checks = {
        "database": await asyncio.to_thread(_database, context),
        "broker": await _broker(context.settings.resolved_mqtt_url),
    }
    ready = all(value in ("ok", "not configured") for value in checks.values())
    body = Ready(status="ready" if ready else "not ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get(
    "/metrics",
    response_model=None,
    summary="Prometheus metrics (send an API token with metrics:read)",
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
)
def metrics(principal: MetricsReader, context: ContextDep) -> Response:
    if principal.scope.path.count("/") > 1:
        raise ProblemError(
            ProblemType.FORBIDDEN,
            403,
            "metrics cover the whole fleet: only administrators of a root district may read them",
        )
    return Response(context.metrics.render(), media_type=CONTENT_TYPE_LATEST)
