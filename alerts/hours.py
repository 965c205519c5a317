"""Local clock windows ("22:00-06:00", weekdays) shared by priority rules, arming
schedules and recurring maintenance windows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class BadHours(ValueError):
    """A window that is not `HH:MM-HH:MM` or names days outside 0 (Monday) to 6 (Sunday)."""


@dataclass(frozen=True, slots=True)
class Hours:
    """From `start` to `end` local time (wrapping midnight when end <= start), on `days`
    (0 = Monday; empty: every day). The day is the one the window started on."""

    start: time
    end: time
    days: frozenset[int] = frozenset()

    def contains(self, at: datetime, zone: ZoneInfo) -> bool:
        local = at.astimezone(zone)
        now = local.time()
        if self.start < self.end:
            inside, day = self.start <= now < self.end, local.weekday()
        elif now >= self.start:
            inside, day = True, local.weekday()
        else:
            inside, day = now < self.end, (local.weekday() - 1) % 7
        return inside and (not self.days or day in self.days)


def parse_hours(text: str, days: list[int] | None = None) -> Hours:
    match = _HOURS.match(text)
    if match is None:
        raise BadHours(f"hours {text!r} must look like 22:00-06:00")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59:
        raise BadHours(f"hours {text!r} are not clock times")
    if any(day not in range(7) for day in days or ()):
        raise BadHours(f"days {days} must be 0 (Monday) to 6 (Sunday)")
    end = time(0, 0) if h2 == 24 else time(h2, m2)
    return Hours(time(h1, m1), end, frozenset(days or ()))
