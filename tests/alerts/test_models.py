"""The constraints the consumer's correctness rests on, checked on each backend."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from alerts.domain import Alert, AlertStatus, Kind, Scope
from alerts.models import AlertEvent
from alerts.store import Conflict, event_row, insert_events, write_alerts
from registry.db import SessionFactory, transaction
from tests.alerts.helpers import Producer, at


def alert(alert_id: str, status: AlertStatus) -> Alert:
    return Alert(id=alert_id, fingerprint="offline:camera:C1", kind=Kind.OFFLINE,
                 scope=Scope.CAMERA, subject="C1", district_code="150402001001", status=status,
                 started_at=at(0), last_seen_at=at(0), last_ts=at(0))  # fmt: skip


def test_one_open_alert_per_fingerprint(db: SessionFactory) -> None:
    with transaction(db) as session:
        write_alerts(session, [alert("a1", AlertStatus.RESOLVED), alert("a2", AlertStatus.FIRING)],
                     [], at(0))  # fmt: skip
    with pytest.raises(Conflict), transaction(db) as session:
        write_alerts(session, [alert("a3", AlertStatus.PENDING)], [], at(0))


def test_an_event_is_stored_once(db: SessionFactory) -> None:
    event = Producer().offline("C1", at(0))
    with transaction(db) as session:
        assert insert_events(session, [event_row(event, None, at(0))]) == {event.event_id}
    with transaction(db) as session:
        assert insert_events(session, [event_row(event, None, at(1))]) == set()
    with pytest.raises(IntegrityError), transaction(db) as session:
        session.add(AlertEvent(**event_row(event, None, at(2))))  # the key, not the code
