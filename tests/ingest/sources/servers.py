"""Raw TCP servers that misbehave the way dead or broken cameras do."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@asynccontextmanager
async def tcp_server(behaviour: str) -> AsyncIterator[int]:
    """`silent`: accepts and never answers; `close`: accepts, reads, hangs up at once."""
    writers: list[asyncio.StreamWriter] = []
    handlers: list[asyncio.Task[None]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        task = asyncio.current_task()
        assert task is not None
        handlers.append(task)  # type: ignore[arg-type]
        if behaviour == "close":
            await reader.read(1024)
            writer.close()
            return
        await asyncio.sleep(3600)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port: int = server.sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        for task in handlers:
            task.cancel()
        for writer in writers:
            writer.close()
        server.close()
        await asyncio.gather(*handlers, return_exceptions=True)
