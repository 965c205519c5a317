"""One feed poller per process: each change is read once and fanned out to the clients
whose subtree holds it; a slow client gets a resync without holding the others back; a
resuming client's database backlog meets the live fan-out without a loss or a repeat.

The hub here ticks only when a test asks (`poll_s` of an hour) and changes are written
through a second session factory on the same database, which does not wake it (only
commits through the app's own factory do): so each test decides what a tick sees.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from websockets.asyncio.client import ClientConnection, connect

from api.feed_hub import FeedHub
from registry.changefeed import Announcement, ChangeKind, record_changes
from registry.db import SessionFactory, transaction
from tests.api.conftest import TOWNSHIP_A, TOWNSHIP_B, FakeClock, Tokens
from tests.api.test_feed import WS, change, hello, token_of

VILLAGE_A = "150402001001"
HOUR_S = 3600.0


@pytest.fixture
def quiet(tree: SessionFactory) -> SessionFactory:
    """Sessions on the same database that do not wake the app's feed hub."""
    return sessionmaker(tree.kw["bind"], expire_on_commit=False)


@pytest.fixture
def hub(app: FastAPI) -> FeedHub:
    """The app's feed hub, ticking only when a test asks or a commit in the app wakes it."""
    feed_hub: FeedHub = app.state.context.feed_hub
    feed_hub.poll_s = HOUR_S
    return feed_hub


@dataclass
class Rig:
    """A test client on the app, its hub, and a writer that does not wake the hub."""

    client: TestClient
    hub: FeedHub
    quiet: SessionFactory
    clock: FakeClock

    def write(self, district: str, entity: str) -> int:
        return change(self.quiet, self.clock, district, entity)

    def tick(self) -> None:
        assert self.client.portal is not None
        self.client.portal.call(self.hub.poll_once)


@pytest.fixture
def rig(client: TestClient, hub: FeedHub, quiet: SessionFactory, clock: FakeClock) -> Rig:
    return Rig(client, hub, quiet, clock)


def entities_until(ws: Any, last: str) -> list[str]:
    seen: list[str] = []
    while not seen or seen[-1] != last:
        message = ws.receive_json()
        assert message["type"] == "change", message
        seen.append(message["entity_id"])
    return seen


def test_each_change_reaches_each_client_in_scope_once_and_no_other(
    rig: Rig, tokens: Tokens
) -> None:
    rig.write(TOWNSHIP_A, "earlier")
    users = ["root", "operator-a", "handler-a", "handler-b"]
    with ExitStack() as stack:
        sockets = {user: stack.enter_context(rig.client.websocket_connect(WS)) for user in users}
        for user, ws in sockets.items():
            assert hello(ws, token_of(tokens, user))["type"] == "ready"
        rig.tick()
        reads = rig.hub.reads
        for district, entity in [
            (TOWNSHIP_A, "a-1"), (TOWNSHIP_B, "b-1"), (VILLAGE_A, "a-2"), (TOWNSHIP_B, "b-2"),
        ]:  # fmt: skip
            rig.write(district, entity)
        rig.tick()
        assert rig.hub.reads == reads + 1  # one read served all four clients
        # Markers in a later tick: a repeat of the first batch would show before them.
        rig.write(TOWNSHIP_A, "end-a")
        rig.write(TOWNSHIP_B, "end-b")
        rig.tick()
        assert entities_until(sockets["root"], "end-b") == [
            "a-1", "b-1", "a-2", "b-2", "end-a", "end-b",
        ]  # fmt: skip
        for user in ("operator-a", "handler-a"):
            assert entities_until(sockets[user], "end-a") == ["a-1", "a-2", "end-a"]
        assert entities_until(sockets["handler-b"], "end-b") == ["b-1", "b-2", "end-b"]


def test_a_resuming_client_meets_the_live_fan_out_without_loss_or_repeat(
    rig: Rig, tokens: Tokens
) -> None:
    token = token_of(tokens, "operator-a")
    seen = rig.write(TOWNSHIP_A, "c-0")
    rig.write(TOWNSHIP_A, "c-1")
    with rig.client.websocket_connect(WS) as first:
        hello(first, token)  # starts the hub: its cursor is c-1
        rig.tick()
        cursor = rig.hub.cursor
        rig.write(TOWNSHIP_A, "c-2")  # committed; the hub has not read them
        newest = rig.write(TOWNSHIP_A, "c-3")
        assert rig.hub.cursor == cursor < newest
        with (
            rig.client.websocket_connect(WS) as resumed,
            rig.client.websocket_connect(WS) as fresh,
        ):
            # Resumes behind the hub: c-1 comes from the database, c-2 on from the queue.
            assert hello(resumed, token, after=seen) == {"type": "ready", "last_id": seen}
            # Starts ahead of the hub (at c-3): the fan-out of c-2 and c-3 must skip it.
            assert hello(fresh, token) == {"type": "ready", "last_id": newest}
            rig.write(TOWNSHIP_A, "c-4")
            rig.tick()
            rig.write(TOWNSHIP_A, "end")
            rig.tick()
            assert entities_until(resumed, "end") == ["c-1", "c-2", "c-3", "c-4", "end"]
            assert entities_until(fresh, "end") == ["c-4", "end"]
        assert entities_until(first, "end") == ["c-2", "c-3", "c-4", "end"]


# --- over a real socket: uvicorn in the test's own event loop ---------------------------


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """`app` under uvicorn on a free loopback port, in this event loop; yields the ws URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    async with asyncio.timeout(10):
        while not server.started:
            await asyncio.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{sock.getsockname()[1]}{WS}"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def joined(url: str, token: str, **options: Any) -> ClientConnection:
    connection = await connect(url, **options)
    await connection.send(json.dumps({"type": "auth", "token": token, "after": None}))
    assert json.loads(await connection.recv())["type"] == "ready"
    return connection


async def next_change(connection: ClientConnection, timeout_s: float) -> dict[str, Any]:
    async with asyncio.timeout(timeout_s):
        while True:
            message: dict[str, Any] = json.loads(await connection.recv())
            if message["type"] == "change":
                return message


def big_change(db: SessionFactory, clock: FakeClock, entity: str, size: int) -> None:
    with transaction(db) as session:
        announced = Announcement(ChangeKind.ALERT, TOWNSHIP_A, entity, {"blob": "x" * size})
        record_changes(session, [announced], clock())


def test_a_client_that_stops_reading_gets_a_resync_and_holds_no_one_back(
    app: FastAPI,
    tokens: Tokens,
    tree: SessionFactory,
    clock: FakeClock,
    hub: FeedHub,
    quiet: SessionFactory,
) -> None:
    hub.queue_limit = 4
    change(tree, clock, TOWNSHIP_A, "earlier")
    token = token_of(tokens, "operator-a")

    async def scenario() -> None:
        async with served(app) as url:
            # max_queue=1: the slow client stops reading its socket once a frame waits;
            # uncompressed, so the big changes fill the socket buffers.
            slow = await joined(url, token, max_queue=1, compression=None)
            fast = await joined(url, token, max_queue=None)
            big, written = 256_000, 0
            async with asyncio.timeout(30):
                while hub.overflows == 0:  # until the slow socket's buffers and queue fill
                    await asyncio.to_thread(big_change, quiet, clock, f"big-{written}", big)
                    written += 1
                    await hub.poll_once()
                    assert (await next_change(fast, 5.0))["entity_id"] == f"big-{written - 1}"
            marker = await asyncio.to_thread(change, quiet, clock, TOWNSHIP_A, "marker")
            started = time.perf_counter()
            await hub.poll_once()
            assert (await next_change(fast, 5.0))["id"] == marker
            fast_s = time.perf_counter() - started
            print(
                f"slow client overflowed after {written} changes of {big:,} bytes; the fast "
                f"one had the next change {fast_s * 1000:.1f} ms after the tick began"
            )
            assert fast_s < 0.5
            stream = await drained(slow, marker)
            resyncs = [m["last_id"] for m in stream if m["type"] == "resync"]
            ids = [m["id"] for m in stream if m["type"] == "change"]
            assert len(resyncs) == 1
            assert ids == sorted(set(ids))  # no repeats, in order
            assert ids[-1] == marker > resyncs[0]
            before = [
                m["id"] for m in stream[: stream.index({"type": "resync", "last_id": resyncs[0]})]
            ]
            assert all(i <= resyncs[0] for i in before)
            assert len(before) < written  # frames were dropped for the resync
            await asyncio.gather(slow.close(), fast.close())

    asyncio.run(scenario())


async def drained(connection: ClientConnection, last: int) -> list[dict[str, Any]]:
    """Every message up to the change `last`."""
    messages: list[dict[str, Any]] = []
    async with asyncio.timeout(20):
        while not messages or messages[-1].get("id") != last:
            messages.append(json.loads(await connection.recv()))
    return messages


def test_a_commit_in_this_process_wakes_the_hub_and_stopping_it_closes_streams(
    app: FastAPI, tokens: Tokens, tree: SessionFactory, clock: FakeClock, hub: FeedHub
) -> None:
    change(tree, clock, TOWNSHIP_A, "earlier")

    async def scenario() -> None:
        async with served(app) as url:
            connection = await joined(url, token_of(tokens, "operator-a"))
            await hub.poll_once()
            pushed = await asyncio.to_thread(change, tree, clock, VILLAGE_A, "woken")
            # No tick for an hour: only the commit's wake can deliver it.
            assert (await next_change(connection, 5.0))["id"] == pushed
            await hub.aclose()
            async with asyncio.timeout(5):
                await connection.wait_closed()
            assert connection.close_code == 1012

    asyncio.run(scenario())
