"""Priority rules from a YAML file: a base per kind plus every rule that matches.

A rule's conditions all have to hold: camera `use`, alert `kind`, local `hours`,
`min_duration_s` since the alert started, `min_cameras` affected (a group's members).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from alerts.domain import Alert, Kind, Severity
from alerts.hours import BadHours, Hours, parse_hours

DEFAULT_BASE = 30


class BadPriorityRules(ValueError):
    """The rules file cannot be used; the message names the file, rule and field."""


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    add: int
    uses: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    hours: Hours | None = None
    min_duration_s: float = 0.0
    min_cameras: int = 0


@dataclass(frozen=True, slots=True)
class PriorityRules:
    base: dict[str, int] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))


def severity_of(priority: int) -> Severity:
    if priority >= 80:
        return Severity.CRITICAL
    if priority >= 50:
        return Severity.MAJOR
    return Severity.MINOR


def priority_of(alert: Alert, use: str | None, rules: PriorityRules, now: datetime) -> int:
    """0-100 for `alert` of a camera with `use` (None for groups and workers) at `now`."""
    score = rules.base.get(str(alert.kind), DEFAULT_BASE)
    cameras = alert.members if alert.members else 1
    duration = (now - alert.started_at).total_seconds()
    for rule in rules.rules:
        if rule.uses and use not in rule.uses:
            continue
        if rule.kinds and str(alert.kind) not in rule.kinds:
            continue
        if rule.hours is not None and not rule.hours.contains(now, rules.zone):
            continue
        if duration < rule.min_duration_s or cameras < rule.min_cameras:
            continue
        score += rule.add
    return max(0, min(100, score))


def _rule(where: str, raw: Any) -> Rule:
    if not isinstance(raw, dict) or not isinstance(raw.get("add"), int):
        raise BadPriorityRules(f"{where}: a rule is a mapping with an integer `add`")
    unknown = set(raw) - {"name", "add", "use", "kind", "hours", "days", "min_duration_s",
                          "min_cameras"}  # fmt: skip
    if unknown:
        raise BadPriorityRules(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    kinds = frozenset(str(k) for k in raw.get("kind", ()))
    bad = kinds - {str(kind) for kind in Kind}
    if bad:
        raise BadPriorityRules(f"{where}: unknown kind(s) {', '.join(sorted(bad))}")
    try:
        hours = parse_hours(raw["hours"], raw.get("days")) if "hours" in raw else None
    except BadHours as exc:
        raise BadPriorityRules(f"{where}: {exc}") from None
    return Rule(
        name=str(raw.get("name", where)),
        add=raw["add"],
        uses=frozenset(str(u) for u in raw.get("use", ())),
        kinds=kinds,
        hours=hours,
        min_duration_s=float(raw.get("min_duration_s", 0)),
        min_cameras=int(raw.get("min_cameras", 0)),
    )


def parse_rules(document: Any, where: str, timezone: str) -> PriorityRules:
    if not isinstance(document, dict):
        raise BadPriorityRules(f"{where}: expected a mapping with `base` and `rules`")
    base = document.get("base", {})
    if not isinstance(base, dict) or not all(isinstance(v, int) for v in base.values()):
        raise BadPriorityRules(f"{where}: `base` maps kinds to integers")
    rules = tuple(
        _rule(f"{where} rule {i + 1}", raw) for i, raw in enumerate(document.get("rules", []))
    )
    return PriorityRules({str(k): v for k, v in base.items()}, rules, ZoneInfo(timezone))


def load_rules(path: Path, timezone: str) -> PriorityRules:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadPriorityRules(f"cannot read priority rules {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise BadPriorityRules(f"{path} is not valid YAML: {exc}") from None
    return parse_rules(document, str(path), timezone)
