"""Opening and routing rules (`config/case_rules.yaml`) and the pure decisions over them.

Opening: the first rule whose match fits an alert decides whether it opens a case now,
waits (it has not fired long enough yet) or never opens one. Routing: the first rule
matching (category, district subtree, camera use) names a department, directly or by
category; with none, the district's command center takes the case.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from alerts.cases.seam import AlertSnapshot, AlertStatus
from alerts.cases.sla import parse_duration

OPEN_MATCH_KEYS = frozenset({"kind", "priority", "camera_use", "district", "is_group"})
ROUTE_MATCH_KEYS = frozenset({"category", "district", "camera_use"})


class RulesFileError(ValueError):
    """The case rules file cannot be used; the message names the rule and the fix."""


def _as_set(value: Any) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset(str(v) for v in (value if isinstance(value, list) else [value]))


def in_subtree(district_path: str, ancestor_code: str) -> bool:
    """Whether the district at `district_path` (`a/b/c/`) is `ancestor_code` or below it."""
    return f"/{ancestor_code}/" in f"/{district_path}"


@dataclass(frozen=True, slots=True)
class OpeningRule:
    name: str
    opens: bool
    after_s: float = 0.0
    kinds: frozenset[str] | None = None
    priorities: frozenset[str] | None = None
    camera_uses: frozenset[str] | None = None
    district: str | None = None
    is_group: bool | None = None

    def matches(self, alert: AlertSnapshot, district_path: str) -> bool:
        return (
            (self.kinds is None or alert.kind in self.kinds)
            and (self.priorities is None or alert.priority in self.priorities)
            and (self.camera_uses is None or (alert.camera_use or "") in self.camera_uses)
            and (self.district is None or in_subtree(district_path, self.district))
            and (self.is_group is None or alert.is_group == self.is_group)
        )


@dataclass(frozen=True, slots=True)
class RoutingRule:
    categories: frozenset[str] | None
    district: str | None
    camera_uses: frozenset[str] | None
    department: str | None
    department_category: str | None

    def matches(self, category: str, district_path: str, camera_use: str | None) -> bool:
        return (
            (self.categories is None or category in self.categories)
            and (self.district is None or in_subtree(district_path, self.district))
            and (self.camera_uses is None or (camera_use or "") in self.camera_uses)
        )


@dataclass(frozen=True, slots=True)
class CaseRules:
    opening: tuple[OpeningRule, ...]
    routing: tuple[RoutingRule, ...]
    categories: Mapping[str, str]
    default_category: str = "other"
    command_center_category: str = "command_center"
    auto_dispatch: bool = True
    whistle_levels: frozenset[int] = field(default_factory=lambda: frozenset({3}))

    def category_of(self, kind: str) -> str:
        return self.categories.get(kind, self.default_category)


class Verdict(StrEnum):
    OPEN = "open"
    WAIT = "wait"
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class OpeningDecision:
    verdict: Verdict
    rule: str
    category: str
    # For WAIT: when the alert will have fired long enough to be looked at again.
    recheck_at: datetime | None = None


def decide_opening(
    rules: CaseRules, alert: AlertSnapshot, district_path: str, now: datetime
) -> OpeningDecision:
    category = rules.category_of(alert.kind)
    if alert.status is not AlertStatus.FIRING:
        return OpeningDecision(Verdict.NEVER, "alert-not-firing", category)
    for rule in rules.opening:
        if not rule.matches(alert, district_path):
            continue
        if not rule.opens:
            return OpeningDecision(Verdict.NEVER, rule.name, category)
        due = alert.fired_since + timedelta(seconds=rule.after_s)
        if now < due:
            return OpeningDecision(Verdict.WAIT, rule.name, category, due)
        return OpeningDecision(Verdict.OPEN, rule.name, category)
    return OpeningDecision(Verdict.NEVER, "no-rule-matched", category)


@dataclass(frozen=True, slots=True)
class DepartmentInfo:
    id: str
    district_code: str
    categories: frozenset[str]


@dataclass(frozen=True, slots=True)
class Route:
    department_id: str | None
    rule: str


def _nearest(
    ancestry: Sequence[str], departments: Sequence[DepartmentInfo], category: str
) -> str | None:
    """The department with `category` in the deepest district of `ancestry` (root first)."""
    for code in reversed(ancestry):
        found = sorted(
            d.id for d in departments if d.district_code == code and category in d.categories
        )
        if found:
            return found[0]
    return None


def route(
    rules: CaseRules,
    category: str,
    district_path: str,
    camera_use: str | None,
    departments: Sequence[DepartmentInfo],
) -> Route:
    """The department a case goes to; `departments` are those of the case's district and above."""
    ancestry = [code for code in district_path.split("/") if code]
    known = {d.id for d in departments}
    for number, rule in enumerate(rules.routing, start=1):
        if not rule.matches(category, district_path, camera_use):
            continue
        if rule.department is not None and rule.department in known:
            return Route(rule.department, f"routing rule {number}")
        if rule.department_category is not None:
            found = _nearest(ancestry, departments, rule.department_category)
            if found is not None:
                return Route(found, f"routing rule {number}")
    fallback = _nearest(ancestry, departments, rules.command_center_category)
    return Route(fallback, "command center" if fallback else "no department found")


def command_center_above(
    rules: CaseRules, district_path: str, departments: Sequence[DepartmentInfo]
) -> str | None:
    """Escalation target: the command center of the parent district, or the nearest above."""
    ancestry = [code for code in district_path.split("/") if code][:-1]
    return _nearest(ancestry, departments, rules.command_center_category)


def _opening_rule(entry: Any, number: int, day_seconds: float) -> OpeningRule:
    where = f"opening rule {number}"
    if not isinstance(entry, dict) or "name" not in entry:
        raise RulesFileError(f"{where}: needs a `name`")
    match = entry.get("match") or {}
    unknown = set(match) - OPEN_MATCH_KEYS
    if unknown:
        raise RulesFileError(f"{where} ({entry['name']}): unknown match keys {sorted(unknown)}")
    after = entry.get("after", "0m")
    after_s = (
        0.0 if str(after).strip() in {"0", "0m"} else parse_duration(after, day_seconds, where)
    )
    group = match.get("is_group")
    return OpeningRule(
        name=str(entry["name"]),
        opens=bool(entry.get("open", True)),
        after_s=after_s,
        kinds=_as_set(match.get("kind")),
        priorities=_as_set(match.get("priority")),
        camera_uses=_as_set(match.get("camera_use")),
        district=str(match["district"]) if "district" in match else None,
        is_group=None if group is None else bool(group),
    )


def _routing_rule(entry: Any, number: int) -> RoutingRule:
    where = f"routing rule {number}"
    match = entry.get("match") if isinstance(entry, dict) else None
    if not isinstance(match, dict) or set(match) - ROUTE_MATCH_KEYS:
        raise RulesFileError(f"{where}: `match` may use only {sorted(ROUTE_MATCH_KEYS)}")
    if ("department" in entry) == ("department_category" in entry):
        raise RulesFileError(f"{where}: give exactly one of `department`, `department_category`")
    return RoutingRule(
        categories=_as_set(match.get("category")),
        district=str(match["district"]) if "district" in match else None,
        camera_uses=_as_set(match.get("camera_use")),
        department=entry.get("department"),
        department_category=entry.get("department_category"),
    )


def parse_rules(document: Any, day_seconds: float) -> CaseRules:
    if not isinstance(document, dict):
        raise RulesFileError("case rules: expected a mapping with `opening` and `routing`")
    return CaseRules(
        opening=tuple(
            _opening_rule(e, n, day_seconds) for n, e in enumerate(document.get("opening") or [], 1)
        ),
        routing=tuple(_routing_rule(e, n) for n, e in enumerate(document.get("routing") or [], 1)),
        categories={str(k): str(v) for k, v in (document.get("categories") or {}).items()},
        default_category=str(document.get("default_category", "other")),
        command_center_category=str(document.get("command_center_category", "command_center")),
        auto_dispatch=bool(document.get("auto_dispatch", True)),
        whistle_levels=frozenset(int(v) for v in document.get("whistle_levels", [3])),
    )


def load_rules(path: Path, day_seconds: float) -> CaseRules:
    with path.open(encoding="utf-8") as handle:
        try:
            return parse_rules(yaml.safe_load(handle), day_seconds)
        except RulesFileError as exc:
            raise RulesFileError(f"{path}: {exc}") from exc
