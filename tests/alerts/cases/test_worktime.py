"""Working-time deadlines on real 2026 dates, and a crossing into 2027 (not in the library)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from alerts.cases.calendar import (
    BusinessCalendar,
    CalendarFileError,
    DaySource,
    parse_calendar,
)
from alerts.cases.worktime import add_working_time, parse_hours, working_seconds_between

CST = ZoneInfo("Asia/Shanghai")
HOURS = parse_hours("08:30-12:00,13:30-17:30", "Asia/Shanghai")
H = 3600.0


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CST).astimezone(UTC)


def test_working_day_is_seven_and_a_half_hours() -> None:
    assert HOURS.day_seconds == 7.5 * H


def test_lunch_break_is_not_working_time() -> None:
    deadline = add_working_time(BusinessCalendar(), HOURS, at(2026, 11, 26, 11, 30), H)
    assert deadline.at == at(2026, 11, 26, 14, 0)
    assert not deadline.estimated


def test_weekend_is_skipped() -> None:
    deadline = add_working_time(BusinessCalendar(), HOURS, at(2026, 11, 27, 17, 0), H)
    assert deadline.at == at(2026, 11, 30, 9, 0)


def test_national_day_2026_is_skipped() -> None:
    # 1.5 h left on Wed 30 Sep, then 1–7 Oct off, so 2.5 h on Thu 8 Oct.
    deadline = add_working_time(BusinessCalendar(), HOURS, at(2026, 9, 30, 16, 0), 4 * H)
    assert deadline.at == at(2026, 10, 8, 11, 0)


def test_adjusted_working_saturday_after_national_day_counts() -> None:
    calendar = BusinessCalendar()
    assert calendar.is_workday(date(2026, 10, 10))  # Saturday, 调休
    assert calendar.is_workday(date(2026, 9, 20))  # Sunday, 调休
    deadline = add_working_time(calendar, HOURS, at(2026, 10, 9, 17, 0), H)
    assert deadline.at == at(2026, 10, 10, 9, 0)


def test_adjusted_working_sunday_before_mid_autumn() -> None:
    deadline = add_working_time(BusinessCalendar(), HOURS, at(2026, 9, 18, 17, 30), 2 * H)
    assert deadline.at == at(2026, 9, 20, 10, 30)


def test_zero_and_window_edges() -> None:
    calendar = BusinessCalendar()
    start = at(2026, 11, 26, 20, 0)
    assert add_working_time(calendar, HOURS, start, 0).at == start
    # Ending exactly at the end of a window stays there.
    assert add_working_time(calendar, HOURS, at(2026, 11, 26, 11, 0), H).at == at(
        2026, 11, 26, 12, 0
    )


def test_fifteen_working_days_into_2027_use_the_estimate() -> None:
    calendar = BusinessCalendar()
    assert calendar.source(date(2027, 1, 4)) is DaySource.ESTIMATE
    assert not calendar.is_workday(date(2027, 1, 1))  # statutory New Year from `holidays`
    assert not calendar.is_workday(date(2027, 2, 8))  # Spring Festival
    deadline = add_working_time(calendar, HOURS, at(2026, 12, 21, 10, 0), 15 * HOURS.day_seconds)
    # Dec 22–25, 28–31 (8), Jan 4–8 (13), Jan 11, 12 (15).
    assert deadline.at == at(2027, 1, 12, 10, 0)
    assert deadline.estimated


def test_calendar_file_overrides_library_and_estimate() -> None:
    years = parse_calendar(
        {
            "years": {
                2026: {"holidays": [date(2026, 12, 31)]},
                2027: {
                    "holidays": [date(2027, 1, 1), date(2027, 1, 4)],
                    "workdays": [date(2027, 1, 9)],
                },
            }
        }
    )
    calendar = BusinessCalendar(years)
    assert not calendar.is_workday(date(2026, 12, 31))
    assert calendar.is_workday(date(2027, 1, 9))
    assert calendar.source(date(2027, 6, 1)) is DaySource.FILE
    # A 2026 date the file does not list still follows the file's year (the file owns 2026).
    assert calendar.is_workday(date(2026, 10, 1))
    deadline = add_working_time(calendar, HOURS, at(2026, 12, 21, 10, 0), 15 * HOURS.day_seconds)
    # Dec 22–25, 28–30 (7), Jan 5–9 (12, Sat 9th worked), Jan 11–13 (15).
    assert deadline.at == at(2027, 1, 13, 10, 0)
    assert not deadline.estimated


def test_library_years_are_official() -> None:
    calendar = BusinessCalendar()
    assert calendar.source(date(2026, 5, 1)) is DaySource.LIBRARY
    assert not calendar.is_workday(date(2026, 5, 5))


def test_working_seconds_between() -> None:
    calendar = BusinessCalendar()
    span = working_seconds_between(calendar, HOURS, at(2026, 9, 30, 16, 0), at(2026, 10, 8, 11, 0))
    assert span.seconds == 4 * H
    assert not span.estimated
    assert (
        working_seconds_between(calendar, HOURS, at(2026, 9, 30, 16, 0), at(2026, 9, 30, 9)).seconds
        == 0
    )
    assert working_seconds_between(
        calendar, HOURS, at(2026, 12, 31, 9, 0), at(2027, 1, 4, 9)
    ).estimated


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"years": {2027: {"holidays": [date(2026, 1, 1)]}}}, "of another year"),
        (
            {"years": {2027: {"holidays": [date(2027, 1, 1)], "workdays": [date(2027, 1, 1)]}}},
            "both a holiday and a workday",
        ),
        ({"years": {2027: {"holidays": ["soon"]}}}, "YYYY-MM-DD"),
        ({"years": {2027: {"off": []}}}, "unknown keys"),
    ],
)
def test_bad_calendar_file_is_refused_clearly(document: object, message: str) -> None:
    with pytest.raises(CalendarFileError, match=message):
        parse_calendar(document)


def test_bad_working_hours_are_refused() -> None:
    with pytest.raises(ValueError, match="not overlap"):
        parse_hours("08:30-12:00,11:30-17:30", "Asia/Shanghai")
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        parse_hours("morning", "Asia/Shanghai")
