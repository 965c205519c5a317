"""aiohttp against httpx fetching many small JPEG snapshots over keep-alive connections.

The server is an aiohttp app in a child process, so the CPU time measured in this
process is the client's alone. Each client fetches the same number of snapshots with
the same concurrency and connection limit; the figures are requests per second
(wall clock) and client CPU per request. The baseline is whichever client runs first
in the same run (aiohttp); the ratio says how much faster or cheaper the other is.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from typing import Any

import aiohttp
import cv2
import httpx
import numpy as np
from aiohttp import web

Report = Callable[[str], None]
Fetch = Callable[[str], Awaitable[int]]


def synthetic_jpeg(width: int, height: int, quality: int = 80) -> bytes:
    """A camera-like JPEG: gradients plus noise, so it compresses like a real scene."""
    rng = np.random.default_rng(7)
    ramp = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    base = np.repeat(ramp, height, axis=0)
    noise = rng.normal(0, 6, (height, width, 3)).astype(np.float32)
    image = np.clip(base[:, :, None] * np.array([0.6, 0.8, 1.0]) + noise, 0, 255).astype(np.uint8)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("OpenCV could not encode the synthetic JPEG")
    return bytes(encoded)


def _serve(body: bytes, ready: Connection) -> None:
    async def snapshot(_: web.Request) -> web.Response:
        return web.Response(body=body, content_type="image/jpeg")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/snapshot.jpg", snapshot)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port: int = runner.addresses[0][1]
        ready.send(port)
        await asyncio.Event().wait()

    asyncio.run(main())


async def _drive(fetch: Fetch, url: str, requests: int, concurrency: int) -> dict[str, float]:
    remaining = iter(range(requests))
    received = 0

    async def worker() -> None:
        nonlocal received
        for _ in remaining:
            size = await fetch(url)
            received += size

    for _ in range(concurrency):  # warm the connection pool
        await fetch(url)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {
        "requests_per_s": round(requests / wall, 1),
        "cpu_us_per_request": round(cpu / requests * 1e6, 1),
        "mb_received": round(received / 1e6, 1),
    }


async def _aiohttp(url: str, requests: int, concurrency: int) -> dict[str, float]:
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def fetch(target: str) -> int:
            async with session.get(target) as response:
                response.raise_for_status()
                return len(await response.read())

        return await _drive(fetch, url, requests, concurrency)


async def _httpx(url: str, requests: int, concurrency: int) -> dict[str, float]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:

        async def fetch(target: str) -> int:
            response = await client.get(target)
            response.raise_for_status()
            return len(response.content)

        return await _drive(fetch, url, requests, concurrency)


def run(
    requests: int = 3000,
    concurrency: int = 50,
    width: int = 640,
    height: int = 360,
    report: Report = print,
) -> dict[str, Any]:
    """Fetch `requests` JPEG snapshots with each client; figures per client and their ratio."""
    body = synthetic_jpeg(width, height)
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=_serve, args=(body, child), daemon=True)
    server.start()
    try:
        if not parent.poll(30):
            raise RuntimeError("the benchmark's snapshot server did not start")
        url = f"http://127.0.0.1:{parent.recv()}/snapshot.jpg"
        report(f"{requests} × {len(body) / 1000:.0f} kB JPEG, {concurrency} concurrent, keep-alive")
        figures: dict[str, Any] = {"requests": requests, "concurrency": concurrency}
        figures["jpeg_bytes"] = len(body)
        for name, client in (("aiohttp", _aiohttp), ("httpx", _httpx)):
            figures[name] = asyncio.run(client(url, requests, concurrency))
            report(f"{name}: {figures[name]}")
    finally:
        server.terminate()
        server.join(5)
    aio, hx = figures["aiohttp"], figures["httpx"]
    figures["httpx_vs_aiohttp_throughput"] = round(hx["requests_per_s"] / aio["requests_per_s"], 2)
    figures["httpx_vs_aiohttp_cpu"] = round(hx["cpu_us_per_request"] / aio["cpu_us_per_request"], 2)
    figures["faster"] = "aiohttp" if aio["requests_per_s"] >= hx["requests_per_s"] else "httpx"
    report(f"faster: {figures['faster']}")
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run()))
