"""Tables of the case workflow, on the registry's declarative base (one migration history).

`cases` carries what the KPIs and the supervisor scan need as plain indexed columns:
the district path (a subtree is a range), the current stage's deadline and its
yellow/red instants (`next_flag_at` is the one instant the supervisor scans for),
and the working-time durations written when a stage ends (so means are plain AVGs).
At most one open case per fingerprint is a partial unique index, not only code.
`case_events` is the append-only audit: the ORM refuses to update or delete its rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from alerts.cases.vocabulary import FINISHED
from registry.models import Base, PathString

FINISHED_SQL = ", ".join(f"'{status}'" for status in sorted(FINISHED))
OPEN_CASE_PREDICATE = f"status NOT IN ({FINISHED_SQL})"
# Carried in the KPI indexes (PostgreSQL INCLUDE) so the KPIs are index-only scans.
_FIGURES = ["closed_at", "late_stages", "follow_up_result", "sign_for_work_s", "resolve_work_s"]
_SCOPE = ["department_id", "district_path"]


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(64))
    priority: Mapped[str] = mapped_column(String(8))
    fingerprint: Mapped[str] = mapped_column(String(200))
    is_group: Mapped[bool] = mapped_column(Boolean, default=False)
    camera_fault: Mapped[bool] = mapped_column(Boolean, default=False)
    camera_id: Mapped[str | None] = mapped_column(String(64))
    camera_use: Mapped[str | None] = mapped_column(String(32))
    cameras_affected: Mapped[int] = mapped_column(Integer, default=1)
    district_code: Mapped[str] = mapped_column(String(24), ForeignKey("districts.code"))
    district_path: Mapped[str] = mapped_column(PathString)
    district_level: Mapped[int] = mapped_column(Integer)
    department_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("departments.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(20))
    opened_at: Mapped[datetime]
    opened_by: Mapped[str] = mapped_column(String(200))
    accepted_at: Mapped[datetime | None]
    signed_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    followed_up_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]
    # The running stage and its clock (all NULL once the case is finished).
    stage: Mapped[str | None] = mapped_column(String(16))
    stage_seq: Mapped[int] = mapped_column(Integer, default=0)
    stage_started_at: Mapped[datetime | None]
    clock_from: Mapped[datetime | None]
    stage_budget_s: Mapped[float | None] = mapped_column(Float)
    stage_deadline: Mapped[datetime | None]
    yellow_at: Mapped[datetime | None]
    red_at: Mapped[datetime | None]
    next_flag_at: Mapped[datetime | None]
    supervision: Mapped[str] = mapped_column(String(8), default="none")
    paused_remaining_s: Mapped[float | None] = mapped_column(Float)
    deadline_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    # Figures for the KPIs, written as stages end.
    late_stages: Mapped[int] = mapped_column(Integer, default=0)
    sign_for_work_s: Mapped[float | None] = mapped_column(Float)
    resolve_work_s: Mapped[float | None] = mapped_column(Float)
    follow_up_result: Mapped[str | None] = mapped_column(String(16))
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    yellow_count: Mapped[int] = mapped_column(Integer, default=0)
    red_count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index(
            "uq_cases_open_fingerprint",
            "fingerprint",
            unique=True,
            sqlite_where=text(OPEN_CASE_PREDICATE),
            postgresql_where=text(OPEN_CASE_PREDICATE),
        ),
        Index("ix_cases_fingerprint_closed_at", "fingerprint", "closed_at"),
        Index("ix_cases_status", "status"),
        Index("ix_cases_opened_at", "opened_at", postgresql_include=_FIGURES),
        Index("ix_cases_closed_at", "closed_at", postgresql_include=_SCOPE),
        Index(
            "ix_cases_department_id_opened_at",
            "department_id",
            "opened_at",
            postgresql_include=_FIGURES,
        ),
        Index(
            "ix_cases_district_path_opened_at",
            "district_path",
            "opened_at",
            postgresql_include=_FIGURES,
        ),
        Index("ix_cases_next_flag_at", "next_flag_at"),
        Index("ix_cases_stage_deadline", "stage_deadline", postgresql_include=_SCOPE),
        Index("ix_cases_deadline_estimated", "deadline_estimated"),
    )


class CaseEvent(Base):
    """One audit row per transition or notable act; never updated, never deleted."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(Integer, ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    rule: Mapped[str | None] = mapped_column(String(64))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    department_id: Mapped[str | None] = mapped_column(String(64))
    stage: Mapped[str | None] = mapped_column(String(16))
    stage_deadline: Mapped[datetime | None]
    deadline_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_case_events_case_id_id", "case_id", "id"),)


class AppendOnlyViolation(RuntimeError):
    """Someone tried to change or remove an audit row."""


@event.listens_for(CaseEvent, "before_update")
@event.listens_for(CaseEvent, "before_delete")
def _refuse_audit_change(_mapper: Mapper[Any], _connection: Any, target: CaseEvent) -> None:
    raise AppendOnlyViolation(f"case audit row {target.id} is append-only")


class CaseAlert(Base):
    """Alerts linked to a case: the one that opened it and every later one."""

    __tablename__ = "case_alerts"

    case_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    alert_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(200))
    linked_at: Mapped[datetime]

    __table_args__ = (Index("ix_case_alerts_alert_id", "alert_id"),)


class CaseFlag(Base):
    """A yellow or red supervision card, raised once per (case, subject, level)."""

    __tablename__ = "case_flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(Integer, ForeignKey("cases.id", ondelete="CASCADE"))
    # `stage:<stage>:<seq>` for a case stage, `summons:<id>` for a whistle check-in.
    subject: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(8))
    raised_at: Mapped[datetime]
    due_at: Mapped[datetime]
    department_id: Mapped[str | None] = mapped_column(String(64))
    escalated_to: Mapped[str | None] = mapped_column(String(64))
    # The case's district path, copied so cards per subtree need no join.
    district_path: Mapped[str] = mapped_column(PathString)

    __table_args__ = (
        UniqueConstraint("case_id", "subject", "level", name="uq_case_flags_case_subject_level"),
        Index(
            "ix_case_flags_department_id_raised_at",
            "department_id",
            "raised_at",
            postgresql_include=["level"],
        ),
        Index(
            "ix_case_flags_raised_at",
            "raised_at",
            postgresql_include=["department_id", "level", "district_path"],
        ),
    )


class CaseSummons(Base):
    """吹哨报到: one summoned department of a case, with its own check-in deadline."""

    __tablename__ = "case_summons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(Integer, ForeignKey("cases.id", ondelete="CASCADE"))
    department_id: Mapped[str] = mapped_column(String(64), ForeignKey("departments.id"))
    role: Mapped[str] = mapped_column(String(8))
    summoned_at: Mapped[datetime]
    summoned_by: Mapped[str] = mapped_column(String(200))
    deadline: Mapped[datetime]
    deadline_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    yellow_at: Mapped[datetime]
    next_flag_at: Mapped[datetime | None]
    supervision: Mapped[str] = mapped_column(String(8), default="none")
    checked_in_at: Mapped[datetime | None]
    checked_in_by: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("case_id", "department_id", name="uq_case_summons_case_department"),
        Index("ix_case_summons_next_flag_at", "next_flag_at"),
    )
