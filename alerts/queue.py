"""What the console lists: the operator's queue for a district subtree, a group's
members, an alert's history. Read-only queries taking a session."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from alerts.models import AlertEvent, AlertRow, AuditRow
from registry.tree import district_path, subtree_codes


def queue(
    session: Session, now: datetime, district_code: str | None = None, limit: int = 200
) -> Sequence[AlertRow]:
    """Firing, neither inhibited nor silenced, not under a live acknowledgement; most
    urgent first, then newest."""
    statement = select(AlertRow).where(
        AlertRow.status == "firing",
        AlertRow.inhibited_by.is_(None),
        AlertRow.silenced_by.is_(None),
        or_(AlertRow.acked_until.is_(None), AlertRow.acked_until <= now),
    )
    if district_code is not None:
        path = district_path(session, district_code)
        if path is None:
            raise LookupError(f"no district {district_code!r}")
        statement = statement.where(AlertRow.district_code.in_(subtree_codes(path)))
    statement = statement.order_by(AlertRow.priority.desc(), AlertRow.started_at.desc())
    return session.scalars(statement.limit(limit)).all()


def members(session: Session, group_id: str, limit: int = 10_000) -> Sequence[AlertRow]:
    """The alerts a group alert inhibits (cameras, and uplink groups under a district)."""
    return session.scalars(
        select(AlertRow).where(AlertRow.inhibited_by == group_id).order_by(AlertRow.started_at)
        .limit(limit)
    ).all()  # fmt: skip


def audit(session: Session, alert_id: str) -> Sequence[AuditRow]:
    return session.scalars(
        select(AuditRow).where(AuditRow.alert_id == alert_id).order_by(AuditRow.at, AuditRow.id)
    ).all()


def events(session: Session, alert: AlertRow, limit: int = 1000) -> Sequence[AlertEvent]:
    """The events of the alert's fingerprint during its occurrence."""
    window = [AlertEvent.fingerprint == alert.fingerprint, AlertEvent.ts >= alert.started_at]
    if alert.resolved_at is not None:
        window.append(AlertEvent.ts <= alert.resolved_at)
    return session.scalars(
        select(AlertEvent).where(and_(*window)).order_by(AlertEvent.ts).limit(limit)
    ).all()
