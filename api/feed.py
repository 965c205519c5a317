"""Streaming the change feed to one WebSocket client, limited to the client's subtree.

Protocol (JSON text frames):
  client → {"type": "auth", "token": "<access or API token>", "after": <last id seen or null>}
           first message, within AUTH_TIMEOUT_S of connecting
  server → {"type": "ready", "last_id": N}            then every change after N in scope:
  server → {"type": "change", "id": …, "kind": "alert|case|camera", "district_code": …,
            "entity_id": …, "payload": {…}, "created_at": …}
  server → {"type": "resync", "last_id": N}            `after` is older than the retention
           window, or the client fell too far behind: reload state over REST, the stream
           continues after N
Closes with 4401 (missing, invalid or expired token), 4403 (no feed:read), 4400 (bad message).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import datetime, timedelta
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from api.auth import access_tokens
from api.auth.authenticate import principal_from_token
from api.auth.permissions import Permission
from api.auth.principal import Principal, Scope
from api.context import AppContext
from api.feed_hub import Frame, Subscriber, change_message, encode
from api.problems import ProblemError
from registry.changefeed import changes_between, feed_bounds, needs_resync, prune_changes
from registry.db import transaction
from registry.tokens import API_PREFIX

AUTH_TIMEOUT_S = 10.0
BACKLOG_PAGE = 1000
PRUNE_EVERY_S = 60.0


class FeedClosed(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


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
        subscriber = await context.feed_hub.subscribe(principal.scope, start, expires)
        try:
            if resync:
                await websocket.send_json({"type": "resync", "last_id": start})
            await websocket.send_json({"type": "ready", "last_id": start})
            await _send_backlog(websocket, context, principal.scope, start, subscriber, expires)
            await _pump(websocket, subscriber)
        finally:
            context.feed_hub.unsubscribe(subscriber)
    except FeedClosed as closed:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(code=closed.code, reason=closed.reason)
    except WebSocketDisconnect:
        return


async def _send_backlog(
    websocket: WebSocket,
    context: AppContext,
    scope: Scope,
    start: int,
    subscriber: Subscriber,
    expires: datetime | None,
) -> None:
    """What a resuming client missed, from the database: the changes in (start, the hub's
    cursor when the client joined]; the fan-out queue holds everything after that."""
    after, upto = start, subscriber.backlog_upto
    while after < upto:
        if expires is not None and context.clock() >= expires:
            raise FeedClosed(4401, "token expired: connect again with a fresh one")
        page = await asyncio.to_thread(_backlog_page, context, scope, after, upto)
        for frame in page:
            await websocket.send_text(frame.text)
        if len(page) < BACKLOG_PAGE:
            return
        after = page[-1].change_id or after


def _backlog_page(context: AppContext, scope: Scope, after: int, upto: int) -> list[Frame]:
    with context.factory() as session:
        rows = changes_between(session, after, upto, scope.low, scope.high, BACKLOG_PAGE)
        return [Frame(encode(change_message(row)), row.id) for row in rows]


async def _pump(websocket: WebSocket, subscriber: Subscriber) -> None:
    """Send what the hub queues for this client; stop when the client goes away."""
    listener = asyncio.ensure_future(websocket.receive())
    getter: asyncio.Future[Frame] | None = None
    try:
        while True:
            if getter is None:
                getter = asyncio.ensure_future(subscriber.queue.get())
            waiting: set[asyncio.Future[Any]] = {listener, getter}
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                frame, getter = getter.result(), None
                while True:
                    if frame.close_code is not None:
                        raise FeedClosed(frame.close_code, frame.text)
                    await websocket.send_text(frame.text)
                    if subscriber.queue.empty():
                        break
                    frame = subscriber.queue.get_nowait()
            if listener in done:
                event = listener.result()
                if event.get("type") == "websocket.disconnect":
                    return
                listener = asyncio.ensure_future(websocket.receive())  # client chatter: ignored
    finally:
        listener.cancel()
        if getter is not None:
            getter.cancel()


async def prune_forever(context: AppContext) -> None:
    """Drop changes older than the retention window, once a minute."""
    retention = timedelta(seconds=context.settings.changefeed_retention_s)
    while True:
        await asyncio.to_thread(_prune_once, context, retention)
        await asyncio.sleep(PRUNE_EVERY_S)


def _prune_once(context: AppContext, retention: timedelta) -> None:
    with transaction(context.factory) as session:
        prune_changes(session, context.clock() - retention)
