"""Everything the case workflow decides with, loaded once from the settings and files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alerts.cases.calendar import BusinessCalendar, load_calendar
from alerts.cases.rules import CaseRules, load_rules
from alerts.cases.sla import SlaPolicies, load_sla
from alerts.cases.worktime import (
    Deadline,
    WorkingHours,
    WorkSpan,
    add_working_time,
    parse_hours,
    working_seconds_between,
)
from config.settings import Settings


@dataclass(frozen=True, slots=True)
class StageClock:
    budget_s: float
    deadline: datetime
    yellow_at: datetime
    red_at: datetime
    estimated: bool


@dataclass(frozen=True, slots=True)
class Workflow:
    rules: CaseRules
    sla: SlaPolicies
    calendar: BusinessCalendar
    hours: WorkingHours
    verify_s: float = 1800.0
    verify_grace_s: float = 600.0
    recurrence_days: int = 7

    def after(self, start: datetime, seconds: float) -> Deadline:
        return add_working_time(self.calendar, self.hours, start, seconds)

    def between(self, start: datetime, end: datetime) -> WorkSpan:
        return working_seconds_between(self.calendar, self.hours, start, end)

    def clock(self, start: datetime, budget_s: float) -> StageClock:
        """Deadline and yellow/red instants of `budget_s` working seconds counted from `start`."""
        deadline = self.after(start, budget_s)
        yellow = self.after(start, budget_s * self.sla.yellow_fraction)
        red = self.after(start, budget_s * self.sla.red_fraction)
        return StageClock(
            budget_s,
            deadline.at,
            yellow.at,
            red.at,
            deadline.estimated or yellow.estimated or red.estimated,
        )


def load_workflow(settings: Settings, calendar: BusinessCalendar | None = None) -> Workflow:
    hours = parse_hours(settings.case_work_hours, settings.command_center_tz)
    return Workflow(
        rules=load_rules(settings.case_rules_file, hours.day_seconds),
        sla=load_sla(settings.case_sla_file, hours.day_seconds),
        calendar=calendar or load_calendar(settings.case_calendar_file),
        hours=hours,
        verify_s=settings.case_verify_minutes * 60,
        verify_grace_s=settings.case_verify_grace_minutes * 60,
        recurrence_days=settings.case_recurrence_days,
    )
