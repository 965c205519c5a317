"""The alert service without threads: a batch of messages in, one transaction, changes out.

`AlertService.process(messages)` stores new events (a redelivered `event_id` is
dropped by the primary key), runs the pipeline on them, writes the changed alerts
and the workers' highest `seq`, and commits; the caller acknowledges to the broker
only after it returns. Any failure reloads the pipeline's memory from the database
before the caller retries, so memory never runs ahead of what was committed.
`tick()` moves time (holds, groups, flapping, silences, acknowledgement expiry).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from alerts.domain import Alert, Signal
from alerts.engine import Change, Engine
from alerts.fleet import no_live_worker_signal
from alerts.gaps import Hole, SeqTracker
from alerts.models import AlertRow, AuditRow, SeqGap
from alerts.reconcile import status_signals
from alerts.stages.validate import Rejected, ahead_of_clock
from alerts.store import (
    alert_from_row,
    event_row,
    group_tallies,
    insert_events,
    load_alerts,
    load_open,
    load_presences,
    load_silences,
    load_worker_seqs,
    save_dead_letters,
    save_presence,
    save_worker_seqs,
    seqs_present,
    write_alerts,
)
from bus.events import Event, encode
from bus.messages import Message, PresenceMessage
from bus.status import StatusMessage
from bus.subscriber import DeadLetter
from registry.changefeed import Announcement, ChangeKind, record_changes
from registry.db import SessionFactory, transaction

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Outcome:
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    changes: list[Change] = field(default_factory=list)
    gaps: list[tuple[str, Hole]] = field(default_factory=list)
    expired_acks: list[Alert] = field(default_factory=list)


def _persist(session: Session, changes: Sequence[Change], now: datetime) -> None:
    created = [c.after for c in changes if c.before is None]
    updated = [c.after for c in changes if c.before is not None]
    write_alerts(session, created, updated, now)
    record_changes(session, [_announcement(c) for c in changes if _queue_moved(c)], now)


def _queue_moved(change: Change) -> bool:
    """Did the operators' queue change (an alert shown, hidden, re-ranked or counted anew)?
    Pending holds and inhibited members of a storm do not move it."""
    before, after = change.before, change.after
    if before is None:
        return after.visible
    return before.visible != after.visible or (
        after.visible
        and (before.priority, before.members, before.status)
        != (after.priority, after.members, after.status)
    )


def _announcement(change: Change) -> Announcement:
    alert = change.after
    payload = {"op": "created" if change.before is None else "changed",
               "status": str(alert.status), "visible": alert.visible,
               "priority": alert.priority, "kind": str(alert.kind)}  # fmt: skip
    return Announcement(ChangeKind.ALERT, alert.district_code, alert.id, payload)


class AlertService:
    def __init__(
        self,
        factory: SessionFactory,
        build_engine: Callable[[], Engine],
        clock: Clock,
        *,
        gap_grace: timedelta = timedelta(seconds=5),
        prefix: str = "gridwatch",
        shared: bool = False,
    ) -> None:
        self.prefix = prefix
        self.shared = shared
        """Other consumers share the stream: read alerts we have not seen from the database
        before deciding on them, and take their group alerts on every tick."""
        self.factory = factory
        self._build_engine = build_engine
        self.clock = clock
        self.gap_grace = gap_grace
        self.engine = build_engine()
        self.seqs = SeqTracker()
        self._acks_checked_at: datetime | None = None

    def load(self) -> None:
        """Rebuild memory from the database: open alerts, recent resolutions, silences, seqs."""
        now = self.clock()
        engine = self._build_engine()
        with self.factory() as session:
            engine.load(load_alerts(session, now, engine.policy.recurrence_window))
            engine.silences = load_silences(session, now)
            seqs = SeqTracker(last=load_worker_seqs(session))
        self.engine, self.seqs = engine, seqs

    def process(self, messages: Sequence[Message]) -> Outcome:
        try:
            return self._process(messages)
        except Exception:
            self.load()
            raise

    def _process(self, messages: Sequence[Message]) -> Outcome:
        now = self.clock()
        engine = self.engine
        accepted: list[tuple[Event, tuple[Signal, ...]]] = []
        rows: list[dict[str, Any]] = []
        letters: list[DeadLetter] = []
        statuses: list[StatusMessage] = []
        for message in messages:
            if isinstance(message, Event):
                self.seqs.observe(message.worker_id, message.seq, now)
                try:
                    signals = engine.signals(message, now)
                except Rejected as exc:
                    letters.append(_letter(message, exc, now, self.prefix))
                    continue
                rows.append(event_row(message, signals[0].fingerprint if signals else None, now))
                accepted.append((message, signals))
            elif isinstance(message, StatusMessage):
                statuses.append(message)
        with transaction(self.factory) as session:
            new = insert_events(session, rows)
            if self.shared:
                unseen = {s.fingerprint for _, signals in accepted for s in signals
                          if s.fingerprint not in engine.alerts}  # fmt: skip
                if unseen:
                    engine.load(load_open(session, unseen))
            for message in messages:
                if isinstance(message, PresenceMessage):
                    engine.apply_presence(message, now)
                    save_presence(session, message.worker_id, message.online, now)
            for event, signals in accepted:
                if event.event_id in new:
                    for signal in signals:
                        engine.apply(signal, now)
            self._apply_statuses(statuses, now)
            changes = engine.drain()
            _persist(session, changes, now)
            save_worker_seqs(session, self.seqs.take_changed(), now)
            save_dead_letters(session, letters)
        return Outcome(len(new), len(rows) - len(new), len(letters), changes)

    def _apply_statuses(self, statuses: Sequence[StatusMessage], now: datetime) -> None:
        if not statuses:
            return
        engine = self.engine
        open_fps = {fp for fp, alert in engine.alerts.items() if alert.active}
        for status in statuses:
            if ahead_of_clock(status.ts, now, engine.policy.max_clock_skew):
                log.warning("status of %s stamped %s, ahead of our clock: ignored",
                            status.camera_id, status.ts.isoformat())  # fmt: skip
                continue
            for signal in status_signals(status, engine.topology, open_fps):
                engine.apply(signal, now)

    def save_dead_letter(self, letter: DeadLetter) -> None:
        with transaction(self.factory) as session:
            save_dead_letters(session, [letter])

    def reconcile(self, statuses: Sequence[StatusMessage]) -> Outcome:
        """Apply retained statuses and mark the open gaps reconciled."""
        outcome = self.process(statuses)
        with transaction(self.factory) as session:
            session.execute(
                update(SeqGap)
                .where(SeqGap.reconciled_at.is_(None))
                .values(reconciled_at=self.clock())
            )
        return outcome

    def tick(self) -> Outcome:
        try:
            return self._tick()
        except Exception:
            self.load()
            raise

    def _tick(self) -> Outcome:
        now = self.clock()
        with transaction(self.factory) as session:
            self.engine.silences = load_silences(session, now)
            down = None
            if self.shared:
                self.engine.adopt_groups(load_open(session, groups=True), now)
                down = group_tallies(session, now - self.engine.policy.group_window)
            self.engine.tick(now, down)
            self._judge_fleet(session, now)
            changes = self.engine.drain()
            _persist(session, changes, now)
            gaps = self._real_gaps(session, now)
            expired = self._expired_acks(session, now)
        return Outcome(changes=changes, gaps=gaps, expired_acks=expired)

    def _judge_fleet(self, session: Session, now: datetime) -> None:
        engine = self.engine
        signal = no_live_worker_signal(
            load_presences(session), engine.topology.root, now, engine.policy.no_worker_hold
        )
        if signal is None:
            return
        if self.shared and signal.fingerprint not in engine.alerts:
            engine.load(load_open(session, {signal.fingerprint}))  # another consumer's
        engine.apply(signal, now)

    def _real_gaps(self, session: Session, now: datetime) -> list[tuple[str, Hole]]:
        gaps = []
        for worker_id, hole in self.seqs.due(now, self.gap_grace):
            # Another consumer on the shared subscription may have had them.
            present = seqs_present(session, worker_id, hole.first, hole.last)
            if present < hole.size:
                gaps.append((worker_id, hole))
                session.add(
                    SeqGap(
                        worker_id=worker_id,
                        first_missing=hole.first,
                        last_missing=hole.last,
                        detected_at=now,
                    )
                )
                log.warning(
                    "seq gap from worker %s: %d missing of %d-%d; reconciling from status",
                    worker_id, hole.size - present, hole.first, hole.last,
                )  # fmt: skip
        return gaps

    def _expired_acks(self, session: Session, now: datetime) -> list[Alert]:
        """Acknowledgements that ran out on alerts still firing: back in the queue, audited."""
        since = self._acks_checked_at or now - timedelta(days=1)
        self._acks_checked_at = now
        rows = session.scalars(
            select(AlertRow).where(
                AlertRow.status == "firing",
                AlertRow.acked_until > since,
                AlertRow.acked_until <= now,
            )
        ).all()
        for row in rows:
            session.add(
                AuditRow(
                    alert_id=row.id,
                    actor=SYSTEM,
                    action="ack_expired",
                    detail={"acked_by": row.acked_by},
                    at=now,
                )
            )
        return [alert_from_row(row) for row in rows]


def _letter(event: Event, exc: Rejected, now: datetime, prefix: str) -> DeadLetter:
    return DeadLetter(
        topic=event.topic(prefix)[:1024],
        payload=encode(event),
        reason=exc.reason,
        detail=exc.detail[:1000],
        received_at=now,
    )
