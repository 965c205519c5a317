"""The alert evidence view against the shape the alert API is getting (`evidence`:
`{"fault_url", "before_url" | null} | null`), checked in chromium on the console's own
module: which pictures open, in which order, with which
captions in both languages, and that an alert without evidence shows nothing."""

from __future__ import annotations

from typing import Any

import pytest

from registry.db import SessionFactory
from tests.console.conftest import Browser, LiveServer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("db_engine", ["sqlite"], indirect=True),
]
CHECK = """async ([lang, evidence]) => {
  const i18n = await import('./js/i18n.js');
  await i18n.setLanguage(lang);
  const view = await import('./js/evidence.js');
  return {
    pictures: view.evidencePictures(evidence),
    thumb: evidence ? null : view.evidenceThumb({ camera_id: 'cam-a1', evidence }),
  };
}"""


def test_evidence_pictures_follow_the_shape(
    browser: Browser, serve: Any, console_data: SessionFactory
) -> None:
    server: LiveServer = serve(console_data)
    page = browser.page(1366, 768)
    page.goto(f"{server.url}/console/")
    page.wait_for_selector("input[name=username]")
    both = {"fault_url": "/api/v1/alerts/a1/evidence/fault", "before_url": "/api/v1/x/before"}
    assert page.evaluate(CHECK, ["zh-CN", both])["pictures"] == [
        {"url": "/api/v1/x/before", "caption": "故障前画面"},
        {"url": "/api/v1/alerts/a1/evidence/fault", "caption": "告警画面"},
    ]
    fault_only = {"fault_url": "/api/v1/alerts/a1/evidence/fault", "before_url": None}
    assert page.evaluate(CHECK, ["en", fault_only])["pictures"] == [
        {"url": "/api/v1/alerts/a1/evidence/fault", "caption": "At the alert"},
    ]
    assert page.evaluate(CHECK, ["en", None]) == {"pictures": [], "thumb": None}
