"""Case events for integrations on `{prefix}/v1/cases/{district_code}/{case_id}` (QoS 1,
not retained): the topic and JSON payload of one audit row. Publishing is the caller's."""

from __future__ import annotations

from typing import Any

from alerts.cases.models import Case, CaseEvent
from bus.topics import case_topic

SCHEMA = 1


def case_message(prefix: str, case: Case, event: CaseEvent) -> tuple[str, dict[str, Any]]:
    deadline = event.stage_deadline
    payload = {
        "schema": SCHEMA,
        "case_id": case.id,
        "district_code": case.district_code,
        "department_id": event.department_id,
        "category": case.category,
        "priority": case.priority,
        "fingerprint": case.fingerprint,
        "action": event.action,
        "from": event.from_status,
        "to": event.to_status,
        "actor": event.actor,
        "reason": event.reason,
        "at": event.at.isoformat(),
        "stage": event.stage,
        "stage_deadline": deadline.isoformat() if deadline else None,
        "deadline_estimated": event.deadline_estimated,
        "supervision": case.supervision,
    }
    return case_topic(prefix, case.district_code, str(case.id)), payload
