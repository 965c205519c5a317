"""Fixtures for the source tests: a fake clock, the HTTP test camera, the RTSP server."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from ingest.sources import HttpClient
from tests.ingest.sources.camera_server import CameraApp, serve
from tests.ingest.sources.fake_clock import FakeClock
from tests.ingest.sources.rtsp_fixture import RtspTestServer, rtsp_server_missing, start_rtsp_server


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def camera() -> AsyncIterator[tuple[CameraApp, str]]:
    """The in-process HTTP test camera and its base URL."""
    app = CameraApp()
    async with serve(app.app) as base_url:
        yield app, base_url


@pytest.fixture
async def http_client() -> AsyncIterator[HttpClient]:
    async with HttpClient() as client:
        yield client


@pytest.fixture(scope="session")
def rtsp_available() -> None:
    """Skips RTSP tests loudly when the GStreamer server is missing; in CI that is a failure."""
    missing = rtsp_server_missing()
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the RTSP tests, but {missing}")
        pytest.skip(missing)


@pytest.fixture
def rtsp_server(rtsp_available: None) -> Iterator[Callable[..., RtspTestServer]]:
    """Starts GStreamer RTSP servers (`start("--auth", "digest", user=…, password=…)`);
    stops them all, frozen or not, after the test."""
    started: list[RtspTestServer] = []

    def start(*args: str, user: str | None = None, password: str | None = None) -> RtspTestServer:
        server = start_rtsp_server(*args, user=user, password=password)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
