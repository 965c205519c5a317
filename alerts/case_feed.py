"""Case events on MQTT: every case audit row, in order, at least once.

The feed reads `case_events` past a cursor kept in the database (`alert_case_feed`)
and publishes each row as `case_message(...)` on `{prefix}/v1/cases/{district}/{case}`
(QoS 1, not retained), whoever wrote it: this process (openings, verified closures,
cards), the API (a handler's sign-for, resolve) or `gridwatch cases`. Rules:

- The cursor moves only over rows the broker has acknowledged (PUBACK), so a crash or
  a broker away loses nothing: what was not acknowledged is published again by the
  next flush of the next process (consumers de-duplicate on `event_id`).
- At most `MAX_IN_FLIGHT` unacknowledged messages: while the broker is away the
  backlog waits in the database, not in memory.
- One alert process publishes at a time: it holds a lease on the cursor row
  (`LEASE_S`, renewed on each flush); another takes over when a lease runs out.
- Ids are taken in order; an id missing between rows seen (a transaction that has not
  committed yet, on PostgreSQL) is waited for `gap_grace_s`, then passed over (a
  rolled-back insert leaves such a hole for ever).
- `link_alert` rows (a storm links hundreds of cameras) are passed over, not published.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from alerts.cases.messages import case_message
from alerts.cases.models import Case, CaseEvent
from alerts.cases.vocabulary import CaseAction
from alerts.models import CaseFeedCursor
from registry.db import SessionFactory, transaction

log = logging.getLogger(__name__)
FEED = "cases"
BATCH = 500
MAX_IN_FLIGHT = 1000
LEASE_S = 60.0
NOT_PUBLISHED = frozenset({str(CaseAction.LINK_ALERT)})


class Delivery(Protocol):
    def is_published(self) -> bool: ...


Publish = Callable[[str, bytes], Delivery]
Clock = Callable[[], datetime]


class CaseFeed:
    def __init__(
        self,
        factory: SessionFactory,
        publish: Publish,
        prefix: str,
        owner: str,
        clock: Clock,
        *,
        gap_grace_s: float = 5.0,
    ) -> None:
        self.factory = factory
        self._publish = publish
        self.prefix = prefix
        self.owner = owner
        self.clock = clock
        self.gap_grace_s = gap_grace_s
        self._in_flight: deque[tuple[int, Delivery | None]] = deque()
        self._sent_to: int | None = None
        self._gap_seen: dict[int, float] = {}
        self._fresh = False
        """The cursor was made here and nothing read yet: the first id found starts it
        (PostgreSQL's sequence does not restart when a table is emptied)."""
        self.published = 0

    def flush(self) -> int:
        """Move the cursor over what the broker acknowledged, then publish what is new;
        returns how many messages were handed to the client."""
        self._settle()
        cursor = self._lease()
        if cursor is None:
            self._in_flight.clear()
            self._sent_to = None
            return 0
        last_id = cursor
        fresh = self._fresh
        after = self._sent_to if self._sent_to is not None else last_id
        room = MAX_IN_FLIGHT - len(self._in_flight)
        if room <= 0:
            return 0
        with self.factory() as session:
            rows = session.execute(
                select(CaseEvent, Case)
                .join(Case, Case.id == CaseEvent.case_id)
                .where(CaseEvent.id > after)
                .order_by(CaseEvent.id)
                .limit(min(BATCH, room))
            ).all()
        sent = 0
        expected = after + 1
        for event, case in rows:
            if event.id != expected and not fresh and not self._gap_passed(expected, event.id):
                break
            fresh = self._fresh = False
            delivery: Delivery | None = None
            if event.action not in NOT_PUBLISHED:
                topic, payload = case_message(self.prefix, case, event)
                payload["event_id"] = event.id
                payload["data"] = event.data
                body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
                delivery = self._publish(topic, body.encode("utf-8"))
                sent += 1
            self._in_flight.append((event.id, delivery))
            self._sent_to, expected = event.id, event.id + 1
        self.published += sent
        return sent

    def pending(self) -> int:
        """Messages handed to the client and not yet acknowledged by the broker."""
        return sum(1 for _, d in self._in_flight if d is not None and not d.is_published())

    def _gap_passed(self, expected: int, found: int) -> bool:
        first_seen = self._gap_seen.setdefault(expected, time.monotonic())
        if time.monotonic() - first_seen < self.gap_grace_s:
            return False
        del self._gap_seen[expected]
        log.warning("case audit ids %d-%d never appeared; passed over", expected, found - 1)
        return True

    def settle(self) -> None:
        """Move the cursor over what the broker has acknowledged, publishing nothing."""
        self._settle()

    def _settle(self) -> None:
        done: int | None = None
        while self._in_flight:
            event_id, delivery = self._in_flight[0]
            if delivery is not None and not delivery.is_published():
                break
            self._in_flight.popleft()
            done = event_id
        if done is None:
            return
        with transaction(self.factory) as session:
            session.execute(
                update(CaseFeedCursor)
                .where(
                    CaseFeedCursor.name == FEED,
                    CaseFeedCursor.owner == self.owner,
                    CaseFeedCursor.last_id < done,
                )
                .values(last_id=done, updated_at=self.clock())
            )

    def _lease(self) -> int | None:
        """Take or renew the lease: the last acknowledged id, or None while another
        process holds it."""
        now = self.clock()
        with transaction(self.factory) as session:
            taken = session.execute(
                update(CaseFeedCursor)
                .where(
                    CaseFeedCursor.name == FEED,
                    or_(
                        CaseFeedCursor.owner == self.owner,
                        CaseFeedCursor.owner.is_(None),
                        CaseFeedCursor.lease_until < now,
                    ),
                )
                .values(owner=self.owner, lease_until=now + timedelta(seconds=LEASE_S))
            ).rowcount  # type: ignore[attr-defined]
            last_id = session.scalar(
                select(CaseFeedCursor.last_id).where(CaseFeedCursor.name == FEED)
            )
        if taken:
            return int(last_id or 0)
        if last_id is None:
            return self._create(now)
        return None

    def _create(self, now: datetime) -> int | None:
        """A missing cursor (a database emptied, or made without the migration's row):
        start after the newest audit row there is, as the migration does."""
        try:
            with transaction(self.factory) as session:
                newest = session.scalar(select(CaseEvent.id).order_by(CaseEvent.id.desc()).limit(1))
                session.add(
                    CaseFeedCursor(
                        name=FEED,
                        last_id=newest or 0,
                        owner=self.owner,
                        lease_until=now + timedelta(seconds=LEASE_S),
                        updated_at=now,
                    )
                )
        except IntegrityError:
            return None  # another process made it; the next flush competes for the lease
        self._fresh = True
        return newest or 0
