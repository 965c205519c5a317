"""The console's files as the server serves them, and its message catalogues."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.console_files import CONSOLE_DIR
from config.settings import Settings
from registry.db import SessionFactory

CATALOGUES = CONSOLE_DIR / "i18n"


def _client(db: SessionFactory, tmp_path: Path, **overrides: object) -> TestClient:
    return TestClient(create_app(Settings(data_dir=tmp_path / "data", **overrides), db))


def test_root_leads_to_the_console_served_with_a_strict_policy(
    db: SessionFactory, tmp_path: Path
) -> None:
    with _client(db, tmp_path) as client:
        root = client.get("/", follow_redirects=False)
        assert root.status_code == 307
        assert root.headers["location"] == "/console/"
        page = client.get("/console/")
        assert page.status_code == 200
        assert '<script type="module" src="js/main.js">' in page.text
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert page.headers["x-content-type-options"] == "nosniff"
        module = client.get("/console/js/main.js")
        assert module.status_code == 200
        assert "javascript" in module.headers["content-type"]
        assert client.get("/console/../api/app.py").status_code == 404


def test_config_tells_the_page_the_command_center_time_zone(
    db: SessionFactory, tmp_path: Path
) -> None:
    with _client(
        db, tmp_path, command_center_tz="Asia/Urumqi", live_ice_servers=["stun:10.0.0.9"]
    ) as client:
        config = client.get("/console/config.json").json()
    assert config == {
        "time_zone": "Asia/Urumqi",
        "languages": ["zh-CN", "en"],
        "ice_servers": ["stun:10.0.0.9"],
    }


def test_both_catalogues_hold_every_message_the_pages_use() -> None:
    zh = json.loads((CATALOGUES / "zh-CN.json").read_text(encoding="utf-8"))
    en = json.loads((CATALOGUES / "en.json").read_text(encoding="utf-8"))
    assert set(zh) == set(en)
    used: set[str] = set()
    for script in (CONSOLE_DIR / "js").rglob("*.js"):
        text = script.read_text(encoding="utf-8")
        used |= set(re.findall(r"\bt\(\s*'([\w.]+)'", text))
        used |= set(re.findall(r"label: '([\w.]+)'", text))
    missing = sorted(key for key in used if key not in zh)
    assert not missing, f"messages used by the pages but in no catalogue: {missing}"
    for key, text in zh.items():
        assert set(re.findall(r"\{(\w+)\}", text)) == set(re.findall(r"\{(\w+)\}", en[key])), key


def test_vendored_echarts_is_the_version_its_readme_names() -> None:
    readme = (CONSOLE_DIR / "vendor" / "README.md").read_text(encoding="utf-8")
    match = re.search(r"`echarts\.min\.js` \| .*? \| (\d+\.\d+\.\d+) \| Apache-2\.0", readme)
    assert match is not None
    bundle = (CONSOLE_DIR / "vendor" / "echarts.min.js").read_text(encoding="utf-8")
    assert f'"{match.group(1)}"' in bundle
    assert (CONSOLE_DIR / "vendor" / "LICENSE-echarts.txt").is_file()
