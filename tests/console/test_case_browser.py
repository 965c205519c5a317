"""The case page in chromium, by a township's command center and its urban-management
handler: the command center blows the whistle (吹哨) for two departments, the handler
signs for the case, checks in (报到) for their own department only, resolves it with a
note and a photo (a small JPEG made here, uploaded through the file input), the audit
trail shows the photo and opens it full size; the command center closes the case and
follows it up. Then the case board's countdown and its yellow and red supervision cards
in virtual time, and the reason a reassignment asks for. Screenshots at two window sizes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import cv2
import numpy as np
import pytest

from alerts.cases.commands import act, get_case
from alerts.cases.supervision import supervise
from alerts.cases.vocabulary import CaseAction, Supervision
from registry.db import SessionFactory
from tests.api.alert_fixtures import Alerts, open_case
from tests.api.conftest import FakeClock
from tests.console.conftest import Browser, LiveServer, answer, login, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("db_engine", ["sqlite"], indirect=True),
]
SIZES = ((1920, 1080), (1366, 768))
CST = ZoneInfo("Asia/Shanghai")


def small_jpeg() -> bytes:
    """A 160×120 picture: green left half, grey right half."""
    picture = np.full((120, 160, 3), 90, np.uint8)
    picture[:, :80] = (40, 170, 60)
    ok, encoded = cv2.imencode(".jpg", picture)
    assert ok
    return encoded.tobytes()


def assigned_case(server: LiveServer) -> int:
    """An offline alert on township A's cam-a2, a case opened from it, accepted and
    assigned to urban management, all through the alerts and cases packages."""
    now = datetime.now(UTC)
    workflow = server.app.state.context.workflow
    alert = Alerts(server.factory, FakeClock(now)).offline("cam-a2")
    case_id = open_case(server.factory, workflow, alert, now)
    act(server.factory, workflow, case_id, CaseAction.ACCEPT, actor="operator-a", now=now)
    act(server.factory, workflow, case_id, CaseAction.ASSIGN, actor="operator-a", now=now,
        department_id="qb-urban")  # fmt: skip
    return case_id


def trail(page: Any) -> str:
    text: str = page.locator("[data-testid=case-history]").inner_text()
    return text


def test_a_handler_checks_in_signs_for_and_resolves_with_a_note_and_a_photo(
    browser: Browser, serve: Any, case_people: SessionFactory
) -> None:
    server: LiveServer = serve(case_people)
    case_id = assigned_case(server)
    case_url = f"{server.url}/console/#/cases/{case_id}"

    center = browser.page()
    login(center, server.url, "operator-a")
    center.goto(case_url)
    center.wait_for_selector("[data-testid=roll-call] :text('尚未吹哨召集部门')")
    center.click("[data-testid=roll-call] button[data-action=whistle]")
    center.wait_for_selector("[data-testid=ask]")
    center.select_option("[data-testid=ask-assist]", ["qb-police"])
    answer(center, lead="qb-urban", reason="镇政府东门监控中断，城管牵头、派出所协办")
    center.wait_for_selector("[data-testid=case-message]:text('已召集 2 个部门')")
    assert center.locator("[data-testid=roll-call] tbody tr").count() == 2
    assert "吹哨" in trail(center)

    handler = browser.page()
    login(handler, server.url, "handler-a")
    handler.goto(case_url)
    handler.wait_for_selector("[data-testid=roll-call] tr[data-department=qb-urban]")
    # Only their own department's row has a check-in button; the whistle is not theirs.
    assert handler.locator("[data-testid=roll-call] button[data-action=check-in]").count() == 1
    assert handler.locator("[data-testid=roll-call] button[data-action=whistle]").count() == 0
    assert handler.locator("[data-testid=next-actions] button").all_inner_texts() == [
        "退回 …",
        "签收",
    ]
    handler.click("tr[data-department=qb-urban] button[data-action=check-in]")
    handler.wait_for_selector("[data-testid=case-message]:text('桥北镇城管 已按时报到')")
    assert (
        handler.locator("tr[data-department=qb-urban] [data-testid=checkin-state]").inner_text()
        == "已报到"
    )
    police = handler.locator("tr[data-department=qb-police] [data-testid=checkin-state]")
    assert police.inner_text() == "待报到"

    handler.click("[data-testid=next-actions] button[data-action=sign_for]")
    answer(handler, reason="")
    handler.wait_for_selector("[data-testid=case-status]:text('处置中')")
    handler.click("[data-testid=next-actions] button[data-action=resolve]")
    handler.wait_for_selector("[data-testid=ask-photo]")
    picture = small_jpeg()
    handler.set_input_files(
        "[data-testid=ask-photo]",
        files=[{"name": "gate.jpg", "mimeType": "image/jpeg", "buffer": picture}],
    )
    answer(handler, reason="更换东门摄像机电源适配器，画面恢复", note="旧适配器已回收")
    handler.wait_for_selector("[data-testid=case-status]:text('已处置')")
    history = trail(handler)
    assert "附照片 · handler-a" in history
    assert "处置完毕 · handler-a" in history
    assert "更换东门摄像机电源适配器，画面恢复" in history
    assert "备注：旧适配器已回收" in history
    resolve_row = handler.locator("[data-testid=case-history] li", has_text="处置完毕 · handler-a")
    thumb = resolve_row.locator("[data-testid=case-photo] img")
    handler.wait_for_function("el => el.naturalWidth > 0", arg=thumb.element_handle())
    for width, height in SIZES:
        handler.set_viewport_size({"width": width, "height": height})
        screenshot(handler, f"case-resolved-zh-{width}x{height}")
    resolve_row.locator("[data-testid=case-photo]").click()
    full = handler.locator("[data-testid=picture-dialog] [data-testid=picture-full]")
    handler.wait_for_function("el => el.naturalWidth > 0", arg=full.element_handle())
    assert full.evaluate("el => [el.naturalWidth, el.naturalHeight]") == [160, 120]
    screenshot(handler, "case-photo-zh-1366x768")
    handler.click("[data-testid=picture-close]")
    handler.wait_for_selector("[data-testid=picture-dialog]", state="detached")
    # Closing and following up are the command center's: the handler has no button left.
    assert handler.locator("[data-testid=next-actions] button").count() == 0

    center.reload()
    center.wait_for_selector("[data-testid=case-status]:text('已处置')")
    assert "桥北镇城管 已报到" in trail(center)
    center.click("[data-testid=next-actions] button[data-action=close]")
    answer(center, reason="")
    center.wait_for_selector("[data-testid=case-status]:text('已办结')")
    center.click("[data-testid=next-actions] button[data-action=follow_up]")
    answer(center, reason="回访东门值守人员，画面正常")
    center.wait_for_selector("[data-testid=case-status]:text('已回访')")
    steps = [
        li.split(" · ")[0]
        for li in center.locator("[data-testid=case-history] li strong").all_inner_texts()
    ]
    assert steps[-4:] == ["附照片", "处置完毕", "办结", "回访满意"]


def next_thursday_10am(after: datetime) -> datetime:
    """Thursday 10:00 in the command center after `after` (a working day, so the accept
    stage's two working hours end the same afternoon)."""
    local = after.astimezone(CST) + timedelta(days=1)
    local += timedelta(days=(3 - local.weekday()) % 7)
    return local.replace(hour=10, minute=0, second=0, microsecond=0).astimezone(UTC)


def test_the_board_shows_the_yellow_then_the_red_card_as_the_deadline_passes(
    browser: Browser, serve: Any, case_people: SessionFactory
) -> None:
    """The API and the page share one virtual clock (the app's injected clock, chromium's
    `page.clock`); the cards are raised by `supervise` at the instants the case's own SLA
    set, and reach the open board through the change feed."""
    clock = FakeClock(next_thursday_10am(datetime.now(UTC)))
    server: LiveServer = serve(case_people, clock, access_token_ttl_s=86_400)
    workflow = server.app.state.context.workflow
    case_id = open_case(
        server.factory, workflow, Alerts(server.factory, clock).offline("cam-a2"), clock()
    )
    opened = get_case(server.factory, case_id)
    assert opened.yellow_at is not None
    assert opened.red_at is not None
    page = browser.page(1366, 768)
    page.clock.set_fixed_time(clock())
    login(page, server.url, "operator-a")
    page.goto(f"{server.url}/console/#/cases")
    row = page.locator(f"[data-testid=case-board] tr[data-case='{case_id}']")
    row.wait_for()
    assert "剩余 2 小时 0 分" in row.inner_text()
    assert row.locator(".flag").count() == 0

    def move_to(at: datetime) -> list[Supervision]:
        clock.now = at
        page.clock.set_fixed_time(at)
        return [notice.level for notice in supervise(server.factory, workflow, at)]

    assert move_to(opened.yellow_at + timedelta(minutes=1)) == [Supervision.YELLOW]
    row.locator("[data-testid=flag-yellow]").wait_for()  # no reload: pushed on the feed
    left = round((opened.red_at - clock()).total_seconds() / 60)
    assert f"剩余 {left} 分钟" in row.inner_text()
    assert "overdue" not in (row.get_attribute("class") or "")
    screenshot(page, "case-board-yellow-zh-1366x768")

    assert move_to(opened.red_at + timedelta(minutes=5)) == [Supervision.RED]
    row.locator("[data-testid=flag-red]").wait_for()
    assert "超时 5 分钟" in row.inner_text()
    assert "overdue" in (row.get_attribute("class") or "")
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.click("[data-tab=overdue]")
        page.wait_for_selector(
            f"[data-testid=case-board] tr[data-case='{case_id}'] [data-testid=flag-red]"
        )
        screenshot(page, f"case-board-red-zh-{width}x{height}")

    # The case page: the red card by the title; dispatch, then a reassignment, which asks
    # for a reason and will not go without one.
    page.click(f"[data-testid=case-board] tr[data-case='{case_id}'] a >> nth=0")
    page.wait_for_selector("[data-testid=case-title] [data-testid=flag-red]")
    page.click("[data-testid=next-actions] button[data-action=accept]")
    answer(page, reason="")
    page.click("[data-testid=next-actions] button[data-action=assign]")
    answer(page, department_id="qb-police", reason="")
    page.wait_for_selector("[data-testid=case-status]:text('已派遣')")
    page.click("[data-testid=next-actions] button[data-action=reassign]")
    page.wait_for_selector("[data-testid=ask] :text('原因（必填）')")
    page.select_option("[data-testid=ask-department_id]", "qb-urban")
    page.click("[data-testid=ask-ok]")  # refused by the form: the reason is required
    assert page.locator("[data-testid=ask]").is_visible()
    assert page.locator("[data-testid=ask-reason]").evaluate("el => el.validity.valueMissing")
    screenshot(page, "case-reason-zh-1366x768")
    answer(page, reason="供电线路归城管维护")
    page.wait_for_selector("[data-testid=case-message]:text('已执行：改派')")
    history = page.locator("[data-testid=case-history]").inner_text()
    assert "改派" in history
    assert "供电线路归城管维护" in history
    assert "黄牌" in history
    assert "红牌" in history
