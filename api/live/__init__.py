"""WebRTC live view: one upstream per camera relayed to each viewer (aiortc)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from api.context import AppContext
from api.live.hub import LiveHub


def install(app: FastAPI, context: AppContext) -> LiveHub:
    """Give the app its live hub, closed (every stream and view) when the app stops."""
    hub = LiveHub(context.settings, context.clock)
    app.state.live_hub = hub
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(running: FastAPI) -> AsyncIterator[Any]:
        async with inner(running) as state:
            try:
                yield state
            finally:
                await hub.aclose()

    app.router.lifespan_context = lifespan
    return hub
