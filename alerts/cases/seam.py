"""The seam to the alert service, which this package never imports.

The alert service hands case opening an `AlertSnapshot` (what the rules need to know
of one alert) and implements `AlertStateReader` over its tables for verified closure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class AlertSnapshot:
    alert_id: str
    fingerprint: str
    kind: str
    priority: str
    status: AlertStatus
    fired_since: datetime
    district_code: str
    camera_id: str | None
    camera_use: str | None
    is_group: bool = False
    cameras_affected: int = 1
    # A member inhibited by a grouped alert names the group: it joins the group's case.
    group_fingerprint: str | None = None

    @property
    def case_key(self) -> str:
        """The fingerprint a case is held by: the group's for a member, else its own."""
        return self.group_fingerprint or self.fingerprint


class AlertStateReader(Protocol):
    """What verified closure needs to know of an alert (the lead implements it over alerts)."""

    def alert_resolved_since(self, fingerprint: str) -> datetime | None:
        """When the alert last became resolved, or None while it is firing (or unknown)."""
        ...

    def alert_evidence(self, fingerprint: str) -> str | None:
        """A reference to the latest evidence (snapshot) of the alert, if any."""
        ...
