"""Live view over WebRTC against GStreamer's RTSP server, with aiortc as the browser.

The app runs in the test's own event loop (httpx over ASGI), so the hub and the viewer
peers share it; media flows over real UDP sockets on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from fastapi import FastAPI

from api.app import create_app
from api.live.hub import LiveHub
from config.settings import Settings
from registry.db import SessionFactory
from registry.importer import import_cameras
from registry.records import read_records
from tests.api.conftest import FakeClock, Tokens
from tests.ingest.sources.rtsp_fixture import (
    RtspTestServer,
    rtsp_server_missing,
    start_rtsp_server,
)
from tests.registry.factories import camera, write_csv

pytestmark = pytest.mark.anyio
CAM_USER, CAM_PASSWORD = "viewer", "rtsp-Pa55-secret"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def rtsp_stream() -> Iterator[RtspTestServer]:
    """A small live H.264 stream behind Digest auth (320×180, 15 fps, to spare the CPU)."""
    missing = rtsp_server_missing()
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the live-view tests, but {missing}")
        pytest.skip(missing)
    server = start_rtsp_server(
        "--auth", "digest", "--width", "320", "--height", "180", "--fps", "15",
        user=CAM_USER, password=CAM_PASSWORD,
    )  # fmt: skip
    yield server
    server.stop()


def _add_cameras(tree: SessionFactory, tmp_path: Path, urls: dict[str, str | None]) -> None:
    rows = []
    for cid, url in urls.items():
        row = camera(cid, "150402001", username=CAM_USER, password=CAM_PASSWORD)
        row["main_url"] = url or ""
        rows.append(row)
    import_cameras(tree, read_records(write_csv(tmp_path / "live.csv", rows), "cameras"))


@asynccontextmanager
async def _running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            yield client


@pytest.fixture
def live_app(
    tree: SessionFactory, user_ids: dict[str, int], clock: FakeClock, tmp_path: Path
) -> Callable[..., tuple[FastAPI, Tokens, LiveHub]]:
    def make(**overrides: Any) -> tuple[FastAPI, Tokens, LiveHub]:
        settings = Settings(data_dir=tmp_path / "data", live_open_timeout_s=5.0, **overrides)
        app = create_app(settings, tree, clock)
        return app, Tokens(app, user_ids, clock), app.state.live_hub

    return make


@dataclass
class ClientViewer:
    pc: RTCPeerConnection
    viewer_id: str = ""
    frames: int = 0
    sizes: set[tuple[int, int]] = field(default_factory=set)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def consume(self, track: Any) -> None:
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            self.frames += 1
            self.sizes.add((frame.width, frame.height))

    async def close(self) -> None:
        await self.pc.close()
        for task in self.tasks:
            task.cancel()


async def _offer(pc: RTCPeerConnection) -> dict[str, str]:
    pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    return {"type": "offer", "sdp": pc.localDescription.sdp}


async def _watch(
    client: httpx.AsyncClient, headers: dict[str, str], camera_id: str
) -> tuple[httpx.Response, ClientViewer]:
    viewer = ClientViewer(RTCPeerConnection(RTCConfiguration(iceServers=[])))

    @viewer.pc.on("track")
    def on_track(track: Any) -> None:
        viewer.tasks.append(asyncio.ensure_future(viewer.consume(track)))

    response = await client.post(
        f"/api/v1/cameras/{camera_id}/live", json=await _offer(viewer.pc), headers=headers
    )
    if response.status_code == 200:
        body = response.json()
        viewer.viewer_id = body["viewer_id"]
        await viewer.pc.setRemoteDescription(RTCSessionDescription(body["sdp"], body["type"]))
    else:
        await viewer.pc.close()
    return response, viewer


async def _until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


async def test_two_viewers_share_one_upstream_that_closes_after_both_leave(
    live_app: Callable[..., tuple[FastAPI, Tokens, LiveHub]],
    tree: SessionFactory,
    tmp_path: Path,
    rtsp_stream: RtspTestServer,
) -> None:
    app, tokens, hub = live_app(live_linger_s=0)
    _add_cameras(tree, tmp_path, {"cam-live": rtsp_stream.url})
    headers = tokens.headers("operator-a")
    async with _running(app) as client:
        first_response, first = await _watch(client, headers, "cam-live")
        assert first_response.status_code == 200, first_response.text
        assert CAM_PASSWORD not in first_response.text
        await _until(lambda: first.frames >= 10)
        assert first.sizes == {(320, 180)}

        second_response, second = await _watch(client, tokens.headers("admin-a"), "cam-live")
        assert second_response.status_code == 200, second_response.text
        await _until(lambda: second.frames >= 10)
        assert hub.upstreams_opened == 1
        watched = (await client.get("/api/v1/live", headers=headers)).json()
        assert [(w["camera_id"], w["viewers"]) for w in watched] == [("cam-live", 2)]
        track = hub.track_of("cam-live")
        assert track is not None

        # The first leaves by saying so; the second just closes its connection.
        left = await client.delete(
            f"/api/v1/cameras/cam-live/live/{first.viewer_id}", headers=headers
        )
        assert left.status_code == 204
        await first.close()
        assert [s.viewers for s in hub.status()] == [1]
        before = second.frames
        await _until(lambda: second.frames >= before + 5)  # the other keeps playing
        await second.close()
        await _until(lambda: hub.status() == [])
        assert track.readyState == "ended"
        assert await track.wait_closed(10)
        assert (await client.get("/api/v1/live", headers=headers)).json() == []


async def test_viewer_limits_answer_clearly(
    live_app: Callable[..., tuple[FastAPI, Tokens, LiveHub]],
    tree: SessionFactory,
    tmp_path: Path,
    rtsp_stream: RtspTestServer,
) -> None:
    app, tokens, hub = live_app(live_max_viewers_per_camera=1, live_max_viewers=2)
    _add_cameras(tree, tmp_path, {f"cam-{n}": rtsp_stream.url for n in (1, 2, 3)})
    headers = tokens.headers("operator-a")
    viewers: list[ClientViewer] = []
    async with _running(app) as client:
        ok, viewer = await _watch(client, headers, "cam-1")
        viewers.append(viewer)
        assert ok.status_code == 200, ok.text
        camera_full, _ = await _watch(client, headers, "cam-1")
        assert camera_full.status_code == 429
        problem = camera_full.json()
        assert problem["limit"] == "camera"
        assert "already has 1 live viewers" in problem["detail"]
        assert camera_full.headers["retry-after"] == "30"
        ok, viewer = await _watch(client, headers, "cam-2")
        viewers.append(viewer)
        assert ok.status_code == 200, ok.text
        server_full, _ = await _watch(client, headers, "cam-3")
        assert server_full.status_code == 429
        assert server_full.json()["limit"] == "server"
        assert "the server is showing 2 live views" in server_full.json()["detail"]
        assert hub.upstreams_opened == 2  # a refused viewer never opens a camera
        for viewer in viewers:
            await viewer.close()


async def test_scope_missing_streams_and_unreachable_cameras(
    live_app: Callable[..., tuple[FastAPI, Tokens, LiveHub]],
    tree: SessionFactory,
    tmp_path: Path,
) -> None:
    app, tokens, hub = live_app()
    _add_cameras(
        tree,
        tmp_path,
        {"cam-down": "rtsp://127.0.0.1:9/stream", "cam-nostream": None},
    )
    async with _running(app) as client:
        other, _ = await _watch(client, tokens.headers("handler-b"), "cam-down")
        assert other.status_code == 404  # another township's camera does not exist for them
        no_stream, _ = await _watch(client, tokens.headers("operator-a"), "cam-nostream")
        assert no_stream.status_code == 404
        assert "stream URL" in no_stream.json()["detail"]
        down, _ = await _watch(client, tokens.headers("operator-a"), "cam-down")
        assert down.status_code == 502
        assert down.json()["failure"] == "refused"
        assert CAM_PASSWORD not in down.text
        assert CAM_USER not in down.text
        assert hub.status() == []
        gone = await client.delete(
            "/api/v1/cameras/cam-down/live/0123456789abcdef", headers=tokens.headers("operator-a")
        )
        assert gone.status_code == 404
        anonymous = await client.post(
            "/api/v1/cameras/cam-down/live", json={"type": "offer", "sdp": "v=0"}
        )
        assert anonymous.status_code == 401


async def test_unconnected_viewers_are_dropped_and_idle_upstreams_close_in_virtual_time(
    live_app: Callable[..., tuple[FastAPI, Tokens, LiveHub]],
    tree: SessionFactory,
    tmp_path: Path,
    clock: FakeClock,
    rtsp_stream: RtspTestServer,
) -> None:
    app, tokens, hub = live_app(live_linger_s=30, live_connect_timeout_s=20)
    _add_cameras(tree, tmp_path, {"cam-idle": rtsp_stream.url})
    headers = tokens.headers("operator-a")
    async with _running(app) as client:
        # An offer whose answer is never applied: that connection never comes up.
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        response = await client.post(
            "/api/v1/cameras/cam-idle/live", json=await _offer(pc), headers=headers
        )
        assert response.status_code == 200, response.text
        assert [s.viewers for s in hub.status()] == [1]
        clock.advance(19)
        await hub.reap()
        assert [s.viewers for s in hub.status()] == [1]
        clock.advance(2)
        await hub.reap()
        assert [s.viewers for s in hub.status()] == [0]  # dropped; the stream lingers
        clock.advance(29)
        await hub.reap()
        assert len(hub.status()) == 1
        clock.advance(2)
        await hub.reap()
        assert hub.status() == []
        await pc.close()


async def test_a_new_upstream_is_not_reaped_while_its_first_viewer_connects(
    live_app: Callable[..., tuple[FastAPI, Tokens, LiveHub]],
    tree: SessionFactory,
    tmp_path: Path,
    rtsp_stream: RtspTestServer,
) -> None:
    app, tokens, hub = live_app(live_linger_s=0)
    _add_cameras(tree, tmp_path, {"cam-new": rtsp_stream.url})
    async with _running(app) as client:
        joining = asyncio.ensure_future(_watch(client, tokens.headers("operator-a"), "cam-new"))
        while hub.track_of("cam-new") is None and not joining.done():
            await asyncio.sleep(0)  # every turn of the loop: catch the stream just opened
        assert not joining.done()
        await hub.reap()  # between the stream opening and the answer
        response, viewer = await joining
        assert response.status_code == 200, response.text
        await _until(lambda: viewer.frames >= 3)
        await viewer.close()
        await _until(lambda: hub.status() == [])
