"""Browser-test fixtures: Debian's chromium driven by Playwright, and the real app served
by uvicorn on a free port against the test database.

Chromium comes from Debian packages (`bash .ci/install-browser-deps`); Playwright never
downloads a browser here. Without chromium the browser tests skip, except in CI
(`CI=true`), where they fail. Screenshots go to test-artifacts/console/ at the repo root.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from api.context import Clock
from api.queries.districts import command_center_day
from benchmarks.feed_latency import serving
from config.settings import Settings
from registry.auth_tables import Role
from registry.db import SessionFactory, transaction
from registry.importer import import_cameras, import_departments, import_districts
from registry.records import read_records
from registry.users import create_user
from tests.conftest import REPO
from tests.ingest.sources.rtsp_fixture import (
    RtspTestServer,
    rtsp_server_missing,
    start_rtsp_server,
)
from tests.registry.factories import DISTRICTS, camera, write_csv

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
CAM_USER, CAM_PASSWORD = "viewer", "rtsp-Pa55-secret"
ARTIFACTS = REPO / "test-artifacts" / "console"
PASSWORD = "correct horse battery"
TOWNSHIP_A = "150402001"  # 桥北镇
TOWNSHIP_B = "150402002"  # 文钟镇
USERS = {
    "operator-a": (Role.OPERATOR, TOWNSHIP_A, "桥北镇值班员"),
    "operator-b": (Role.OPERATOR, TOWNSHIP_B, "文钟镇值班员"),
    "maintainer-a": (Role.MAINTAINER, TOWNSHIP_A, "桥北镇运维"),
}
# Township A's departments; its handler belongs to the first.
DEPARTMENTS = [
    {"id": "qb-urban", "name": "桥北镇城管", "district_code": TOWNSHIP_A, "categories": "roads"},
    {"id": "qb-police", "name": "桥北派出所", "district_code": TOWNSHIP_A, "categories": "police"},
]
# Two cameras in township A (one in its village), one in B; A's are faulty or offline.
CAMERAS = {
    "cam-a1": ("150402001001", "东升嘎查村口", "degraded"),
    "cam-a2": (TOWNSHIP_A, "桥北镇政府东门", "offline"),
    "cam-b1": (TOWNSHIP_B, "文钟镇中心路口", "online"),
}


@pytest.fixture(scope="module")
def rtsp_stream() -> Iterator[RtspTestServer]:
    """GStreamer's RTSP server: a small live H.264 stream behind Digest auth."""
    missing = rtsp_server_missing()
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the live-view browser test, but {missing}")
        pytest.skip(missing)
    server = start_rtsp_server(
        "--auth", "digest", "--width", "320", "--height", "180", "--fps", "15",
        user=CAM_USER, password=CAM_PASSWORD,
    )  # fmt: skip
    yield server
    server.stop()


def chromium_missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: run `bash .ci/install-browser-deps` (Debian's chromium)"
    return None


def _require_chromium() -> None:
    missing = chromium_missing()
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the browser tests, but {missing}")
        pytest.skip(missing)


@dataclass
class Browser:
    """One chromium with a fresh, empty profile; pages at a chosen window size."""

    context: Any

    def page(self, width: int = 1920, height: int = 1080) -> Any:
        page = self.context.new_page()
        page.set_viewport_size({"width": width, "height": height})
        page.set_default_timeout(15_000)
        return page


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    """Playwright's driver lives for one test only: its sync API keeps an event loop
    running on this thread, which would stop the anyio tests that follow."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    with sync_playwright() as driver:
        yield from _launch(driver, profile)


def _launch(driver: Any, profile: Path) -> Iterator[Browser]:
    context = driver.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        args=CHROMIUM_FLAGS,
        headless=True,
        locale="zh-CN",
        timezone_id="UTC",  # the console must show the command center's zone regardless
        viewport={"width": 1920, "height": 1080},
    )
    try:
        yield Browser(context)
    finally:
        context.close()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


@dataclass
class LiveServer:
    url: str
    app: Any
    factory: SessionFactory


@pytest.fixture
def console_data(db: SessionFactory, tmp_path: Path) -> SessionFactory:
    """The district tree, two township operators (made by the registry) and three cameras."""
    from ingest.stores.tables import CameraHealth, CameraHealthDaily

    import_districts(db, read_records(write_csv(tmp_path / "d.csv", DISTRICTS), "districts"))
    rows = [
        camera(cid, district, name=name, username="admin", password=f"pw-{cid}-secret")
        for cid, (district, name, _) in CAMERAS.items()
    ]
    import_cameras(db, read_records(write_csv(tmp_path / "c.csv", rows), "cameras"))
    now = datetime.now(UTC)
    today = command_center_day(now, "Asia/Shanghai")
    with transaction(db) as session:
        for username, (role, district, display) in USERS.items():
            create_user(session, username, PASSWORD, role, district, display_name=display, now=now)
        for cid, (_, _, state) in CAMERAS.items():
            session.add(
                CameraHealth(
                    camera_id=cid,
                    status=state,
                    faults={"BLURRED": {"since": now.isoformat()}} if state == "degraded" else {},
                    status_since=now - timedelta(hours=3, minutes=20),
                    last_probe_at=now,
                    last_good_at=None if state == "offline" else now,
                    last_failure="timeout" if state == "offline" else None,
                    consecutive_failures=3 if state == "offline" else 0,
                    worker_id="w1",
                )
            )
            for back in range(14):
                online = 0 if state == "offline" and back < 2 else 90 - (back * 7) % 30
                session.add(
                    CameraHealthDaily(
                        camera_id=cid,
                        day=today - timedelta(days=back),
                        probes=96,
                        online=online,
                        faulty=(back * 5) % 20 if state == "degraded" else 0,
                    )
                )
    return db


@pytest.fixture
def case_people(console_data: SessionFactory, tmp_path: Path) -> SessionFactory:
    """`console_data` with township A's departments and a handler of its urban management."""
    departments = read_records(write_csv(tmp_path / "dept.csv", DEPARTMENTS), "departments")
    import_departments(console_data, departments)
    with transaction(console_data) as session:
        create_user(
            session, "handler-a", PASSWORD, Role.HANDLER, TOWNSHIP_A,
            department_id="qb-urban", display_name="城管王工", now=datetime.now(UTC),
        )  # fmt: skip
    return console_data


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Starts the real app with uvicorn on a free port (in a thread); stops it after.
    A test that moves time hands in its own clock."""
    with ExitStack() as servers:

        def start(
            factory: SessionFactory, clock: Clock | None = None, **overrides: Any
        ) -> LiveServer:
            settings = Settings(data_dir=tmp_path / "data", **overrides)
            app = create_app(settings, factory, clock)
            return LiveServer(servers.enter_context(serving(app)), app, factory)

        yield start


def answer(page: Any, **fields: str) -> None:
    """Fills the open action dialog by its fields' names and confirms it."""
    page.wait_for_selector("[data-testid=ask]")
    for name, value in fields.items():
        box = page.locator(f"[data-testid=ask-{name}]")
        if box.evaluate("el => el.tagName") == "SELECT":
            box.select_option(value)
        else:
            box.fill(value)
    page.click("[data-testid=ask-ok]")
    page.wait_for_selector("[data-testid=ask]", state="detached")


def login(page: Any, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/console/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=user]")
