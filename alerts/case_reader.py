"""`AlertStateReader` over the alert tables: what verified closure asks of an alert.

A fingerprint has one row per occurrence; the newest (by `started_at`) speaks for it.
A new occurrence that is still held (pending) counts as firing: the fault is back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from alerts.domain import AlertStatus
from alerts.models import AlertEvent, AlertRow
from registry.db import SessionFactory


class AlertTables:
    """Reads only; one short session per question (the verifier asks once per case)."""

    def __init__(self, factory: SessionFactory) -> None:
        self.factory = factory

    def alert_resolved_since(self, fingerprint: str) -> datetime | None:
        with self.factory() as session:
            latest = session.execute(
                select(AlertRow.status, AlertRow.resolved_at)
                .where(AlertRow.fingerprint == fingerprint)
                .order_by(AlertRow.started_at.desc())
                .limit(1)
            ).first()
        if latest is None or latest.status != AlertStatus.RESOLVED:
            return None
        resolved_at: datetime | None = latest.resolved_at
        return resolved_at

    def alert_evidence(self, fingerprint: str) -> str | None:
        with self.factory() as session:
            return session.scalar(
                select(AlertEvent.evidence)
                .where(AlertEvent.fingerprint == fingerprint, AlertEvent.evidence.is_not(None))
                .order_by(AlertEvent.ts.desc())
                .limit(1)
            )
