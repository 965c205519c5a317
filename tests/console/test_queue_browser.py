"""The alert queue, case board, case page and KPI dashboard in chromium: an alert made
the way production makes it (`AlertService.process` on the test database, whose
`record_changes` pushes it on the change feed) appears without a reload for township A's
operator and never for township B's; acknowledge, escalate, the case page; both languages;
screenshots at two window sizes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from sqlalchemy import update

from alerts.app import start_alerts
from alerts.engine import Engine
from alerts.policy import Policy
from alerts.priorities import load_rules
from alerts.service import AlertService
from alerts.topology import load_topology
from bus.events import encode
from config.settings import Settings
from ingest.stores.evidence import EvidenceBounds, EvidenceStore, evidence_root
from registry.db import SessionFactory, transaction
from registry.models import Camera
from tests.alerts.helpers import Producer
from tests.alerts.test_consumer import Publisher
from tests.api.alert_fixtures import Alerts
from tests.api.conftest import FakeClock
from tests.conftest import REPO
from tests.console.conftest import CAMERAS, Browser, LiveServer, answer, login, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("db_engine", ["sqlite"], indirect=True),
]
SIZES = ((1920, 1080), (1366, 768))
NOW = datetime.now(UTC)


def _production_alerts(db: SessionFactory, **policy: Any) -> Alerts:
    """`Alerts` whose engine ranks with the shipped priority rules (a key site's offline
    camera is major), so the queue's high-priority cue has something to announce."""
    alerts = Alerts(db, FakeClock(datetime.now(UTC)))
    with db() as session:
        topology = load_topology(session, 3)
    rules = load_rules(REPO / "config" / "alert_priorities.yaml", "Asia/Shanghai")
    settings = Policy(hold_s=0, group_hold_s=0, **policy)
    alerts.service = AlertService(db, lambda: Engine(settings, topology, rules=rules), alerts.clock)
    alerts.service.load()
    return alerts


def _queue_ids(page: Any) -> set[str]:
    page.wait_for_selector("[data-testid=alert-queue] tbody tr")
    rows = page.locator("[data-testid=alert-queue] tbody tr[data-alert]")
    return {rows.nth(i).get_attribute("data-alert") for i in range(rows.count())}


def test_an_alert_reaches_its_township_live_and_becomes_a_case(
    browser: Browser, serve: Any, console_data: SessionFactory
) -> None:
    with transaction(console_data) as session:  # a key site: its offline alert is high priority
        session.execute(update(Camera).where(Camera.id == "cam-a2").values(use="key_site"))
    server: LiveServer = serve(console_data)
    page_a = browser.page()
    login(page_a, server.url, "operator-a")  # lands on the queue
    page_a.wait_for_selector("h1:text('告警队列')")
    assert _queue_ids(page_a) == set()
    page_b = browser.page()
    login(page_b, server.url, "operator-b")
    assert _queue_ids(page_b) == set()

    alerts = _production_alerts(console_data)
    alert = alerts.offline("cam-a2")
    page_a.wait_for_selector(f"[data-alert='{alert.id}']")  # no reload: pushed by the service
    assert _queue_ids(page_a) == {alert.id}
    assert alert.priority >= 50, alert.priority
    assert page_a.locator("[data-testid=cue]").is_visible()  # the high-priority banner
    assert "离线" in page_a.locator("[data-testid=cue-text]").inner_text()
    assert page_a.locator("[data-testid=sound]").get_attribute("aria-pressed") == "false"

    # Acknowledge, by the visible label, for 4 hours: it leaves the queue for "acknowledged".
    page_a.locator(f"[data-alert='{alert.id}'] button:text('确认')").click()
    answer(page_a, duration_s="14400", note="on it")
    page_a.wait_for_selector(f"[data-alert='{alert.id}']", state="detached")
    page_a.select_option("[data-testid=filter-view]", "acked")
    page_a.wait_for_selector(f"[data-alert='{alert.id}']")
    assert "view=acked" in page_a.url
    page_a.reload()  # the view survives a reload
    page_a.wait_for_selector(f"[data-alert='{alert.id}'] button:text('转工单')").click()
    answer(page_a, reason="camera at the border post is down")
    page_a.click("[data-testid=escalated-case]")
    page_a.wait_for_selector("[data-testid=case-history] li")
    case_url = page_a.url
    assert "#/cases/" in case_url
    assert "桥北镇" in page_a.content()
    assert page_a.locator("[data-testid=case-title]").inner_text().endswith("摄像机离线 · cam-a2")
    # The next allowed action, as its button: accept (a note is optional).
    page_a.click("[data-testid=next-actions] button[data-action=accept]")
    answer(page_a, reason="accepted at the wall")
    page_a.wait_for_selector("[data-testid=case-status]:text('已受理')")
    assert page_a.locator("[data-testid=case-history] li").count() == 3

    # Township B never sees it: not in its queue, not by the alert's or the case's address.
    page_b.reload()
    assert _queue_ids(page_b) == set()
    page_b.goto(case_url.replace(server.url + "/console/", f"{server.url}/console/"))
    page_b.wait_for_selector("[role=alert]")
    assert "border post" not in page_b.content()

    # English and back, on the queue and the case page.
    page_a.select_option("[data-testid=language]", "en")
    page_a.wait_for_selector("h2:text('Audit trail')")
    assert page_a.locator("nav a").all_inner_texts()[:3] == ["Alert queue", "Case board", "KPIs"]
    assert "Open · operator-a" in page_a.locator("[data-testid=case-history]").inner_text()
    title = page_a.locator("[data-testid=case-title]").inner_text()
    assert title.endswith("Camera offline · cam-a2")
    page_a.goto(f"{server.url}/console/#/queue?view=acked")
    page_a.wait_for_selector("h1:text('Alert queue')")
    assert page_a.locator(f"[data-alert='{alert.id}'] [data-testid=case-link]").is_visible()
    page_a.select_option("[data-testid=language]", "zh-CN")
    page_a.wait_for_selector("h1:text('告警队列')")
    page_a.goto(case_url)
    page_a.wait_for_selector("h2:text('处理记录')")

    for width, height in SIZES:
        page_a.set_viewport_size({"width": width, "height": height})
        page_a.goto(f"{server.url}/console/#/queue?view=acked")
        page_a.wait_for_selector(f"[data-alert='{alert.id}']")
        screenshot(page_a, f"queue-zh-{width}x{height}")
        page_a.goto(f"{server.url}/console/#/cases")
        page_a.wait_for_selector("[data-testid=case-board] tbody tr[data-case]")
        screenshot(page_a, f"case-board-zh-{width}x{height}")
        page_a.goto(case_url)
        page_a.wait_for_selector("[data-testid=case-history] li")
        screenshot(page_a, f"case-zh-{width}x{height}")
        page_a.goto(f"{server.url}/console/#/kpis")
        page_a.wait_for_selector("[data-testid=kpi-online] canvas")
        screenshot(page_a, f"kpis-zh-{width}x{height}")
    page_a.select_option("[data-testid=kpi-days]", "7")
    page_a.wait_for_selector("text=近 7 天立案的工单")
    assert page_a.locator("[data-testid=kpi-opened]").inner_text().startswith("1")


def test_a_storm_is_one_row_that_expands_to_its_members_and_filters_survive_reload(
    browser: Browser, serve: Any, console_data: SessionFactory
) -> None:
    server: LiveServer = serve(console_data)
    page = browser.page(1366, 768)
    login(page, server.url, "operator-a")
    page.goto(f"{server.url}/console/#/queue?kind=group_offline")
    page.wait_for_selector("h1:text('告警队列')")
    alerts = _production_alerts(console_data, group_min_count=2)
    alerts.offline("cam-a1")
    alerts.offline("cam-a2")
    alerts.service.tick()  # the group forms on the service's tick
    storm = page.locator("tr.storm").first
    storm.wait_for()
    assert _queue_ids(page) == {storm.get_attribute("data-alert")}  # members are inhibited
    assert "台摄像机离线" in storm.inner_text()
    storm.locator("[data-testid=expand]").click()
    page.wait_for_selector("tr.member")
    members = page.locator("tr.member").all_inner_texts()
    assert any("cam-a1" in m for m in members)
    assert any("cam-a2" in m for m in members)
    screenshot(page, "queue-storm-zh-1366x768")

    page.select_option("[data-testid=filter-district]", "150402001")
    page.reload()  # the filters are in the URL
    page.wait_for_selector("tr.storm")
    assert page.locator("[data-testid=filter-kind]").input_value() == "group_offline"
    assert page.locator("[data-testid=filter-district]").input_value() == "150402001"
    page.select_option("[data-testid=language]", "en")
    page.wait_for_selector("h1:text('Alert queue')")
    assert "cameras offline" in page.locator("tr.storm").inner_text()
    page.select_option("[data-testid=filter-kind]", "fault")
    page.wait_for_selector("text=No alert needs action")


def test_an_event_published_on_the_broker_reaches_the_queue_through_the_alert_consumer(
    browser: Browser, serve: Any, console_data: SessionFactory, mqtt_url: str, tmp_path: Path
) -> None:
    """The whole path: an ingest-shaped event on the broker, `gridwatch alerts`' consumer
    (`start_alerts`, real clock), its change-feed row, the API's WebSocket, the page."""
    prefix = f"gwc{uuid.uuid4().hex[:10]}"
    config = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "alerts",
        topic_prefix=prefix,
        alerts_consumer_id=prefix,
        alerts_hold_s=0,
        alerts_case_tick_s=3600,
    )
    running = start_alerts(config, console_data, mqtt_url)
    publisher = Publisher(mqtt_url)
    try:
        server: LiveServer = serve(console_data)
        page_a, page_b = browser.page(), browser.page(1366, 768)
        login(page_a, server.url, "operator-a")
        login(page_b, server.url, "operator-b")
        assert _queue_ids(page_a) == set()
        producer = Producer(district_of={cid: d for cid, (d, _, _) in CAMERAS.items()})
        event = producer.offline("cam-a1", datetime.now(UTC))
        publisher.send(event.topic(prefix), encode(event))
        row = page_a.locator("[data-testid=alert-queue] tbody tr[data-alert]")
        row.first.wait_for(timeout=30_000)
        assert "cam-a1" in row.first.inner_text()
        page_b.reload()
        assert _queue_ids(page_b) == set()
    finally:
        publisher.close()
        running.stop()


def _jpeg(width: int, height: int, level: int) -> bytes:
    ok, buffer = cv2.imencode(".jpg", np.full((height, width, 3), level, np.uint8))
    assert ok
    return buffer.tobytes()


def test_an_alerts_evidence_shows_as_a_thumbnail_that_opens_both_pictures(
    browser: Browser, serve: Any, console_data: SessionFactory, tmp_path: Path
) -> None:
    """Pictures written by ingest's evidence store where the API reads them (the data
    dir), an alert whose event names them: the row's thumbnail opens the picture at the
    alert beside the one before it, fetched with the operator's token."""
    server: LiveServer = serve(console_data)
    store = EvidenceStore(evidence_root(tmp_path / "data"), EvidenceBounds(), lambda: NOW)
    fault_at = datetime.now(UTC)
    reference = store.keep(
        "cam-a1", fault_at, "NO_SIGNAL", _jpeg(320, 180, 0), _jpeg(320, 180, 200)
    )
    assert reference is not None
    page = browser.page(1366, 768)
    login(page, server.url, "operator-a")
    alerts = _production_alerts(console_data)
    alert = alerts.fault("cam-a1", "NO_SIGNAL", at=fault_at, evidence=reference)
    row = page.locator(f"tr[data-alert='{alert.id}']")
    row.wait_for()
    thumb = row.locator("[data-testid=evidence-thumb]")
    thumb.wait_for()
    thumb.click()
    page.wait_for_selector("[data-testid=picture-dialog]")
    pictures = page.locator("[data-testid=picture-dialog] [data-testid=picture-full]")
    assert pictures.count() == 2
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=picture-full]')]"
        ".every((img) => img.complete && img.naturalWidth === 320)"
    )
    captions = page.locator("[data-testid=picture-dialog] figcaption").all_inner_texts()
    assert captions == ["故障前画面", "告警画面"]
    screenshot(page, "queue-evidence-zh-1366x768")
    page.click("[data-testid=picture-close]")
    page.wait_for_selector("[data-testid=picture-dialog]", state="detached")
    # An alert without evidence has no thumbnail.
    plain = alerts.fault("cam-a1", "BLURRED")
    page.locator(f"tr[data-alert='{plain.id}']").wait_for()
    assert page.locator(f"tr[data-alert='{plain.id}'] [data-testid=evidence-thumb]").count() == 0
    assert "画面模糊" in page.locator(f"tr[data-alert='{plain.id}']").inner_text()  # not BLURRED
    # The camera in the row leads to its page, where the live video is one button away.
    page.locator(f"tr[data-alert='{plain.id}'] [data-testid=camera-link]").click()
    page.wait_for_selector("[data-testid=live-play]")
    assert page.url.endswith("#/cameras/cam-a1")
