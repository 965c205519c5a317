"""Verified closure: a camera-fault case closes only when the alert has stayed resolved.

The handler's `resolve` moves the case to resolved (pending check). The verifier then
reads the alert's state through `AlertStateReader` (the alert service's view, fed by
health telemetry): resolved for `verify_s` → the system closes the case; firing again
(after a grace period that lets the next probe see the repair) → the case goes back to
in progress with the evidence. No camera case is closed on a handler's word alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select

from alerts.cases.commands import lock_case
from alerts.cases.lifecycle import transition
from alerts.cases.models import Case
from alerts.cases.seam import AlertStateReader
from alerts.cases.vocabulary import SYSTEM_ACTOR, CaseAction, CaseStatus
from alerts.cases.workflow import Workflow
from registry.db import SessionFactory, transaction


class Verification(StrEnum):
    CLOSED = "closed"
    FAULT_BACK = "fault_back"
    WAITING = "waiting"


@dataclass(frozen=True, slots=True)
class VerificationOutcome:
    case_id: int
    result: Verification


def verdict(
    now: datetime,
    resolved_at: datetime,
    alert_resolved_since: datetime | None,
    verify_s: float,
    grace_s: float,
) -> Verification:
    """Pure: what the verifier does with one resolved camera case."""
    if alert_resolved_since is None:
        if now - resolved_at >= timedelta(seconds=grace_s):
            return Verification.FAULT_BACK
        return Verification.WAITING
    if now - alert_resolved_since >= timedelta(seconds=verify_s):
        return Verification.CLOSED
    return Verification.WAITING


def verify_closures(
    factory: SessionFactory, workflow: Workflow, alerts: AlertStateReader, now: datetime
) -> list[VerificationOutcome]:
    """Close or send back every resolved camera-fault case whose alert says so."""
    with factory() as session:
        ids = list(
            session.scalars(
                select(Case.id).where(
                    Case.status == str(CaseStatus.RESOLVED), Case.camera_fault.is_(True)
                )
            )
        )
    outcomes = []
    for case_id in ids:
        with transaction(factory) as session:
            case = lock_case(session, case_id)
            if case.status != CaseStatus.RESOLVED or case.resolved_at is None:
                continue
            since = alerts.alert_resolved_since(case.fingerprint)
            result = verdict(
                now, case.resolved_at, since, workflow.verify_s, workflow.verify_grace_s
            )
            evidence = {
                "fingerprint": case.fingerprint,
                "checked_at": now.isoformat(),
                "alert_resolved_since": since.isoformat() if since else None,
                "evidence": alerts.alert_evidence(case.fingerprint),
            }
            if result is Verification.CLOSED:
                minutes = workflow.verify_s / 60
                transition(
                    session,
                    case,
                    CaseAction.VERIFIED_CLOSE,
                    actor=SYSTEM_ACTOR,
                    now=now,
                    workflow=workflow,
                    data=evidence,
                    reason=f"alert stayed resolved for {minutes:g} minutes",
                )
            elif result is Verification.FAULT_BACK:
                transition(
                    session,
                    case,
                    CaseAction.CHECK_FAILED,
                    actor=SYSTEM_ACTOR,
                    now=now,
                    workflow=workflow,
                    data=evidence,
                    reason="the fault is back: the alert is firing again",
                )
        outcomes.append(VerificationOutcome(case_id, result))
    return outcomes
