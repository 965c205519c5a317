"""Silences and maintenance windows: matchers, a time range, an optional weekly window.

Every non-empty matcher must hold (camera, district subtree, uplink, kind, tag); within
one matcher any listed value will do. A silenced alert is stored and shown as silenced,
never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from alerts.domain import Alert
from alerts.hours import Hours, parse_hours
from alerts.topology import Topology


class BadSilence(ValueError):
    """A silence that cannot work (no matcher, ends before it starts, bad window)."""


@dataclass(frozen=True, slots=True)
class Matchers:
    cameras: frozenset[str] = frozenset()
    districts: frozenset[str] = frozenset()
    """District codes; each matches its whole subtree."""
    uplinks: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()

    def empty(self) -> bool:
        return not (self.cameras or self.districts or self.uplinks or self.kinds or self.tags)

    def to_json(self) -> dict[str, list[str]]:
        return {
            "cameras": sorted(self.cameras),
            "districts": sorted(self.districts),
            "uplinks": sorted(self.uplinks),
            "kinds": sorted(self.kinds),
            "tags": sorted(self.tags),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Matchers:
        unknown = set(raw) - {"cameras", "districts", "uplinks", "kinds", "tags"}
        if unknown:
            raise BadSilence(f"unknown matcher(s): {', '.join(sorted(unknown))}")
        return cls(**{key: frozenset(str(v) for v in values) for key, values in raw.items()})


@dataclass(frozen=True, slots=True)
class Silence:
    id: str
    matchers: Matchers
    starts_at: datetime
    ends_at: datetime
    created_by: str
    reason: str
    window: Hours | None = None
    """A recurring maintenance window inside [starts_at, ends_at)."""

    def __post_init__(self) -> None:
        if self.matchers.empty():
            raise BadSilence("a silence needs at least one matcher; it would silence everything")
        if self.ends_at <= self.starts_at:
            raise BadSilence("a silence must end after it starts")

    def active(self, at: datetime, zone: ZoneInfo) -> bool:
        if not self.starts_at <= at < self.ends_at:
            return False
        return self.window is None or self.window.contains(at, zone)

    def matches(self, alert: Alert, topology: Topology) -> bool:
        m = self.matchers
        info = topology.camera(alert.camera_id)
        if m.cameras and alert.camera_id not in m.cameras:
            return False
        if (
            m.kinds
            and str(alert.kind) not in m.kinds
            and alert.fingerprint.split(":")[0] not in (m.kinds)
        ):
            return False
        if m.uplinks and (alert.uplink or (info.uplink if info else None)) not in m.uplinks:
            return False
        if m.tags and not (info is not None and info.tags & m.tags):
            return False
        return not m.districts or any(
            topology.in_subtree(alert.district_code, code) for code in m.districts
        )


def window_from_json(raw: dict[str, Any] | None) -> Hours | None:
    if not raw:
        return None
    return parse_hours(str(raw["hours"]), raw.get("days"))


def window_to_json(window: Hours | None) -> dict[str, Any] | None:
    if window is None:
        return None
    end = (
        "24:00" if window.end.hour == 0 and window.end.minute == 0 else window.end.strftime("%H:%M")
    )
    return {"hours": f"{window.start.strftime('%H:%M')}-{end}", "days": sorted(window.days)}


def silencing(
    alert: Alert, silences: Iterable[Silence], topology: Topology, at: datetime, zone: ZoneInfo
) -> str | None:
    """The id of the first active silence matching `alert`, if any."""
    for silence in silences:
        if silence.active(at, zone) and silence.matches(alert, topology):
            return silence.id
    return None
