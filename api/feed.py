"""Streaming the change feed to one WebSocket client, limited to the client's subtree.

Protocol (JSON text frames):
  client → {"type": "auth", "token": "<access or API token>", "after": <last id seen or null>}
           first message, within AUTH_TIMEOUT_S of connecting
  server → {"type": "ready", "last_id": N}            then every change after N in scope:
  server → {"type": "change", "id": …, "kind": "alert|case|camera", "district_code": …,
            "entity_id": …, "payload": {…}, "created_at": …}
  server → {"type": "resync", "last_id": N}            `after` is older than the retention
           window: reload state over REST, the stream continues after N
Closes with 4401 (missing, invalid or expired token), 4403 (no feed:read), 4400 (bad message).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from api.auth import access_tokens
from api.auth.authenticate import principal_from_token
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.context import AppContext
from api.problems import ProblemError
from registry.changefeed import (
    Change,
    changes_between,
    deliverable,
    feed_bounds,
    needs_resync,
    prune_changes,
    visible_ids_after,
)
from registry.db import transaction
from registry.tokens import API_PREFIX

AUTH_TIMEOUT_S = 10.0
POLL_S = 0.25
GAP_WAIT = timedelta(seconds=5)
PRUNE_EVERY_S = 60.0


class FeedClosed(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def change_message(change: Change) -> dict[str, Any]:
    return {
        "type": "change",
        "id": change.id,
        "kind": change.kind,
        "district_code": change.district_code,
        "entity_id": change.entity_id,
        "payload": change.payload,
        "created_at": change.created_at.isoformat(),
    }


@dataclass
class FeedStream:
    context: AppContext
    principal: Principal
    expires_at: datetime | None
    after: int
    first_seen: dict[int, datetime] = field(default_factory=dict)

    def poll(self) -> list[dict[str, Any]]:
        """The next changes in scope, up to where the feed is known complete (blocking)."""
        now = self.context.clock()
        if self.expires_at is not None and now >= self.expires_at:
            raise FeedClosed(4401, "token expired: connect again with a fresh one")
        with self.context.factory() as session:
            visible = visible_ids_after(session, self.after)
            complete = deliverable(self.after, visible, self.first_seen, now, GAP_WAIT)
            if complete == self.after:
                return []
            scope = self.principal.scope
            rows = changes_between(session, self.after, complete, scope.low, scope.high)
        self.after = complete
        return [change_message(row) for row in rows]


def _authenticate(context: AppContext, message: Any) -> tuple[Principal, datetime | None, Any]:
    if not isinstance(message, dict) or message.get("type") != "auth":
        raise FeedClosed(4400, 'first message must be {"type": "auth", "token": …}')
    token, after = message.get("token"), message.get("after")
    if not isinstance(token, str) or not token:
        raise FeedClosed(4401, "token missing")
    if after is not None and (not isinstance(after, int) or isinstance(after, bool) or after < 0):
        raise FeedClosed(4400, "'after' must be a change id (a whole number ≥ 0) or null")
    now = context.clock()
    with transaction(context.factory) as session:
        try:
            principal = principal_from_token(session, context.signing_key, token, now)
        except ProblemError as exc:
            raise FeedClosed(4401, exc.detail) from None
    if not principal.may(Permission.FEED_READ):
        raise FeedClosed(4403, "needs permission feed:read")
    expires = None
    if not token.startswith(API_PREFIX):
        expires = access_tokens.verify(context.signing_key, token, now).expires_at
    return principal, expires, after


def _start(context: AppContext, after: int | None) -> tuple[int, bool]:
    with context.factory() as session:
        bounds = feed_bounds(session)
    if after is None:
        return bounds.newest_id, False
    if needs_resync(after, bounds):
        return bounds.newest_id, True
    return after, False


async def serve_feed(websocket: WebSocket, context: AppContext) -> None:
    await websocket.accept()
    try:
        try:
            text = await asyncio.wait_for(websocket.receive_text(), AUTH_TIMEOUT_S)
            message = json.loads(text)
        except TimeoutError:
            raise FeedClosed(4401, "no auth message in time") from None
        except json.JSONDecodeError:
            raise FeedClosed(4400, "messages are JSON") from None
        principal, expires, after = await asyncio.to_thread(_authenticate, context, message)
        start, resync = await asyncio.to_thread(_start, context, after)
        if resync:
            await websocket.send_json({"type": "resync", "last_id": start})
        await websocket.send_json({"type": "ready", "last_id": start})
        stream = FeedStream(context, principal, expires, start)
        await _pump(websocket, stream)
    except FeedClosed as closed:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(code=closed.code, reason=closed.reason)
    except WebSocketDisconnect:
        return


async def _pump(websocket: WebSocket, stream: FeedStream) -> None:
    """Send changes as they come; stop when the client goes away."""
    listener = asyncio.ensure_future(websocket.receive())
    try:
        while True:
            for message in await asyncio.to_thread(stream.poll):
                await websocket.send_json(message)
            done, _ = await asyncio.wait({listener}, timeout=POLL_S)
            if done:
                event = listener.result()
                if event.get("type") == "websocket.disconnect":
                    return
                listener = asyncio.ensure_future(websocket.receive())  # client chatter: ignored
    finally:
        listener.cancel()


async def prune_forever(context: AppContext) -> None:
    """Drop changes older than the retention window, once a minute."""
    retention = timedelta(seconds=context.settings.changefeed_retention_s)
    while True:
        await asyncio.to_thread(_prune_once, context, retention)
        await asyncio.sleep(PRUNE_EVERY_S)


def _prune_once(context: AppContext, retention: timedelta) -> None:
    with transaction(context.factory) as session:
        prune_changes(session, context.clock() - retention)
