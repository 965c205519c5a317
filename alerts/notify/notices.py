"""Which alert changes are worth telling integrations about, and what they are told."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from alerts.domain import Alert, AlertStatus, notice_key
from alerts.engine import Change
from alerts.service import Outcome

SCHEMA = 1


class NoticeKind(StrEnum):
    CHANGED = "changed"
    RESOLVED = "resolved"
    ACK_EXPIRED = "ack_expired"


@dataclass(frozen=True, slots=True)
class Notice:
    kind: NoticeKind
    alert: Alert


def notices_for(changes: list[Change]) -> list[Notice]:
    """Changes to what the queue shows, and every resolution of an alert that had fired.
    An alert born inhibited (a storm's members) or resolved while still held is not
    announced: it was never in the queue, and the group alert speaks for it."""
    found = []
    for change in changes:
        before, after = change.before, change.after
        if after.status is AlertStatus.RESOLVED:
            if before is not None and before.status is AlertStatus.FIRING:
                found.append(Notice(NoticeKind.RESOLVED, after))
            continue
        was_visible = before is not None and before.visible
        if after.visible != was_visible or (
            after.visible and before is not None and notice_key(before) != notice_key(after)
        ):
            found.append(Notice(NoticeKind.CHANGED, after))
    return found


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def payload(notice: Notice) -> bytes:
    alert = notice.alert
    document = {
        "schema": SCHEMA,
        "notice": str(notice.kind),
        "alert_id": alert.id,
        "fingerprint": alert.fingerprint,
        "kind": str(alert.kind),
        "scope": str(alert.scope),
        "subject": alert.subject,
        "code": alert.code,
        "camera_id": alert.camera_id,
        "district_code": alert.district_code,
        "uplink": alert.uplink,
        "status": str(alert.status),
        "visible": alert.visible,
        "inhibited_by": alert.inhibited_by,
        "silenced_by": alert.silenced_by,
        "flapping": alert.flapping,
        "priority": alert.priority,
        "severity": str(alert.severity),
        "summary": alert.summary,
        "members": alert.members,
        "total": alert.total,
        "count": alert.count,
        "started_at": _iso(alert.started_at),
        "resolved_at": _iso(alert.resolved_at),
        "previous_id": alert.previous_id,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def notices_of(outcome: Outcome) -> list[Notice]:
    expired = [Notice(NoticeKind.ACK_EXPIRED, alert) for alert in outcome.expired_acks]
    return [*notices_for(outcome.changes), *expired]
