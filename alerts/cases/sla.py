"""SLA policies: working time allowed per stage, by priority × category × district level.

The settings file (`config/sla.yaml`) holds a `default` set of stage limits, a list of
`policies` each with a `match` (any of priority, category, level) and the stages it
sets, and the supervision thresholds. For a case, each stage takes its limit from the
most specific matching policy that sets it (more matched keys wins; on a tie, the one
written later), else from `default`. Durations are working time: `45m`, `4h`, `3d`
(a day is one working day of the configured hours).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from alerts.cases.vocabulary import Stage

CHECK_IN = "check_in"  # the whistle's 报到 deadline is set the same way as a stage's
LIMITS = (*(str(stage) for stage in Stage), CHECK_IN)
MATCH_KEYS = ("priority", "category", "level")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhd])\s*$")


class SlaFileError(ValueError):
    """The SLA file cannot be used; the message names the entry and the fix."""


@dataclass(frozen=True, slots=True)
class Policy:
    match: Mapping[str, str | int]
    limits: Mapping[str, float]

    def matches(self, priority: str, category: str, level: int) -> bool:
        wanted = {"priority": priority, "category": category, "level": level}
        return all(wanted[key] == value for key, value in self.match.items())


@dataclass(frozen=True, slots=True)
class SlaPolicies:
    default: Mapping[str, float]
    policies: tuple[Policy, ...]
    yellow_fraction: float = 0.8
    red_fraction: float = 1.0

    def limit_s(self, limit: str, *, priority: str, category: str, level: int) -> float:
        """Working seconds allowed for `limit` (a stage or check_in) on such a case."""
        ranked = sorted(
            (
                (len(p.match), index, p)
                for index, p in enumerate(self.policies)
                if p.matches(priority, category, level)
            ),
            key=lambda item: (-item[0], -item[1]),
        )
        for _, _, policy in ranked:
            if limit in policy.limits:
                return policy.limits[limit]
        return self.default[limit]


def parse_duration(text: Any, day_seconds: float, where: str) -> float:
    match = _DURATION.match(str(text))
    if match is None:
        raise SlaFileError(f"{where}: {text!r} is not a duration; write 45m, 4h or 3d")
    value, unit = float(match.group(1)), match.group(2)
    if value <= 0:
        raise SlaFileError(f"{where}: a limit must be above zero")
    return value * {"m": 60.0, "h": 3600.0, "d": day_seconds}[unit]


def _limits(entry: Any, day_seconds: float, where: str) -> dict[str, float]:
    if not isinstance(entry, dict):
        raise SlaFileError(f"{where}: expected a mapping of stage to duration")
    unknown = set(entry) - set(LIMITS)
    if unknown:
        raise SlaFileError(f"{where}: unknown stages {sorted(unknown)}; known: {list(LIMITS)}")
    return {
        key: parse_duration(value, day_seconds, f"{where}.{key}") for key, value in entry.items()
    }


def parse_sla(document: Any, day_seconds: float, origin: str = "SLA file") -> SlaPolicies:
    if not isinstance(document, dict) or "default" not in document:
        raise SlaFileError(f"{origin}: needs a `default` mapping with every stage and check_in")
    default = _limits(document["default"], day_seconds, f"{origin}: default")
    missing = [name for name in LIMITS if name not in default]
    if missing:
        raise SlaFileError(f"{origin}: default lacks {missing}")
    policies = []
    for number, entry in enumerate(document.get("policies") or [], start=1):
        where = f"{origin}: policy {number}"
        match = entry.get("match") if isinstance(entry, dict) else None
        if not isinstance(match, dict) or set(match) - set(MATCH_KEYS):
            raise SlaFileError(f"{where}: `match` must use only {list(MATCH_KEYS)}")
        policies.append(Policy(dict(match), _limits(entry.get("stages"), day_seconds, where)))
    supervision = document.get("supervision") or {}
    yellow = float(supervision.get("yellow", 0.8))
    red = float(supervision.get("red", 1.0))
    if not 0 < yellow < red <= 2:
        raise SlaFileError(
            f"{origin}: supervision needs 0 < yellow < red ≤ 2 (got {yellow}, {red})"
        )
    return SlaPolicies(default, tuple(policies), yellow, red)


def load_sla(path: Path, day_seconds: float) -> SlaPolicies:
    with path.open(encoding="utf-8") as handle:
        return parse_sla(yaml.safe_load(handle), day_seconds, str(path))
