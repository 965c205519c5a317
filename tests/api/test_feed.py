"""The WebSocket change feed: scope filter, resume after reconnect, resync, auth."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from registry.changefeed import ChangeKind, prune_changes, record_change
from registry.db import SessionFactory, transaction
from tests.api.conftest import TOWNSHIP_A, TOWNSHIP_B, FakeClock, Tokens

WS = "/api/v1/ws"


def change(db: SessionFactory, clock: FakeClock, district: str, entity: str) -> int:
    with transaction(db) as session:
        row = record_change(
            session,
            kind=ChangeKind.ALERT,
            district_code=district,
            entity_id=entity,
            payload={"status": "firing"},
            now=clock(),
        )
        return row.id


def token_of(tokens: Tokens, user: str) -> str:
    return tokens.headers(user)["Authorization"].removeprefix("Bearer ")


def hello(ws: Any, token: str, after: int | None = None) -> dict[str, Any]:
    ws.send_json({"type": "auth", "token": token, "after": after})
    message: dict[str, Any] = ws.receive_json()
    return message


def test_a_township_a_user_never_receives_township_b_changes(
    client: TestClient, tokens: Tokens, tree: SessionFactory, clock: FakeClock
) -> None:
    # Emptying the table between tests keeps its id sequence: on an empty feed `ready`
    # says 0 and a later `after=0` is older than the oldest row (a resync). One row first.
    change(tree, clock, TOWNSHIP_A, "earlier")
    with client.websocket_connect(WS) as ws:
        ready = hello(ws, token_of(tokens, "handler-a"))
        assert ready["type"] == "ready"
        other = change(tree, clock, TOWNSHIP_B, "alert-b")
        mine = change(tree, clock, "150402001001", "alert-a")
        received = ws.receive_json()
        assert received["type"] == "change"
        assert received["entity_id"] == "alert-a"  # alert-b (earlier id) was never sent
        assert received["id"] == mine > other
        assert received["payload"] == {"status": "firing"}
    with client.websocket_connect(WS) as ws:
        hello(ws, token_of(tokens, "root"), after=ready["last_id"])
        seen = [ws.receive_json()["entity_id"] for _ in range(2)]
        assert seen == ["alert-b", "alert-a"]  # a root admin sees both, in order


def test_resume_after_reconnect_loses_nothing(
    client: TestClient, tokens: Tokens, tree: SessionFactory, clock: FakeClock
) -> None:
    token = token_of(tokens, "operator-a")
    with client.websocket_connect(WS) as ws:
        hello(ws, token)
        first = change(tree, clock, TOWNSHIP_A, "a-1")
        assert ws.receive_json()["id"] == first
    # Disconnected: two more changes happen.
    second = change(tree, clock, TOWNSHIP_A, "a-2")
    third = change(tree, clock, TOWNSHIP_A, "a-3")
    with client.websocket_connect(WS) as ws:
        ready = hello(ws, token, after=first)
        assert ready == {"type": "ready", "last_id": first}
        assert [ws.receive_json()["id"] for _ in range(2)] == [second, third]


def test_resuming_beyond_retention_asks_for_a_resync(
    client: TestClient, tokens: Tokens, tree: SessionFactory, clock: FakeClock
) -> None:
    seen = change(tree, clock, TOWNSHIP_A, "old-1")
    change(tree, clock, TOWNSHIP_A, "old-2")
    clock.advance(2 * 86_400)
    newest = change(tree, clock, TOWNSHIP_A, "new-1")
    with transaction(tree) as session:
        assert prune_changes(session, clock() - timedelta(days=1)) == 2
    with client.websocket_connect(WS) as ws:
        first = hello(ws, token_of(tokens, "operator-a"), after=seen)
        assert first == {"type": "resync", "last_id": newest}
        assert ws.receive_json() == {"type": "ready", "last_id": newest}
        later = change(tree, clock, TOWNSHIP_A, "new-2")
        assert ws.receive_json()["id"] == later


def test_camera_changes_made_through_the_api_are_pushed(
    client: TestClient, tokens: Tokens, cameras: dict[str, str]
) -> None:
    with client.websocket_connect(WS) as ws:
        hello(ws, token_of(tokens, "viewer-a"))
        client.patch(
            "/api/v1/cameras/cam-a1", json={"enabled": False}, headers=tokens.headers("root")
        )
        pushed = ws.receive_json()
        assert (pushed["kind"], pushed["entity_id"]) == ("camera", "cam-a1")
        assert pushed["payload"]["op"] == "updated"


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"type": "auth", "token": "nonsense"}, 4401),
        ({"type": "auth"}, 4401),
        ({"type": "hello"}, 4400),
        ({"type": "auth", "token": "x", "after": -1}, 4400),
    ],
)
def test_bad_or_missing_tokens_close_the_socket(
    client: TestClient, tokens: Tokens, message: dict[str, Any], code: int
) -> None:
    with client.websocket_connect(WS) as ws:
        ws.send_json(message)
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == code


def test_the_feed_closes_when_the_access_token_expires(
    client: TestClient, tokens: Tokens, tree: SessionFactory, clock: FakeClock
) -> None:
    with client.websocket_connect(WS) as ws:
        hello(ws, token_of(tokens, "operator-a"))
        clock.advance(3600)
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4401
