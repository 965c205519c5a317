"""Operator actions, as the API will call them: `(factory, actor, alert id, …, now)`.

Each writes only the operators' columns of an alert (never the pipeline's, which the
consumer owns) and one audit row (who, what, when) in the same transaction. Silences
made here reach the consumer on its next tick. `escalate` also opens the case, through
the case workflow's own `open_case_manually`.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from alerts.case_snapshots import record_case_id, snapshots
from alerts.cases.opening import open_case_manually
from alerts.cases.transitions import CaseError
from alerts.cases.workflow import Workflow
from alerts.domain import Kind, Scope
from alerts.hours import Hours
from alerts.models import AlertRow, AuditRow
from alerts.models import Silence as SilenceRow
from alerts.silences import Matchers, Silence, window_to_json
from registry.db import SessionFactory, transaction

MAX_ACK = timedelta(days=7)


class AlertNotFound(LookupError):
    def __init__(self, alert_id: str) -> None:
        super().__init__(f"no alert {alert_id!r}; it may have been purged, check the id")


class ActionRefused(ValueError):
    """The action does not apply to the alert as it is now; the message says why."""


def _audit(session: Session, actor: str, action: str, at: datetime, *, alert_id: str | None = None,
           silence_id: str | None = None, **detail: Any) -> None:  # fmt: skip
    session.add(AuditRow(alert_id=alert_id, silence_id=silence_id, actor=actor, action=action,
                         detail=detail, at=at))  # fmt: skip


def _open_alert(session: Session, alert_id: str) -> AlertRow:
    row = session.get(AlertRow, alert_id, with_for_update=True)
    if row is None:
        raise AlertNotFound(alert_id)
    if row.status == "resolved":
        raise ActionRefused(f"alert {alert_id} is resolved; act on its recurrence if it returns")
    return row


def acknowledge(factory: SessionFactory, actor: str, alert_id: str, now: datetime,
                duration: timedelta = timedelta(hours=1), note: str = "") -> datetime:  # fmt: skip
    """Take the alert off the queue until `now + duration`; if it still fires then, it
    returns to the queue (and the expiry is audited). The expiry is returned."""
    if not timedelta(0) < duration <= MAX_ACK:
        raise ActionRefused(f"an acknowledgement lasts more than 0 s and at most {MAX_ACK}")
    until = now + duration
    with transaction(factory) as session:
        row = _open_alert(session, alert_id)
        row.acked_by, row.acked_at, row.acked_until = actor, now, until
        _audit(session, actor, "acknowledge", now, alert_id=alert_id, until=until.isoformat(),
               note=note)  # fmt: skip
    return until


def unacknowledge(factory: SessionFactory, actor: str, alert_id: str, now: datetime) -> None:
    with transaction(factory) as session:
        row = _open_alert(session, alert_id)
        if row.acked_until is None or row.acked_until <= now:
            raise ActionRefused(f"alert {alert_id} is not acknowledged")
        previous = row.acked_by
        row.acked_by = row.acked_at = row.acked_until = None
        _audit(session, actor, "unacknowledge", now, alert_id=alert_id, was_acked_by=previous)


def assign(factory: SessionFactory, actor: str, alert_id: str, assignee: str | None,
           now: datetime) -> None:  # fmt: skip
    with transaction(factory) as session:
        row = _open_alert(session, alert_id)
        previous, row.assignee = row.assignee, assignee
        _audit(session, actor, "assign", now, alert_id=alert_id, assignee=assignee,
               previous=previous)  # fmt: skip


def comment(factory: SessionFactory, actor: str, alert_id: str, text: str, now: datetime) -> None:
    if not text.strip():
        raise ActionRefused("a comment needs some text")
    with transaction(factory) as session:
        if session.get(AlertRow, alert_id) is None:
            raise AlertNotFound(alert_id)
        _audit(session, actor, "comment", now, alert_id=alert_id, text=text[:4000])


def escalate(factory: SessionFactory, actor: str, alert_id: str, reason: str, now: datetime,
             *, workflow: Workflow) -> int:  # fmt: skip
    """Open a case for the alert (or join the one open for it, or for its storm group) with
    the operator as the actor, whatever the opening rules say; the alert records who asked,
    when and the case (`case_id`), with one audit row. Returns the case id.

    The case is opened first, then the alert marked: if the second step fails, asking
    again finds the same case (one open case per fingerprint), so nothing is opened twice.
    """
    if not reason.strip():
        raise ActionRefused("escalating to a case needs a reason (what is wrong, why a case)")
    with factory() as session:
        row = _escalatable(session, alert_id)
        (snapshot,) = snapshots(session, [row], manual=True)
    try:
        outcome = open_case_manually(factory, workflow, snapshot, actor=actor, reason=reason,
                                     now=now)  # fmt: skip
    except CaseError as exc:
        raise ActionRefused(f"no case opened for alert {alert_id}: {exc}") from exc
    if outcome.case_id is None:  # open_case_manually always opens or links
        raise ActionRefused(f"no case opened for alert {alert_id}: {outcome.rule}")
    with transaction(factory) as session:
        row = _escalatable(session, alert_id, lock=True)
        row.escalated_at, row.escalated_by = now, actor
        record_case_id(session, [alert_id], outcome.case_id)
        _audit(session, actor, "escalate", now, alert_id=alert_id, reason=reason,
               case_id=outcome.case_id, case=str(outcome.result))  # fmt: skip
    return outcome.case_id


def _escalatable(session: Session, alert_id: str, *, lock: bool = False) -> AlertRow:
    row = session.get(AlertRow, alert_id, with_for_update=lock)
    if row is None:
        raise AlertNotFound(alert_id)
    if row.status == "resolved":
        raise ActionRefused(f"alert {alert_id} is resolved; act on its recurrence if it returns")
    if row.escalated_at is not None:
        raise ActionRefused(
            f"alert {alert_id} was already escalated by {row.escalated_by} (case {row.case_id})"
        )
    return row


def create_silence(factory: SessionFactory, actor: str, matchers: Matchers, starts_at: datetime,
                   ends_at: datetime, reason: str, now: datetime, window: Hours | None = None,
                   alert_id: str | None = None) -> str:  # fmt: skip
    if not reason.strip():
        raise ActionRefused("a silence needs a reason (what work, which ticket)")
    silence_id = uuid.uuid4().hex
    Silence(silence_id, matchers, starts_at, ends_at, actor, reason, window)  # validates
    with transaction(factory) as session:
        session.add(SilenceRow(id=silence_id, matchers=matchers.to_json(), starts_at=starts_at,
                               ends_at=ends_at, window=window_to_json(window), created_by=actor,
                               reason=reason, created_at=now))  # fmt: skip
        _audit(session, actor, "silence", now, alert_id=alert_id, silence_id=silence_id,
               matchers=matchers.to_json(), starts_at=starts_at.isoformat(),
               ends_at=ends_at.isoformat(), reason=reason)  # fmt: skip
    return silence_id


def silence_alert(factory: SessionFactory, actor: str, alert_id: str, duration: timedelta,
                  reason: str, now: datetime) -> str:  # fmt: skip
    """A silence matching this alert's subject and kind, from now for `duration`."""
    with factory() as session:
        row = session.get(AlertRow, alert_id)
        if row is None:
            raise AlertNotFound(alert_id)
        scope, kind, subject = Scope(row.scope), row.kind, row.subject
    kinds = frozenset({f"{kind}.{row.code}" if row.code else kind})
    if scope is Scope.DISTRICT:
        matchers = Matchers(districts=frozenset({subject}), kinds=frozenset({str(Kind.OFFLINE),
                            str(Kind.GROUP_OFFLINE)}))  # fmt: skip
    elif scope is Scope.UPLINK:
        matchers = Matchers(uplinks=frozenset({subject}), kinds=frozenset({str(Kind.OFFLINE),
                            str(Kind.GROUP_OFFLINE)}))  # fmt: skip
    elif scope is Scope.CAMERA:
        matchers = Matchers(cameras=frozenset({subject}), kinds=kinds)
    else:
        raise ActionRefused(f"a {scope} alert cannot be silenced from here; make a silence")
    return create_silence(factory, actor, matchers, now, now + duration, reason, now,
                          alert_id=alert_id)  # fmt: skip


def cancel_silence(factory: SessionFactory, actor: str, silence_id: str, now: datetime) -> None:
    with transaction(factory) as session:
        done = session.execute(
            update(SilenceRow)
            .where(SilenceRow.id == silence_id, SilenceRow.cancelled_at.is_(None))
            .values(cancelled_at=now, cancelled_by=actor)
        ).rowcount  # type: ignore[attr-defined]
        if not done:
            raise ActionRefused(f"silence {silence_id} does not exist or is already cancelled")
        _audit(session, actor, "cancel_silence", now, silence_id=silence_id)
