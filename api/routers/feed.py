"""`/api/v1/ws`: the change feed of the caller's subtree, pushed over a WebSocket."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from api.deps import ContextDep
from api.feed import serve_feed
from api.routers import V1

router = APIRouter(prefix=V1, tags=["feed"])


@router.websocket("/ws")
async def feed(websocket: WebSocket, context: ContextDep) -> None:
    """Authenticate with the first message; see api.feed for the protocol."""
    await serve_feed(websocket, context)
