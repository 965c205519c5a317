"""Reading and writing the alert service's rows; every function takes a session.

Writes are batched (Core statements, executemany). Two guards make several consumers
safe: an event is inserted once (primary key, `ON CONFLICT DO NOTHING`), and an
alert row is updated only if the update does not move it back in event time
(`last_ts <= :new`); a lost race raises `Conflict` and the caller reloads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from alerts.domain import Alert, AlertStatus, Kind, Scope, Severity
from alerts.hours import BadHours
from alerts.models import AlertEvent, AlertRow, DeadLetterRow, WorkerSeq
from alerts.models import Silence as SilenceRow
from alerts.silences import BadSilence, Matchers, Silence, window_from_json
from bus.events import Event
from bus.subscriber import DeadLetter

EVENTS: Table = AlertEvent.__table__  # type: ignore[assignment]
ALERTS: Table = AlertRow.__table__  # type: ignore[assignment]
_PIPELINE_COLUMNS = (
    "status", "last_seen_at", "last_ts", "resolved_at", "count", "flapping", "changes",
    "clear_since", "visible_at", "inhibited_by", "silenced_by", "priority", "severity",
    "summary", "members", "total", "group_district", "uplink", "updated_at",
)  # fmt: skip


class Conflict(RuntimeError):
    """Another consumer moved an alert further than this one knew; reload and retry."""


def _insert(session: Session, table: Table) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def event_row(event: Event, fingerprint: str | None, now: datetime) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "type": str(event.type),
        "camera_id": event.camera_id,
        "district_code": event.district_code,
        "worker_id": event.worker_id,
        "seq": event.seq,
        "ts": event.ts,
        "received_at": now,
        "fingerprint": fingerprint,
        "data": event.data,
        "evidence": event.evidence,
    }


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert what is new; the ids actually inserted (a redelivered event is not)."""
    if not rows:
        return set()
    statement = (
        _insert(session, EVENTS)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(EVENTS.c.event_id)
    )
    return set(session.scalars(statement, list(rows)).all())


def _row(alert: Alert, now: datetime) -> dict[str, Any]:
    return {
        "id": alert.id,
        "fingerprint": alert.fingerprint,
        "kind": str(alert.kind),
        "scope": str(alert.scope),
        "subject": alert.subject,
        "code": alert.code,
        "district_code": alert.district_code,
        "camera_id": alert.camera_id,
        "group_district": alert.group_district,
        "uplink": alert.uplink,
        "status": str(alert.status),
        "started_at": alert.started_at,
        "last_seen_at": alert.last_seen_at,
        "last_ts": alert.last_ts,
        "resolved_at": alert.resolved_at,
        "count": alert.count,
        "flapping": alert.flapping,
        "changes": [change.isoformat() for change in alert.changes],
        "clear_since": alert.clear_since,
        "visible_at": alert.visible_at,
        "inhibited_by": alert.inhibited_by,
        "silenced_by": alert.silenced_by,
        "priority": alert.priority,
        "severity": str(alert.severity),
        "summary": alert.summary[:500],
        "members": alert.members,
        "total": alert.total,
        "previous_id": alert.previous_id,
        "revision": alert.revision,
        "updated_at": now,
    }


def write_alerts(
    session: Session, created: Sequence[Alert], updated: Sequence[Alert], now: datetime
) -> None:
    """Insert new occurrences, update changed ones; `Conflict` if another writer was ahead."""
    if created:
        session.execute(ALERTS.insert(), [_row(alert, now) for alert in created])
    if not updated:
        return
    statement = (
        update(ALERTS)
        .where(ALERTS.c.id == bindparam("b_id"), ALERTS.c.last_ts <= bindparam("b_last_ts"))
        .values({name: bindparam(f"b_{name}") for name in _PIPELINE_COLUMNS})
    )
    rows = []
    for alert in updated:
        row = _row(alert, now)
        rows.append({f"b_{name}": row[name] for name in ("id", *_PIPELINE_COLUMNS)})
    done = session.connection().execute(statement, rows).rowcount
    if done != len(rows):
        raise Conflict(f"{len(rows) - done} of {len(rows)} alert updates lost to another writer")


def alert_from_row(row: AlertRow) -> Alert:
    return Alert(
        id=row.id,
        fingerprint=row.fingerprint,
        kind=Kind(row.kind),
        scope=Scope(row.scope),
        subject=row.subject,
        district_code=row.district_code,
        status=AlertStatus(row.status),
        started_at=row.started_at,
        last_seen_at=row.last_seen_at,
        last_ts=row.last_ts,
        camera_id=row.camera_id,
        code=row.code,
        group_district=row.group_district,
        uplink=row.uplink,
        resolved_at=row.resolved_at,
        count=row.count,
        flapping=row.flapping,
        changes=tuple(datetime.fromisoformat(change) for change in row.changes),
        clear_since=row.clear_since,
        visible_at=row.visible_at,
        inhibited_by=row.inhibited_by,
        silenced_by=row.silenced_by,
        priority=row.priority,
        severity=Severity(row.severity),
        summary=row.summary,
        members=row.members,
        total=row.total,
        previous_id=row.previous_id,
        revision=row.revision,
    )


def load_alerts(session: Session, now: datetime, recent: timedelta) -> list[Alert]:
    """Open alerts and those resolved within `recent` (for recurrence links and event
    order), oldest first so the latest occurrence per fingerprint wins."""
    rows = session.scalars(
        select(AlertRow)
        .where(or_(AlertRow.status != "resolved", AlertRow.resolved_at >= now - recent))
        .order_by(AlertRow.started_at)
    )
    return [alert_from_row(row) for row in rows]


def save_worker_seqs(session: Session, highest: dict[str, int], now: datetime) -> None:
    if not highest:
        return
    table: Table = WorkerSeq.__table__  # type: ignore[assignment]
    statement = _insert(session, table)
    statement = statement.on_conflict_do_update(
        index_elements=["worker_id"],
        set_={
            "last_seq": func.max(table.c.last_seq, statement.excluded.last_seq)
            if session.get_bind().dialect.name == "sqlite"
            else func.greatest(table.c.last_seq, statement.excluded.last_seq),
            "updated_at": statement.excluded.updated_at,
        },
    )
    session.execute(
        statement,
        [{"worker_id": w, "last_seq": s, "updated_at": now} for w, s in sorted(highest.items())],
    )


def load_worker_seqs(session: Session) -> dict[str, int]:
    return dict(session.execute(select(WorkerSeq.worker_id, WorkerSeq.last_seq)).tuples().all())


def seqs_present(session: Session, worker_id: str, first: int, last: int) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                and_(AlertEvent.worker_id == worker_id, AlertEvent.seq.between(first, last))
            )
        )
        or 0
    )


def save_dead_letters(session: Session, letters: Iterable[DeadLetter]) -> None:
    rows = [
        {
            "topic": letter.topic,
            "payload": letter.payload,
            "reason": letter.reason,
            "detail": letter.detail,
            "received_at": letter.received_at,
            "truncated": letter.truncated,
        }
        for letter in letters
    ]
    if rows:
        table: Table = DeadLetterRow.__table__  # type: ignore[assignment]
        session.execute(table.insert(), rows)


def silence_from_row(row: SilenceRow) -> Silence:
    try:
        return Silence(
            id=row.id,
            matchers=Matchers.from_json(row.matchers),
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            created_by=row.created_by,
            reason=row.reason,
            window=window_from_json(row.window),
        )
    except (BadHours, KeyError) as exc:
        raise BadSilence(f"silence {row.id}: {exc}") from None


def load_silences(session: Session, now: datetime) -> tuple[Silence, ...]:
    """Silences not cancelled and not over; those that start later are kept for their start."""
    rows = session.scalars(
        select(SilenceRow)
        .where(SilenceRow.cancelled_at.is_(None), SilenceRow.ends_at > now)
        .order_by(SilenceRow.starts_at, SilenceRow.id)
    )
    return tuple(silence_from_row(row) for row in rows)
