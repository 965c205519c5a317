"""The disk spool: every message not yet acknowledged by the broker (PUBACK), in SQLite.

Rules, in the order they matter:

- A message is appended (and committed) before it is handed to the MQTT client, and
  deleted only when the broker acknowledged it. A broker outage or a process restart
  therefore loses nothing: the rows are still here and are sent again (at least once).
- Rows are dispatched in `id` order; events are appended in `seq` order under one lock,
  so replay follows `seq`.
- The worker's event counter (`seq`) lives in the same file and is committed in the same
  transaction as the rows it numbered, so a restart continues the sequence.
- Group commit: appends go into an open transaction that is committed every
  `commit_every` appends or when `commit()` is called (the publisher calls it before
  every dispatch). One fsync covers a whole batch instead of one per event. `next_batch`
  returns committed rows only, so nothing reaches the broker that a crash could forget
  (and a crash can cost only events that nobody has seen, whose seq numbers are reused).
- Bounded: at `max_messages` pending rows an event append raises `SpoolFull` (counted in
  `refused`); the caller decides what to do, nothing is dropped silently. Status messages
  are latest-wins per camera: a newer status replaces an undispatched older one of the
  same camera, and when the spool is full the oldest undispatched status is dropped
  (counted in `status_dropped`) to make room, since a later status supersedes it anyway.
- One process per file: the database is opened in exclusive locking mode, so a second
  worker pointed at the same spool fails at once instead of interleaving sequences.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

SCHEMA_VERSION = 1
Synchronous = Literal["FULL", "NORMAL"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spool (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    retain INTEGER NOT NULL,
    seq INTEGER,
    status_key TEXT
);
CREATE INDEX IF NOT EXISTS spool_status_key ON spool (status_key) WHERE status_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class SpoolFull(RuntimeError):
    """The spool holds `max_messages` unacknowledged messages; the event was not accepted."""


class SpoolInUse(RuntimeError):
    """Another process (or another open `Spool`) holds this spool file."""


@dataclass(frozen=True, slots=True)
class SpooledMessage:
    id: int
    topic: str
    payload: bytes
    retain: bool
    seq: int | None


@dataclass(frozen=True, slots=True)
class SpoolCounters:
    pending: int
    appended: int
    acked: int
    refused: int
    status_replaced: int
    status_dropped: int
    commits: int
    last_seq: int
    fenced: int = 0
    """Messages discarded unsent because the worker's leases lapsed (`discard_all`)."""


class Spool:
    """`Spool(path)`: open (or create) the spool file. Thread-safe; close it when done."""

    def __init__(
        self,
        path: Path | str,
        *,
        max_messages: int = 1_000_000,
        commit_every: int = 512,
        synchronous: Synchronous = "FULL",
    ) -> None:
        if max_messages < 1 or commit_every < 1:
            raise ValueError("max_messages and commit_every must be at least 1")
        self.path = Path(path)
        self.max_messages = max_messages
        self.commit_every = commit_every
        self._lock = threading.Lock()
        # A short busy timeout: the only contender is another process that owns the file.
        self._db = sqlite3.connect(
            self.path, timeout=0.5, isolation_level=None, check_same_thread=False
        )
        try:
            self._open(synchronous)
        except sqlite3.OperationalError as exc:
            self._db.close()
            if "locked" in str(exc):
                raise SpoolInUse(f"spool {self.path} is open in another process") from None
            raise
        self._pending = self._scalar("SELECT COUNT(*) FROM spool")
        self._last_seq = self._scalar("SELECT value FROM counters WHERE name = 'last_seq'")
        self._last_id = self._scalar("SELECT MAX(id) FROM spool")
        self._cursor = 0
        self._in_transaction = False
        self._uncommitted = 0
        self._appended = self._acked = self._refused = 0
        self._status_replaced = self._status_dropped = self._commits = 0
        self._fenced = 0

    def _open(self, synchronous: Synchronous) -> None:
        self._db.execute("PRAGMA locking_mode = EXCLUSIVE")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute(f"PRAGMA synchronous = {synchronous}")
        version = self._scalar("PRAGMA user_version")
        if version not in (0, SCHEMA_VERSION):
            raise RuntimeError(f"spool {self.path} has schema {version}; expected {SCHEMA_VERSION}")
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _scalar(self, sql: str) -> int:
        row = self._db.execute(sql).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _begin(self) -> None:
        if not self._in_transaction:
            self._db.execute("BEGIN IMMEDIATE")
            self._in_transaction = True

    def _commit_locked(self) -> None:
        if not self._in_transaction:
            return
        self._db.execute(
            "INSERT INTO counters (name, value) VALUES ('last_seq', ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (self._last_seq,),
        )
        self._db.execute("COMMIT")
        self._in_transaction = False
        self._uncommitted = 0
        self._commits += 1

    def _after_append(self, message_id: int) -> None:
        self._last_id = message_id
        self._pending += 1
        self._appended += 1
        self._uncommitted += 1
        if self._uncommitted >= self.commit_every:
            self._commit_locked()

    def append_event(self, build: Callable[[int], tuple[str, bytes]]) -> SpooledMessage:
        """Number the next event: `build(seq)` returns its topic and payload, which are stored.

        Raises `SpoolFull` (and counts it) without using up a seq when the spool is full.
        """
        with self._lock:
            if self._pending >= self.max_messages:
                self._refused += 1
                raise SpoolFull(
                    f"spool {self.path} holds {self._pending} unacknowledged messages "
                    f"(max_messages={self.max_messages}); is the broker reachable?"
                )
            seq = self._last_seq + 1
            topic, payload = build(seq)
            self._begin()
            cursor = self._db.execute(
                "INSERT INTO spool (topic, payload, retain, seq) VALUES (?, ?, 0, ?)",
                (topic, payload, seq),
            )
            self._last_seq = seq
            message = SpooledMessage(int(cursor.lastrowid or 0), topic, payload, False, seq)
            self._after_append(message.id)
            return message

    def append_status(self, key: str, topic: str, payload: bytes) -> SpooledMessage:
        """Store a retained status message; it supersedes undispatched ones with the same key."""
        with self._lock:
            self._begin()
            replaced = self._db.execute(
                "DELETE FROM spool WHERE status_key = ? AND id > ?", (key, self._cursor)
            ).rowcount
            self._pending -= replaced
            self._status_replaced += replaced
            if self._pending >= self.max_messages:
                dropped = self._db.execute(
                    "DELETE FROM spool WHERE id = (SELECT MIN(id) FROM spool "
                    "WHERE status_key IS NOT NULL AND id > ?)",
                    (self._cursor,),
                ).rowcount
                if not dropped:
                    self._refused += 1
                    raise SpoolFull(
                        f"spool {self.path} is full of events (max_messages={self.max_messages})"
                    )
                self._pending -= dropped
                self._status_dropped += dropped
            cursor = self._db.execute(
                "INSERT INTO spool (topic, payload, retain, status_key) VALUES (?, ?, 1, ?)",
                (topic, payload, key),
            )
            message = SpooledMessage(int(cursor.lastrowid or 0), topic, payload, True, None)
            self._after_append(message.id)
            return message

    def commit(self) -> None:
        """Make every append and ack so far durable (one transaction, one fsync)."""
        with self._lock:
            self._commit_locked()

    def next_batch(self, limit: int) -> list[SpooledMessage]:
        """Up to `limit` committed messages after the dispatch cursor, which moves past them."""
        if limit <= 0:
            return []
        with self._lock:
            self._commit_locked()
            rows = self._db.execute(
                "SELECT id, topic, payload, retain, seq FROM spool "
                "WHERE id > ? ORDER BY id LIMIT ?",
                (self._cursor, limit),
            ).fetchall()
            if rows:
                self._cursor = rows[-1][0]
        return [SpooledMessage(r[0], r[1], bytes(r[2]), bool(r[3]), r[4]) for r in rows]

    def discard_all(self) -> int:
        """Drop every unacknowledged message (durably); how many. For a worker whose
        leases lapsed: what it spooled is about cameras another worker has seen since."""
        with self._lock:
            self._begin()
            before = self._db.total_changes
            self._db.execute("DELETE FROM spool")
            removed = self._db.total_changes - before
            self._pending -= removed
            self._fenced += removed
            self._commit_locked()
            self._cursor = 0
            return removed

    def rewind(self) -> None:
        """Dispatch everything again from the oldest pending message (e.g. a new MQTT client)."""
        with self._lock:
            self._cursor = 0

    def ack(self, ids: Iterable[int]) -> None:
        """Forget acknowledged messages (durable at the next commit)."""
        batch = [(message_id,) for message_id in ids]
        if not batch:
            return
        with self._lock:
            self._begin()
            before = self._db.total_changes
            self._db.executemany("DELETE FROM spool WHERE id = ?", batch)
            removed = self._db.total_changes - before
            self._pending -= removed
            self._acked += removed
            self._uncommitted += removed
            if self._uncommitted >= self.commit_every:
                self._commit_locked()

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending

    def has_room(self, events: int) -> bool:
        """Would `events` more events be accepted now?"""
        with self._lock:
            return self._pending + events <= self.max_messages

    @property
    def has_undispatched(self) -> bool:
        """Were messages appended beyond the dispatch cursor (committed or not)?"""
        with self._lock:
            return self._last_id > self._cursor

    @property
    def last_id(self) -> int:
        """Id of the newest message appended so far (0 for an empty, new spool)."""
        with self._lock:
            return self._last_id

    def counters(self) -> SpoolCounters:
        with self._lock:
            return SpoolCounters(
                pending=self._pending,
                appended=self._appended,
                acked=self._acked,
                refused=self._refused,
                status_replaced=self._status_replaced,
                status_dropped=self._status_dropped,
                commits=self._commits,
                last_seq=self._last_seq,
                fenced=self._fenced,
            )

    def close(self) -> None:
        with self._lock:
            self._commit_locked()
            self._db.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
