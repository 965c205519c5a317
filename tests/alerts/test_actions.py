"""Operator actions on a real database, in virtual time: acknowledgement with expiry,
silence from an alert (and its expiry), assign, comment, escalate; each audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts import actions, queue
from alerts.cases.calendar import BusinessCalendar
from alerts.cases.workflow import load_workflow
from alerts.domain import Kind, Scope, fingerprint
from alerts.engine import Engine
from alerts.policy import Policy
from alerts.service import AlertService
from config.settings import Settings
from registry.db import SessionFactory
from registry.models import District
from tests.alerts.helpers import DISTRICTS, Clock, Producer, at, small_topology

TOPOLOGY = small_topology()
WORKFLOW = load_workflow(Settings(_env_file=None), calendar=BusinessCalendar())  # type: ignore[call-arg]


@pytest.fixture
def svc(db: SessionFactory) -> tuple[AlertService, Clock]:
    with db() as session, session.begin():
        for code, name, path in DISTRICTS:
            parts = path.strip("/").split("/")
            session.add(District(code=code, name=name, level=len(parts), path=path,
                                 parent_code=parts[-2] if len(parts) > 1 else None))  # fmt: skip
    clock = Clock()
    service = AlertService(db, lambda: Engine(Policy(hold_s=0), TOPOLOGY), clock)
    service.load()
    return service, clock


def queued(db: SessionFactory, clock: Clock, district: str | None = None) -> list[str]:
    with db() as session:
        return [row.camera_id or row.subject for row in queue.queue(session, clock(), district)]


def test_acknowledgement_expires_back_into_the_queue(
    db: SessionFactory, svc: tuple[AlertService, Clock]
) -> None:
    service, clock = svc
    service.process([Producer().offline("C00000", at(0))])
    alert_id = service.engine.alerts[fingerprint(Kind.OFFLINE, Scope.CAMERA, "C00000")].id
    assert queued(db, clock) == ["C00000"]
    actions.acknowledge(db, "op1", alert_id, clock(), timedelta(minutes=10))
    assert queued(db, clock) == []
    clock.advance(9 * 60)
    assert service.tick().expired_acks == []
    clock.advance(2 * 60)
    (expired,) = service.tick().expired_acks
    assert expired.id == alert_id
    assert queued(db, clock) == ["C00000"]
    with db() as session:
        trail = [(row.actor, row.action) for row in queue.audit(session, alert_id)]
    assert trail == [("op1", "acknowledge"), ("system", "ack_expired")]


def test_unacknowledge_assign_comment_escalate_are_audited(
    db: SessionFactory, svc: tuple[AlertService, Clock]
) -> None:
    service, clock = svc
    service.process([Producer().offline("C00000", at(0))])
    alert_id = service.engine.alerts[fingerprint(Kind.OFFLINE, Scope.CAMERA, "C00000")].id
    actions.acknowledge(db, "op1", alert_id, clock())
    actions.unacknowledge(db, "op2", alert_id, clock())
    actions.assign(db, "op2", alert_id, "maint-7", clock())
    actions.comment(db, "maint-7", alert_id, "on my way", clock())
    case_id = actions.escalate(db, "op2", alert_id, "key site dark", clock(), workflow=WORKFLOW)
    with pytest.raises(actions.ActionRefused, match=f"already escalated by op2 \\(case {case_id}"):
        actions.escalate(db, "op3", alert_id, "again", clock(), workflow=WORKFLOW)
    with pytest.raises(actions.AlertNotFound):
        actions.comment(db, "op1", "nope", "x", clock())
    with db() as session:
        trail = [(row.actor, row.action) for row in queue.audit(session, alert_id)]
        (row,) = queue.queue(session, clock())
    assert trail == [("op1", "acknowledge"), ("op2", "unacknowledge"), ("op2", "assign"),
                     ("maint-7", "comment"), ("op2", "escalate")]  # fmt: skip
    assert (row.assignee, row.escalated_by, row.acked_by) == ("maint-7", "op2", None)
    # the consumer's next writes leave the operators' columns alone
    service.process([Producer(seq=10).offline("C00000", at(5))])
    with db() as session:
        (row,) = queue.queue(session, clock())
    assert (row.assignee, row.escalated_by, row.count) == ("maint-7", "op2", 2)


def test_silence_from_an_alert_marks_it_until_it_ends(
    db: SessionFactory, svc: tuple[AlertService, Clock]
) -> None:
    service, clock = svc
    p = Producer()
    service.process([p.offline("C00000", at(0)), p.offline("C02000", at(0))])
    fp = fingerprint(Kind.OFFLINE, Scope.CAMERA, "C00000")
    actions.silence_alert(db, "op1", service.engine.alerts[fp].id, timedelta(minutes=30),
                          "replacing the camera", clock())  # fmt: skip
    clock.advance(1)
    service.tick()
    assert service.engine.alerts[fp].silenced_by is not None
    assert queued(db, clock) == ["C02000"]
    assert queued(db, clock, "150402001") == []  # the subtree of 桥北镇
    clock.advance(31 * 60)
    service.tick()
    assert sorted(queued(db, clock)) == ["C00000", "C02000"]
    assert queued(db, clock, "150402001") == ["C00000"]
