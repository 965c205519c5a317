"""Escalating an alert opens its case (operator as actor), and the alert tables answer
verified closure's questions; real database, virtual time."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from alerts import actions, queue
from alerts.case_reader import AlertTables
from alerts.case_snapshots import case_priority
from alerts.cases.commands import get_case, history
from alerts.domain import Kind, Scope, fingerprint
from alerts.engine import Engine
from alerts.models import AlertRow
from alerts.policy import Policy
from alerts.service import AlertService
from registry.db import SessionFactory
from tests.alerts.helpers import Clock, Producer, at, small_topology
from tests.alerts.hub import KEY_SITE, build_registry, workflow

WORKFLOW = workflow()


@pytest.fixture
def svc(db: SessionFactory) -> tuple[AlertService, Clock]:
    build_registry(db)
    clock = Clock()
    service = AlertService(db, lambda: Engine(Policy(hold_s=0), small_topology()), clock)
    service.load()
    return service, clock


def alert_id_of(service: AlertService, camera: str, kind: Kind = Kind.OFFLINE) -> str:
    return service.engine.alerts[fingerprint(kind, Scope.CAMERA, camera)].id


def test_escalate_opens_a_case_with_the_operator_as_actor(
    db: SessionFactory, svc: tuple[AlertService, Clock]
) -> None:
    service, clock = svc
    service.process([Producer().offline(KEY_SITE, at(0))])
    alert_id = alert_id_of(service, KEY_SITE)
    clock.advance(60)  # the rules would wait 15 minutes; the operator does not
    case_id = actions.escalate(db, "op1", alert_id, "gate dark during an event", clock(),
                               workflow=WORKFLOW)  # fmt: skip
    case = get_case(db, case_id)
    assert (case.opened_by, case.fingerprint, case.kind, case.camera_use, case.category) == (
        "op1", f"offline:camera:{KEY_SITE}", "camera.offline", "key_site", "camera_fault"
    )  # fmt: skip
    assert (case.status, case.department_id) == ("assigned", "maint-150402")
    trail = [(e.actor, e.action, e.reason) for e in history(db, case_id)]
    assert trail[:2] == [("op1", "open", "gate dark during an event"),
                         ("op1", "link_alert", None)]  # fmt: skip
    assert [a for _, a, _ in trail[2:]] == ["accept", "assign"]
    with db() as session:
        row = session.get(AlertRow, alert_id)
        assert row is not None
        assert (row.case_id, row.escalated_by, row.escalated_at) == (str(case_id), "op1", clock())
        (audit,) = queue.audit(session, alert_id)
    assert (audit.actor, audit.action, audit.detail["case_id"]) == ("op1", "escalate", case_id)


def test_escalate_needs_a_reason_and_an_open_alert(
    db: SessionFactory, svc: tuple[AlertService, Clock]
) -> None:
    service, clock = svc
    p = Producer()
    service.process([p.offline("C00001", at(0))])
    alert_id = alert_id_of(service, "C00001")
    with pytest.raises(actions.ActionRefused, match="needs a reason"):
        actions.escalate(db, "op1", alert_id, "  ", clock(), workflow=WORKFLOW)
    with pytest.raises(actions.AlertNotFound):
        actions.escalate(db, "op1", "nope", "why", clock(), workflow=WORKFLOW)
    service.process([p.online("C00001", at(30))])
    with pytest.raises(actions.ActionRefused, match="resolved"):
        actions.escalate(db, "op1", alert_id, "why", clock(), workflow=WORKFLOW)
    with db() as session:
        assert session.scalars(select(AlertRow.case_id)).all() == [None]


def test_the_alert_tables_answer_verified_closure(
    db: SessionFactory, svc: tuple[AlertService, Clock]
) -> None:
    service, clock = svc
    p = Producer()
    reader = AlertTables(db)
    fp = fingerprint(Kind.FAULT, Scope.CAMERA, "C00002", "FROZEN")
    assert reader.alert_resolved_since(fp) is None  # unknown
    fault = p.event("health.fault", "C00002", at(0), code="FROZEN", value=0.0, threshold=1.0)
    service.process([replace(fault, evidence="evidence/C00002/1.jpg")])
    assert reader.alert_resolved_since(fp) is None  # firing
    assert reader.alert_evidence(fp) == "evidence/C00002/1.jpg"
    clock.now = at(90)  # the consumer's clock moves with the events (clock-skew rule)
    service.process([p.event("health.recovered", "C00002", at(90), code="FROZEN")])
    assert reader.alert_resolved_since(fp) == at(90)
    clock.now = at(400)
    service.process([p.event("health.fault", "C00002", at(400), code="FROZEN", value=0.0,
                             threshold=1.0)])  # fmt: skip
    assert reader.alert_resolved_since(fp) is None  # the fault is back: a new occurrence


def test_case_priorities_follow_alert_severity() -> None:
    assert [case_priority(p) for p in (100, 80, 79, 50, 49, 20, 19, 0)] == [
        "P1", "P1", "P2", "P2", "P3", "P3", "P4", "P4"
    ]  # fmt: skip
