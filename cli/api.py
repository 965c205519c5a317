"""`gridwatch api`: the REST and WebSocket service under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from api.app import create_app
from cli.context import settings_from
from cli.registry_access import open_registry


def api_command(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(help="Bind address (default GRIDWATCH_API_HOST).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default GRIDWATCH_API_PORT).")] = None,
) -> None:
    """Serve the API under /api/v1 (docs at /api/v1/docs); add users with `gridwatch users add`."""
    settings = settings_from(ctx)
    _engine, factory = open_registry(settings)
    app = create_app(settings, factory)
    uvicorn.run(
        app,
        host=host or settings.api_host,
        port=port or settings.api_port,
        log_config=None,  # keep gridwatch's logging setup
        proxy_headers=True,
    )
