"""How long a new alert takes to reach every WebSocket client of the API's change feed.

The app is served by uvicorn on a loopback port (a thread of this process); the clients
are `websockets` connections in this process's event loop, each authenticated with its
own user's token as the console does. A round stores one new alert through the alert
service (the production path: the alert and its change commit together) and times, from
the call, each client's receipt of that alert's change.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import uvicorn
from websockets.asyncio.client import ClientConnection, connect

RECEIVE_TIMEOUT_S = 30.0


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve `app` with uvicorn on a free loopback port (a thread); yields its http:// URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def feed_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://", 1) + "/api/v1/ws"


async def _subscribe(url: str, token: str) -> ClientConnection:
    connection = await connect(url, max_queue=None)
    await connection.send(json.dumps({"type": "auth", "token": token, "after": None}))
    while json.loads(await connection.recv()).get("type") != "ready":
        pass
    return connection


async def _arrival(connection: ClientConnection, entity_id: str, started: float) -> float:
    """Milliseconds from `started` until this client is told of `entity_id`."""
    async with asyncio.timeout(RECEIVE_TIMEOUT_S):
        while True:
            message = json.loads(await connection.recv())
            if message.get("type") == "change" and message.get("entity_id") == entity_id:
                return (time.perf_counter() - started) * 1000


async def _rounds(
    url: str, tokens: Sequence[str], publish: Callable[[], str], rounds: int
) -> list[float]:
    connections: list[ClientConnection] = []
    try:
        for start in range(0, len(tokens), 50):  # a burst the server's backlog takes
            batch = tokens[start : start + 50]
            connections += await asyncio.gather(*(_subscribe(url, t) for t in batch))
        latencies: list[float] = []
        for _ in range(rounds):
            started = time.perf_counter()
            entity_id = await asyncio.to_thread(publish)
            latencies += await asyncio.gather(
                *(_arrival(c, entity_id, started) for c in connections)
            )
        return latencies
    finally:
        await asyncio.gather(*(c.close() for c in connections), return_exceptions=True)


def feed_latencies(
    url: str, tokens: Sequence[str], publish: Callable[[], str], rounds: int
) -> list[float]:
    """Every client's latency (ms) for each of `rounds` alerts; `publish` stores one new
    alert and returns its id."""
    return asyncio.run(_rounds(url, tokens, publish, rounds))
