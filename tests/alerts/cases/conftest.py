"""A small league with departments, the shipped rules, and alerts built in virtual time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from alerts.cases.calendar import BusinessCalendar
from alerts.cases.seam import AlertSnapshot, AlertStatus
from alerts.cases.workflow import Workflow, load_workflow
from config.settings import Settings
from registry.db import SessionFactory, transaction
from registry.models import Department, District

REPO = Path(__file__).resolve().parents[3]
CST = ZoneInfo("Asia/Shanghai")
# Thursday 26 Nov 2026, 10:00 in the command center.
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=CST).astimezone(UTC)

DISTRICTS = [
    ("150400", "赤峰市", 1, None),
    ("150402", "红山区", 2, "150400"),
    ("150402001", "桥北镇", 3, "150402"),
    ("150402001001", "东升嘎查", 4, "150402001"),
    ("150404", "松山区", 2, "150400"),
]
DEPARTMENTS = [
    ("cc-150400", "市指挥中心", "150400", ["command_center"]),
    ("cc-150402", "红山区指挥中心", "150402", ["command_center"]),
    ("cc-150402001", "桥北镇综治中心", "150402001", ["command_center"]),
    ("maint-150402", "红山区运维", "150402", ["maintenance"]),
    ("traffic-150400", "市交警支队", "150400", ["traffic"]),
    ("police-150402001", "桥北派出所", "150402001", ["public_security"]),
    ("urban-150402001", "桥北城管", "150402001", ["urban"]),
]


def cst(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CST).astimezone(UTC)


def settings(**extra: Any) -> Settings:
    return Settings(_env_file=None, **extra)  # type: ignore[call-arg]


@pytest.fixture
def workflow() -> Workflow:
    return load_workflow(settings(), calendar=BusinessCalendar())


@pytest.fixture
def league(db: SessionFactory) -> SessionFactory:
    with transaction(db) as session:
        paths: dict[str, str] = {}
        for code, name, level, parent in DISTRICTS:
            paths[code] = (paths[parent] if parent else "") + code + "/"
            session.add(
                District(code=code, name=name, level=level, parent_code=parent, path=paths[code])
            )
            session.flush()
        for dept_id, name, district, categories in DEPARTMENTS:
            session.add(
                Department(id=dept_id, name=name, district_code=district, categories=categories)
            )
    return db


def alert(
    fingerprint: str = "cam-1:camera.offline",
    *,
    alert_id: str | None = None,
    kind: str = "camera.offline",
    priority: str = "P3",
    fired_since: datetime = NOW - timedelta(hours=2),
    district_code: str = "150402001001",
    camera_id: str | None = "cam-1",
    camera_use: str | None = "public_security",
    **extra: Any,
) -> AlertSnapshot:
    snapshot = AlertSnapshot(
        alert_id=alert_id or f"a-{fingerprint}",
        fingerprint=fingerprint,
        kind=kind,
        priority=priority,
        status=AlertStatus.FIRING,
        fired_since=fired_since,
        district_code=district_code,
        camera_id=camera_id,
        camera_use=camera_use,
    )
    return replace(snapshot, **extra)
