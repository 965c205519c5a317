"""The case page in chromium, by a township's command center and its urban-management
handler: the command center blows the whistle (吹哨) for two departments, the handler
signs for the case, checks in (报到) for their own department only, resolves it with a
note and a photo (a small JPEG made here, uploaded through the file input), the audit
trail shows the photo and opens it full size; the command center closes the case and
follows it up. Screenshots at two window sizes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import cv2
import numpy as np
import pytest

from alerts.cases.commands import act
from alerts.cases.vocabulary import CaseAction
from registry.db import SessionFactory
from tests.api.alert_fixtures import Alerts, open_case
from tests.api.conftest import FakeClock
from tests.console.conftest import Browser, LiveServer, answer, login, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("db_engine", ["sqlite"], indirect=True),
]
SIZES = ((1920, 1080), (1366, 768))


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
