"""Live video in chromium over WebRTC from GStreamer's RTSP server: frames are decoded in
the page, a second page shares the one upstream, which closes once both have left; a
camera whose stream cannot be opened falls back to snapshots and says so."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry.db import SessionFactory
from registry.importer import import_cameras
from registry.records import read_records
from tests.console.conftest import (
    CAM_PASSWORD,
    CAM_USER,
    PASSWORD,
    Browser,
    LiveServer,
    login,
    screenshot,
)
from tests.ingest.sources.rtsp_fixture import RtspTestServer
from tests.registry.factories import camera, write_csv

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("db_engine", ["sqlite"], indirect=True),
]
FRAMES = (
    "document.querySelector('[data-testid=live-video]').getVideoPlaybackQuality().totalVideoFrames"
)


def _frames_rise(page: Any) -> tuple[int, int]:
    """Frames decoded by the page's video element before and after 10 more arrived.
    (Polled from here: the console's CSP forbids the eval that wait_for_function uses.)"""
    first = page.evaluate(FRAMES)
    _until(lambda: page.evaluate(FRAMES) >= first + 10, timeout_s=15)
    return first, page.evaluate(FRAMES)


def _until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


def test_live_video_plays_shares_one_upstream_and_closes_after_both_leave(
    browser: Browser,
    serve: Any,
    console_data: SessionFactory,
    rtsp_stream: RtspTestServer,
    tmp_path: Path,
) -> None:
    row = camera("cam-live", "150402001", name="桥北镇主街", username=CAM_USER)
    row.update(main_url=rtsp_stream.url, password=CAM_PASSWORD)
    import_cameras(console_data, read_records(write_csv(tmp_path / "l.csv", [row]), "cameras"))
    server: LiveServer = serve(console_data, live_linger_s=0, live_open_timeout_s=3)
    hub = server.app.state.live_hub
    api = httpx.Client(base_url=server.url)
    token = api.post(
        "/api/v1/auth/login", json={"username": "operator-a", "password": PASSWORD}
    ).json()["access_token"]

    def watched() -> list[dict[str, Any]]:
        answer = api.get("/api/v1/live", headers={"Authorization": f"Bearer {token}"})
        return answer.json()  # type: ignore[no-any-return]

    first = browser.page()
    login(first, server.url, "operator-a")
    first.goto(f"{server.url}/console/#/cameras/cam-live")
    first.get_by_role("button", name="播放实时视频").click()
    first.wait_for_selector("[data-testid=live-state]:text('实时视频播放中')")
    before, after = _frames_rise(first)
    assert after > before
    assert [(w["camera_id"], w["viewers"]) for w in watched()] == [("cam-live", 1)]
    assert CAM_PASSWORD not in first.content()

    second = browser.page(1366, 768)
    login(second, server.url, "operator-a")
    # The way a newcomer finds it: the landing page's 摄像机 tab, then the row's ▶ button.
    second.get_by_role("link", name="摄像机").click()
    second.locator("[data-camera=cam-live]").get_by_role("link", name="实时视频").click()
    second.wait_for_selector("[data-testid=live-state]:text('实时视频播放中')")
    _frames_rise(second)
    _frames_rise(first)  # the first keeps playing
    assert [(w["camera_id"], w["viewers"]) for w in watched()] == [("cam-live", 2)]
    assert hub.upstreams_opened == 1
    screenshot(first, "camera-live-zh-1920x1080")
    screenshot(second, "camera-live-zh-1366x768")

    first.close()  # leaving the page ends its view
    _until(lambda: [w["viewers"] for w in watched()] == [1])
    second.get_by_role("button", name="停止").click()
    _until(lambda: watched() == [])
    assert hub.upstreams_opened == 1

    # A camera whose stream cannot be opened: snapshots instead, and the page says why.
    row = camera("cam-dead", "150402001", name="断流摄像机", username=CAM_USER)
    row.update(main_url="rtsp://127.0.0.1:9/stream", password=CAM_PASSWORD)
    import_cameras(console_data, read_records(write_csv(tmp_path / "d.csv", [row]), "cameras"))
    second.goto(f"{server.url}/console/#/cameras/cam-dead?live=1")
    state = second.locator("[data-testid=live-state]")
    state.filter(has_text="改为每 5 秒刷新一次画面").wait_for()
    assert "连接被拒绝" in state.inner_text()
    api.close()
