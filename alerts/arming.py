"""Intrusion arming (布防): which cameras turn `motion.start` into an alert, and when.

A YAML file of schedules, each naming cameras and/or tags and local armed hours:

    schedules:
      - name: warehouse nights
        cameras: ["15040200001320000001"]
        tags: [perimeter]
        hours: "22:00-06:00"
        days: [0, 1, 2, 3, 4]    # optional, 0 = Monday

No file, no schedule: nothing is armed (the default).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from alerts.hours import BadHours, Hours, parse_hours


class BadArming(ValueError):
    """The arming file cannot be used; the message names the file and schedule."""


@dataclass(frozen=True, slots=True)
class Schedule:
    name: str
    hours: Hours
    cameras: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Arming:
    schedules: tuple[Schedule, ...] = ()
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))

    def armed(self, camera_id: str, tags: frozenset[str], at: datetime) -> bool:
        for schedule in self.schedules:
            applies = camera_id in schedule.cameras or bool(schedule.tags & tags)
            if applies and schedule.hours.contains(at, self.zone):
                return True
        return False


def parse_arming(document: Any, where: str, timezone: str) -> Arming:
    if document is None:
        return Arming(zone=ZoneInfo(timezone))
    if not isinstance(document, dict) or not isinstance(document.get("schedules", []), list):
        raise BadArming(f"{where}: expected a mapping with a `schedules` list")
    schedules = []
    for i, raw in enumerate(document.get("schedules", [])):
        name = f"{where} schedule {i + 1}"
        if not isinstance(raw, dict) or "hours" not in raw:
            raise BadArming(f"{name}: needs `hours` and `cameras` and/or `tags`")
        if not raw.get("cameras") and not raw.get("tags"):
            raise BadArming(f"{name}: names no cameras and no tags")
        try:
            hours = parse_hours(str(raw["hours"]), raw.get("days"))
        except BadHours as exc:
            raise BadArming(f"{name}: {exc}") from None
        schedules.append(
            Schedule(
                str(raw.get("name", name)),
                hours,
                frozenset(str(c) for c in raw.get("cameras") or ()),
                frozenset(str(t) for t in raw.get("tags") or ()),
            )
        )
    return Arming(tuple(schedules), ZoneInfo(timezone))


def load_arming(path: Path | None, timezone: str) -> Arming:
    if path is None:
        return Arming(zone=ZoneInfo(timezone))
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadArming(f"cannot read arming schedules {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise BadArming(f"{path} is not valid YAML: {exc}") from None
    return parse_arming(document, str(path), timezone)
