"""The operator console: plain ES modules under api/console/, served at /console/.

No front-end build step: the browser loads the files exactly as the repository holds
them. `/console/config.json` tells the page what only the server knows (the command
center's time zone, ICE servers for live view). The pages talk to /api/v1 like any client.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from config.settings import Settings

CONSOLE_DIR = Path(__file__).with_name("console")
MOUNT = "/console"
LANGUAGES = ("zh-CN", "en")
# Scripts and styles from this origin only; pictures may be blob: URLs (live fallback).
# ECharts sets element styles from script, which needs 'unsafe-inline' for styles only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class ConsoleConfig(BaseModel):
    time_zone: str = Field(description="The command center's time zone for every date shown.")
    languages: list[str]
    ice_servers: list[str] = Field(description="STUN/TURN URLs for live view.")


class ConsoleFiles(StaticFiles):
    """Static files with security headers; revalidated on each load (ETag) so an upgrade
    of the server never leaves a browser on stale modules."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-cache"
        return response


def console_router(settings: Settings) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    def root() -> RedirectResponse:
        return RedirectResponse(f"{MOUNT}/", status_code=307)

    @router.get(f"{MOUNT}/config.json", response_model=ConsoleConfig)
    def config() -> ConsoleConfig:
        return ConsoleConfig(
            time_zone=settings.command_center_tz,
            languages=list(LANGUAGES),
            ice_servers=settings.live_ice_servers,
        )

    return router


def install(app: FastAPI, settings: Settings) -> None:
    """Serve the console at /console/ (and redirect / there)."""
    app.include_router(console_router(settings))
    app.mount(MOUNT, ConsoleFiles(directory=CONSOLE_DIR, html=True), name="console")
