"""Working-time arithmetic over a business calendar and a daily working-hours window.

Pure: deadlines and durations are functions of (calendar, hours, instants). Instants
are aware UTC datetimes; the window is read in the command center's time zone
(Asia/Shanghai by default, no daylight saving). A working day is the sum of the
window's spans (08:30–12:00 and 13:30–17:30: 7.5 h), so "3d" in an SLA is three
such days of working time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from alerts.cases.calendar import BusinessCalendar

MAX_DAYS = 3 * 366  # a calendar with no working day must fail, not loop


@dataclass(frozen=True, slots=True)
class WorkingHours:
    zone: ZoneInfo
    windows: tuple[tuple[time, time], ...]

    @property
    def day_seconds(self) -> float:
        return sum(_seconds(end) - _seconds(start) for start, end in self.windows)

    def spans(self, day: date) -> list[tuple[datetime, datetime]]:
        return [
            (datetime.combine(day, start, self.zone), datetime.combine(day, end, self.zone))
            for start, end in self.windows
        ]


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_hours(text: str, zone: str) -> WorkingHours:
    """`08:30-12:00,13:30-17:30` in `zone`; windows must be ordered and not overlap."""
    windows: list[tuple[time, time]] = []
    for part in text.split(","):
        match = _WINDOW.match(part)
        if match is None:
            raise ValueError(f"working hours {part!r}: write HH:MM-HH:MM, windows separated by ,")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = time(h1, m1), time(h2, m2)
        if end <= start or (windows and start < windows[-1][1]):
            raise ValueError(f"working hours {text!r}: windows must be ordered and not overlap")
        windows.append((start, end))
    return WorkingHours(ZoneInfo(zone), tuple(windows))


@dataclass(frozen=True, slots=True)
class Deadline:
    at: datetime
    estimated: bool


def add_working_time(
    calendar: BusinessCalendar, hours: WorkingHours, start: datetime, seconds: float
) -> Deadline:
    """The instant `seconds` of working time after `start`; `estimated` if any day counted
    comes from an estimated year."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if seconds <= 0:
        return Deadline(start.astimezone(UTC), False)
    local = start.astimezone(hours.zone)
    day = local.date()
    remaining = seconds
    estimated = False
    for _ in range(MAX_DAYS):
        if calendar.is_workday(day):
            estimated = estimated or calendar.is_estimated(day)
            for span_start, span_end in hours.spans(day):
                if local >= span_end:
                    continue
                begin = max(local, span_start)
                available = (span_end - begin).total_seconds()
                if remaining <= available:
                    return Deadline(
                        (begin + timedelta(seconds=remaining)).astimezone(UTC), estimated
                    )
                remaining -= available
        day += timedelta(days=1)
    raise ValueError(f"no working time within {MAX_DAYS} days of {start}: check the calendar")


@dataclass(frozen=True, slots=True)
class WorkSpan:
    seconds: float
    estimated: bool


def working_seconds_between(
    calendar: BusinessCalendar, hours: WorkingHours, start: datetime, end: datetime
) -> WorkSpan:
    """Working time inside [start, end) (0 when end is not after start)."""
    if end <= start:
        return WorkSpan(0.0, False)
    first = start.astimezone(hours.zone).date()
    last = end.astimezone(hours.zone).date()
    total = 0.0
    estimated = False
    day = first
    while day <= last:
        if calendar.is_workday(day):
            estimated = estimated or calendar.is_estimated(day)
            for span_start, span_end in hours.spans(day):
                overlap = (min(end, span_end) - max(start, span_start)).total_seconds()
                total += max(overlap, 0.0)
        day += timedelta(days=1)
    return WorkSpan(total, estimated)
