"""The business calendar: which dates are working days, and how sure we are.

Three sources, first match by year wins:
1. the calendar file the deployment maintains (`config/calendar.yaml`): per year, the
   official holidays and the adjusted working days (调休) that move weekends;
2. `chinese-calendar` (official data for 2004–2026; it raises for later years);
3. an estimate for a year nobody has published yet: weekends plus the statutory
   holidays the `holidays` package computes, with no 调休 Saturdays. Every date from
   an estimated year is reported as such so deadlines that use it are marked, and
   recomputed once the file gains the year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import chinese_calendar
import holidays
import yaml


class DaySource(StrEnum):
    FILE = "file"
    LIBRARY = "library"
    ESTIMATE = "estimate"


@dataclass(frozen=True, slots=True)
class YearDays:
    """A year's exceptions to Monday–Friday: days off on weekdays, working weekend days."""

    holidays: frozenset[date]
    workdays: frozenset[date]
    source: DaySource


class CalendarFileError(ValueError):
    """The calendar file cannot be used; the message names the entry and the fix."""


def _library_year(year: int) -> YearDays | None:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return None
    return YearDays(
        frozenset(d for d in chinese_calendar.holidays if d.year == year),
        frozenset(d for d in chinese_calendar.workdays if d.year == year),
        DaySource.LIBRARY,
    )


def _estimated_year(year: int) -> YearDays:
    statutory = holidays.country_holidays("CN", years=year)
    return YearDays(frozenset(statutory), frozenset(), DaySource.ESTIMATE)


class BusinessCalendar:
    """Answers `is_workday(date)` from the file, the library, or an estimate (see module doc)."""

    def __init__(self, file_years: Mapping[int, YearDays] | None = None) -> None:
        self._years: dict[int, YearDays] = dict(file_years or {})

    def year(self, year: int) -> YearDays:
        known = self._years.get(year)
        if known is None:
            known = _library_year(year) or _estimated_year(year)
            self._years[year] = known
        return known

    def is_workday(self, day: date) -> bool:
        year = self.year(day.year)
        if day in year.workdays:
            return True
        return day.weekday() < 5 and day not in year.holidays

    def source(self, day: date) -> DaySource:
        return self.year(day.year).source

    def is_estimated(self, day: date) -> bool:
        return self.source(day) is DaySource.ESTIMATE


def _dates(value: Any, where: str) -> frozenset[date]:
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(v, date) for v in value):
        raise CalendarFileError(f"{where} must be a list of dates written YYYY-MM-DD")
    return frozenset(value)


def parse_calendar(document: Any, origin: str = "calendar file") -> dict[int, YearDays]:
    """Years of a calendar document: `{years: {2027: {holidays: [...], workdays: [...]}}}`."""
    if document is None:
        return {}
    years = document.get("years") if isinstance(document, dict) else None
    if years is None:
        return {}
    if not isinstance(years, dict):
        raise CalendarFileError(f"{origin}: `years` must map a year to its holidays and workdays")
    parsed: dict[int, YearDays] = {}
    for key, entry in years.items():
        if not isinstance(key, int) or not isinstance(entry, dict):
            raise CalendarFileError(f"{origin}: year {key!r} must be a number mapping to lists")
        unknown = set(entry) - {"holidays", "workdays"}
        if unknown:
            raise CalendarFileError(
                f"{origin}: year {key} has unknown keys {sorted(unknown)}; "
                "use `holidays` (days off) and `workdays` (adjusted working days)"
            )
        off = _dates(entry.get("holidays"), f"{origin}: {key}.holidays")
        on = _dates(entry.get("workdays"), f"{origin}: {key}.workdays")
        stray = sorted(d for d in off | on if d.year != key)
        if stray:
            raise CalendarFileError(f"{origin}: year {key} lists {stray[0]} of another year")
        both = sorted(off & on)
        if both:
            raise CalendarFileError(f"{origin}: {both[0]} is both a holiday and a workday")
        parsed[key] = YearDays(off, on, DaySource.FILE)
    return parsed


def load_calendar(path: Path | None) -> BusinessCalendar:
    """The calendar with the deployment's file over the library; no file: library + estimate."""
    if path is None or not path.exists():
        return BusinessCalendar()
    with path.open(encoding="utf-8") as handle:
        try:
            document = yaml.safe_load(handle)
        except yaml.YAMLError as exc:
            raise CalendarFileError(f"{path}: not valid YAML ({exc})") from exc
    return BusinessCalendar(parse_calendar(document, str(path)))
