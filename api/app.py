"""The FastAPI application factory. Nothing is created at import time.

`create_app(settings, session_factory, clock)` builds one app: routers under /api/v1,
problem-details errors, the OpenAPI document (4xx/5xx as application/problem+json).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi

from alerts.cases.workflow import Workflow, load_workflow
from api import console_files, live, problems
from api.auth.access_tokens import signing_key
from api.context import AppContext, Clock
from api.feed import prune_forever
from api.feed_hub import FeedHub
from api.live import routes as live_routes
from api.metrics import ApiMetrics
from api.routers import (
    V1,
    alerts,
    auth,
    camera_io,
    cameras,
    case_photos,
    cases,
    departments,
    districts,
    evidence,
    feed,
    health,
    kpis,
    ops,
    silences,
    snapshots,
    users,
)
from api.schemas.problem import Problem
from api.snapshots import SnapshotFetcher, SnapshotLimiter
from config.settings import Settings
from ingest.sources.http_client import HttpTimeouts
from registry.db import SessionFactory
from registry.secrets import cipher_of_factory

_ERROR_STATUSES = ("401", "403", "404", "409", "422", "429")


def _wall_clock() -> datetime:
    return datetime.now(UTC)


def _error_responses() -> dict[int | str, dict[str, Any]]:
    described = {
        "401": "Not authenticated, or the token is expired or revoked.",
        "403": "Authenticated, but the role or API token lacks the permission.",
        "404": "No such resource in your district subtree.",
        "422": "The request does not match the schema.",
    }
    return {code: {"model": Problem, "description": text} for code, text in described.items()}


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        # Errors are problem documents: move their schema to the problem media type.
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                for code, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if code.startswith(("4", "5")) and "application/json" in content:
                        content[problems.MEDIA_TYPE] = content.pop("application/json")
        app.openapi_schema = schema
        return schema

    return build


def create_app(
    settings: Settings,
    session_factory: SessionFactory,
    clock: Clock | None = None,
    *,
    workflow: Workflow | None = None,
) -> FastAPI:
    clock = clock or _wall_clock
    context = AppContext(
        settings=settings,
        factory=session_factory,
        clock=clock,
        signing_key=signing_key(settings),
        cipher=cipher_of_factory(session_factory),
        snapshot_limiter=SnapshotLimiter(settings.snapshot_min_interval_s),
        snapshot_fetcher=SnapshotFetcher(
            clock, HttpTimeouts(connect_s=3.0, read_s=5.0, total_s=settings.probe_timeout_s)
        ),
        metrics=ApiMetrics(session_factory, clock),
        workflow=workflow or load_workflow(settings),
        feed_hub=FeedHub(session_factory, clock),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        pruner = asyncio.create_task(prune_forever(context))
        try:
            yield
        finally:
            pruner.cancel()
            await context.feed_hub.aclose()
            await context.snapshot_fetcher.aclose()

    app = FastAPI(
        title="gridwatch",
        version="1",
        description="Camera registry, health, alerts and cases for district command centers. "
        "Every answer is limited to the caller's district subtree; errors are RFC 9457 "
        "problem documents.",
        openapi_url=f"{V1}/openapi.json",
        docs_url=f"{V1}/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "auth", "description": "Login, tokens and the current user."},
            {"name": "users", "description": "User administration (admin)."},
            {"name": "districts", "description": "The district tree with roll-ups."},
            {"name": "cameras", "description": "Cameras: search, CRUD, import, export."},
            {"name": "health", "description": "Camera health now and per day."},
            {"name": "departments", "description": "Departments that handle cases."},
            {"name": "operations", "description": "Liveness, readiness, metrics."},
            {"name": "alerts", "description": "The alert queue and operator actions."},
            {"name": "silences", "description": "Silences and maintenance windows."},
            {"name": "cases", "description": "Cases: list, audit trail, actions, whistle, KPIs."},
        ],
    )
    app.state.context = context
    problems.install(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type"],
        )
    for module in (
        auth, users, districts, camera_io, cameras, snapshots, evidence, health, departments, feed,
        live_routes, alerts, silences, cases, case_photos, kpis,
    ):  # fmt: skip
        app.include_router(module.router, responses=_error_responses())
    app.include_router(ops.router)
    app.middleware("http")(context.metrics.middleware)
    live.install(app, context)  # WebRTC live view: one upstream per camera
    console_files.install(app, settings)  # the operator console at /console/
    app.openapi = _openapi(app)  # type: ignore[method-assign]
    return app
