"""The silences page in chromium: a maintainer reaches it from the navigation, silences a
camera (listed as active), plans a weekly maintenance window for a district starting
later (its times typed in the command center's zone while the browser runs in UTC), and
expires the first; the API holds exactly what the form said; township B sees none of it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.console.conftest import Browser, LiveServer, login, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("db_engine", ["sqlite"], indirect=True),
]
SIZES = ((1920, 1080), (1366, 768))


def _silences(page: Any) -> list[dict[str, Any]]:
    """The silences of the page's user, through the API with the page's own session."""
    result: list[dict[str, Any]] = page.evaluate(
        """async () => {
          const { api } = await import('./js/api.js');
          return api('/silences?current=false');
        }"""
    )
    return result


def test_a_maintainer_silences_a_camera_plans_a_window_and_expires_the_silence(
    browser: Browser, serve: Any, console_data: Any
) -> None:
    server: LiveServer = serve(console_data)
    page = browser.page()
    login(page, server.url, "maintainer-a")
    page.click("nav a:text('静默与维护')")
    page.wait_for_selector("h1:text('静默与维护窗口')")
    page.wait_for_selector("[data-testid=silence-list] td:text('没有静默')")

    # A camera, from now for the form's default two hours.
    page.fill("[data-testid=silence-cameras]", "cam-a1")
    page.fill("[data-testid=silence-reason]", "更换镜头")
    page.click("[data-testid=silence-create]")
    page.wait_for_selector("[data-testid=silence-message]:text('静默已创建')")
    row = page.locator("[data-testid=silence-list] tr[data-silence]").first
    row.wait_for()
    assert "摄像机：cam-a1" in row.inner_text()
    assert row.locator("[data-testid=silence-state]").inner_text() == "生效中"
    (made,) = _silences(page)
    assert made["matchers"]["cameras"] == ["cam-a1"]
    assert made["matchers"]["districts"] == []  # a camera matcher needs no district
    assert (made["reason"], made["created_by"]) == ("更换镜头", "maintainer-a")
    assert made["window"] is None

    # A weekly window (Mon–Fri 22:00–06:00) for the township from 2 Jan 2030, 08:00 in
    # Asia/Shanghai, which is midnight UTC, the browser's own zone.
    page.select_option("[data-testid=silence-district]", "150402001")
    page.select_option("[data-testid=silence-kind]", "offline")
    page.fill("[data-testid=silence-starts]", "2030-01-02T08:00")
    page.fill("[data-testid=silence-ends]", "2030-03-01T08:00")
    page.fill("[data-testid=silence-reason]", "线路改造")
    page.check("[data-testid=silence-weekly]")
    for day in range(5):
        page.check(f"[data-day='{day}']")
    page.click("[data-testid=silence-create]")
    planned = page.locator("[data-testid=silence-list] tr[data-silence]:has-text('线路改造')")
    planned.wait_for()
    assert planned.locator("[data-testid=silence-state]").inner_text() == "未开始"
    assert "桥北镇及下级" in planned.inner_text()
    assert "周一–周五 22:00–06:00" in planned.inner_text()
    window = next(s for s in _silences(page) if s["reason"] == "线路改造")
    assert window["starts_at"].startswith("2030-01-02T00:00:00")
    assert window["ends_at"].startswith("2030-03-01T00:00:00")
    assert window["window"] == {"hours": "22:00-06:00", "days": [0, 1, 2, 3, 4]}
    assert window["matchers"]["districts"] == ["150402001"]
    assert window["matchers"]["kinds"] == ["offline"]

    # Nothing to match: refused in the page, nothing sent.
    page.fill("[data-testid=silence-reason]", "nothing")
    page.click("[data-testid=silence-create]")
    page.wait_for_selector("[data-testid=silence-error]:text('至少填写一个匹配条件')")
    assert len(_silences(page)) == 2

    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.reload()
        page.wait_for_selector("[data-testid=silence-list] tr[data-silence]")
        screenshot(page, f"silences-zh-{width}x{height}")

    # Expire the camera's silence: it leaves the current list, and "all" shows it ended early.
    camera_row = page.locator(f"tr[data-silence='{made['id']}']")
    camera_row.locator("button[data-action=expire]").click()
    page.wait_for_selector("[data-testid=silence-message]:text('静默已结束')")
    camera_row.wait_for(state="detached")
    cancelled = next(s for s in _silences(page) if s["id"] == made["id"])
    assert cancelled["cancelled_by"] == "maintainer-a"
    assert cancelled["active"] is False
    page.select_option("[data-testid=silence-show]", "all")
    page.wait_for_selector(f"tr[data-silence='{made['id']}'] :text('已提前结束')")
    assert "show=all" in page.url

    page.select_option("[data-testid=language]", "en")
    page.wait_for_selector("h1:text('Silences and maintenance windows')")
    assert "Expired early" in page.locator(f"tr[data-silence='{made['id']}']").inner_text()
    screenshot(page, "silences-en-1366x768")

    # Township B's operator sees neither (in English: the choice is remembered per browser).
    other = browser.page(1366, 768)
    login(other, server.url, "operator-b")
    other.goto(f"{server.url}/console/#/silences?show=all")
    other.wait_for_selector("[data-testid=silence-list] td:text('No silences')")
