"""Reading and writing the alert service's rows; every function takes a session.

Writes are batched (Core statements, executemany). Two guards make several consumers
safe: an event is inserted once (primary key, `ON CONFLICT DO NOTHING`), and an
alert row is updated only if the update does not move it back in event time
(`last_ts <= :new`); a lost race raises `Conflict` and the caller reloads.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, and_, case, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from alerts.domain import Alert, AlertStatus, Kind, Scope, Severity
from alerts.fleet import Presence
from alerts.hours import BadHours
from alerts.models import AlertEvent, AlertRow, DeadLetterRow, WorkerPresenceRow, WorkerSeq
from alerts.models import Silence as SilenceRow
from alerts.silences import BadSilence, Matchers, Silence, window_from_json
from alerts.stages.group import Down
from alerts.topology import district_key, uplink_key
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


def _sql_time(value: datetime | None, sqlite_format: bool) -> Any:
    """A datetime as the driver wants it: SQLAlchemy's SQLite text format, or as is."""
    if value is None or not sqlite_format:
        return value
    return _sqlite_time(value)


@lru_cache(maxsize=65_536)
def _sqlite_time(value: datetime) -> str:
    # An alert's times repeat from write to write; formatting was a tenth of a batch.
    utc = value if value.tzinfo is UTC else value.astimezone(UTC)
    return utc.replace(tzinfo=None).isoformat(" ", "microseconds")


def _many(session: Session, sql: str, rows: list[tuple[Any, ...]]) -> int:
    """executemany straight on the driver: the hot paths skip SQLAlchemy's per-row
    parameter processing (it cost more than the database itself)."""
    if session.get_bind().dialect.name != "sqlite":
        sql = sql.replace("?", "%s")
    cursor = session.connection().connection.cursor()
    try:
        cursor.executemany(sql, rows)
        return int(cursor.rowcount)
    finally:
        cursor.close()


_EVENT_COLUMNS = ("event_id", "type", "camera_id", "district_code", "worker_id", "seq", "ts",
                  "received_at", "fingerprint", "data", "evidence")  # fmt: skip


def _insert_sql(table: str, columns: Sequence[str], tail: str = "") -> str:
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) {tail}"  # noqa: S608


_INSERT_EVENT = _insert_sql("alert_events", _EVENT_COLUMNS, "ON CONFLICT (event_id) DO NOTHING")


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert what is new; the ids actually inserted (a redelivered event is not).

    The primary key is the guarantee. PostgreSQL: one insert that skips stored ids and
    returns the ones it inserted. SQLite: the ids already stored are looked up first, and
    if another writer inserted one in between, the insert count falls short and
    `Conflict` sends us round again.
    """
    if not rows:
        return set()
    sqlite_format = session.get_bind().dialect.name == "sqlite"
    if not sqlite_format:
        return _insert_events_returning(session, rows)
    ids = [row["event_id"] for row in rows]
    known = set(session.scalars(select(EVENTS.c.event_id).where(EVENTS.c.event_id.in_(ids))))
    fresh: dict[str, tuple[Any, ...]] = {}
    for row in rows:
        if row["event_id"] in known or row["event_id"] in fresh:
            continue
        fresh[row["event_id"]] = tuple(
            _sql_time(row[name], sqlite_format) if name in ("ts", "received_at")
            else json.dumps(row[name], ensure_ascii=False) if name == "data"
            else row[name]
            for name in _EVENT_COLUMNS
        )  # fmt: skip
    if fresh:
        inserted = _many(session, _INSERT_EVENT, list(fresh.values()))
        if inserted != len(fresh):
            raise Conflict(f"{len(fresh) - inserted} events were stored by another consumer")
    return set(fresh)


# PostgreSQL: one statement for the whole batch, arrays unnested into rows; RETURNING
# names what this transaction inserted, so no lookup of the known ids first (a
# concurrent consumer's insert of the same id waits for it and then skips: that one
# runs the pipeline on it). Measured: the lookup was an eighth of the consumer's time.
_INSERT_EVENTS_UNNEST = (
    f"INSERT INTO alert_events ({', '.join(_EVENT_COLUMNS)}) "  # noqa: S608 - fixed names
    "SELECT * FROM unnest(%s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], "
    "%s::varchar[], %s::bigint[], %s::timestamptz[], %s::timestamptz[], %s::varchar[], "
    "%s::json[], %s::text[]) ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
)


def _insert_events_returning(session: Session, rows: Sequence[dict[str, Any]]) -> set[str]:
    fresh = {row["event_id"]: row for row in rows}  # a batch may hold a redelivery twice
    columns: list[list[Any]] = [
        [
            json.dumps(row[name], ensure_ascii=False) if name == "data" else row[name]
            for row in fresh.values()
        ]
        for name in _EVENT_COLUMNS
    ]
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(_INSERT_EVENTS_UNNEST, columns)
        return {str(found[0]) for found in cursor.fetchall()}
    finally:
        cursor.close()


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


_ALERT_COLUMNS = tuple(column.name for column in ALERTS.columns if column.name in (
    "id", "fingerprint", "kind", "scope", "subject", "code", "district_code", "camera_id",
    "previous_id", "started_at", "revision", *_PIPELINE_COLUMNS))  # fmt: skip
_TIMES = frozenset({"started_at", "last_seen_at", "last_ts", "resolved_at", "clear_since",
                    "visible_at", "updated_at"})  # fmt: skip
_INSERT_ALERT = _insert_sql("alerts", _ALERT_COLUMNS)
_ASSIGNMENTS = ", ".join(f"{name} = ?" for name in _PIPELINE_COLUMNS)
_UPDATE_ALERT = f"UPDATE alerts SET {_ASSIGNMENTS} WHERE id = ? AND last_ts <= ?"  # noqa: S608


def _values(row: dict[str, Any], names: Sequence[str], sqlite_format: bool) -> list[Any]:
    return [
        _sql_time(row[name], sqlite_format) if name in _TIMES
        else json.dumps(row[name]) if name == "changes"
        else row[name]
        for name in names
    ]  # fmt: skip


def write_alerts(
    session: Session, created: Sequence[Alert], updated: Sequence[Alert], now: datetime
) -> None:
    """Update changed occurrences, then insert new ones; `Conflict` if another writer was
    ahead. Updates first: a batch can resolve an open occurrence and open its fingerprint
    again, and the open-fingerprint index must see the resolution before the new one."""
    sqlite_format = session.get_bind().dialect.name == "sqlite"
    if updated:
        rows = []
        for alert in updated:
            row = _row(alert, now)
            values = _values(row, _PIPELINE_COLUMNS, sqlite_format)
            values += [alert.id, _sql_time(alert.last_ts, sqlite_format)]
            rows.append(tuple(values))
        done = _many(session, _UPDATE_ALERT, rows)
        if done != len(rows):
            raise Conflict(
                f"{len(rows) - done} of {len(rows)} alert updates lost to another writer"
            )
    if created:
        rows = [tuple(_values(_row(a, now), _ALERT_COLUMNS, sqlite_format)) for a in created]
        try:
            _many(session, _INSERT_ALERT, rows)
        except Exception as exc:  # a unique index: another consumer opened it first
            if "unique" in str(exc).lower() or "duplicate" in str(exc).lower():
                raise Conflict(f"an alert was opened by another consumer: {exc}") from exc
            raise


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


def load_open(
    session: Session, fingerprints: Iterable[str] = (), *, groups: bool = False
) -> list[Alert]:
    """Open alerts of these fingerprints (or every open group alert): what another
    consumer on the shared subscription may have opened or moved."""
    where = (
        AlertRow.kind == str(Kind.GROUP_OFFLINE)
        if groups
        else AlertRow.fingerprint.in_(list(fingerprints))
    )
    rows = session.scalars(select(AlertRow).where(AlertRow.status != "resolved", where))
    return [alert_from_row(row) for row in rows]


def group_tallies(session: Session, recent_from: datetime) -> dict[str, Down]:
    """Open camera offline alerts per township and per uplink, over every consumer."""
    recent = func.sum(case((AlertRow.started_at >= recent_from, 1), else_=0))
    open_offline = (
        AlertRow.kind == str(Kind.OFFLINE),
        AlertRow.scope == str(Scope.CAMERA),
        AlertRow.status != "resolved",
    )
    tallies: dict[str, Down] = {}
    for code, count, fresh in session.execute(
        select(AlertRow.group_district, func.count(), recent)
        .where(*open_offline, AlertRow.group_district.is_not(None))
        .group_by(AlertRow.group_district)
    ):
        tallies[district_key(code)] = Down(int(count), int(fresh or 0))
    for uplink, count, fresh, district in session.execute(
        select(AlertRow.uplink, func.count(), recent, func.min(AlertRow.group_district))
        .where(*open_offline, AlertRow.uplink.is_not(None))
        .group_by(AlertRow.uplink)
    ):
        tallies[uplink_key(uplink)] = Down(int(count), int(fresh or 0), district)
    return tallies


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


def save_presence(session: Session, worker_id: str, online: bool, now: datetime) -> None:
    """Upsert a worker's presence; `since` moves only when the presence changes."""
    table: Table = WorkerPresenceRow.__table__  # type: ignore[assignment]
    statement = _insert(session, table).values(worker_id=worker_id, online=online, since=now)
    statement = statement.on_conflict_do_update(
        index_elements=["worker_id"],
        set_={
            "since": case(
                (table.c.online != statement.excluded.online, statement.excluded.since),
                else_=table.c.since,
            ),
            "online": statement.excluded.online,
        },
    )
    session.execute(statement)


def load_presences(session: Session) -> dict[str, Presence]:
    rows = session.execute(
        select(WorkerPresenceRow.worker_id, WorkerPresenceRow.online, WorkerPresenceRow.since)
    ).tuples()
    return {worker: Presence(online, since) for worker, online, since in rows}


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
