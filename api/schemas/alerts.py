"""Alerts and silences as the API shows and takes them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.evidence import EvidenceOut
from api.schemas.instants import Instant

Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=128)]
WEEK_S = 7 * 24 * 3600


class AlertOut(BaseModel):
    id: str
    fingerprint: str
    kind: str
    scope: str = Field(description="camera, district (a storm group), uplink or worker.")
    subject: str
    code: str | None
    district_code: str
    camera_id: str | None
    uplink: str | None
    status: str = Field(description="pending, firing or resolved.")
    priority: int = Field(description="0-100; higher is more urgent.")
    severity: str
    summary: str
    started_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    count: int
    flapping: bool
    members: int = Field(description="Alerts this group alert inhibits (0 for a single alert).")
    total: int = Field(description="Cameras of a group alert's district or uplink (N of M).")
    inhibited_by: str | None = Field(description="The group alert this one is part of.")
    silenced_by: str | None = Field(description="The silence holding this alert, if any.")
    acknowledged: bool = Field(description="Under an acknowledgement that has not expired.")
    acked_by: str | None
    acked_until: datetime | None
    assignee: str | None
    escalated_at: datetime | None
    escalated_by: str | None
    case_id: str | None
    evidence: EvidenceOut | None = Field(
        description="Pictures of the occurrence's latest fault (judged, and the last good "
        "one before it); null when none was kept or it has been pruned."
    )


class AlertPage(BaseModel):
    items: list[AlertOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


class AuditOut(BaseModel):
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]


class AlertEventOut(BaseModel):
    event_id: str
    type: str
    ts: datetime
    data: dict[str, Any]
    evidence: EvidenceOut | None = Field(description="Pictures kept with this event, if any.")


class AlertDetail(AlertOut):
    grouped: list[AlertOut] = Field(description="Members of a group alert, oldest first.")
    audit: list[AuditOut] = Field(description="Operator actions and expiries, oldest first.")
    events: list[AlertEventOut] = Field(description="Events of this occurrence (up to 200).")


class Acknowledge(BaseModel):
    model_config = ConfigDict(extra="forbid")
    duration_s: int = Field(default=3600, ge=1, le=WEEK_S, description="Until it expires.")
    note: str = Field(default="", max_length=1000)


class Assign(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assignee: Name | None = Field(description="A user name; null to unassign.")


class Comment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class Escalate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text


class SilenceAlert(BaseModel):
    model_config = ConfigDict(extra="forbid")
    duration_s: int = Field(ge=60, le=90 * 24 * 3600)
    reason: Text


class Escalated(BaseModel):
    alert_id: str
    case_id: int | None = Field(description="The case opened or joined; null until wired.")


class Window(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hours: str = Field(pattern=r"^\d{1,2}:\d{2}-\d{1,2}:\d{2}$", examples=["22:00-06:00"])
    days: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=list, max_length=7, description="0 = Monday; empty: every day."
    )


Values = list[Name]


class SilenceCreate(BaseModel):
    """Every non-empty matcher must hold; within one, any value. Without a district or
    camera matcher, the silence is confined to your own district."""

    model_config = ConfigDict(extra="forbid")
    cameras: Values = Field(default_factory=list, max_length=1000)
    districts: Values = Field(default_factory=list, max_length=100)
    uplinks: Values = Field(default_factory=list, max_length=100)
    kinds: Values = Field(default_factory=list, max_length=50)
    tags: Values = Field(default_factory=list, max_length=50)
    starts_at: Instant | None = Field(default=None, description="Default: now.")
    ends_at: Instant
    reason: Text
    window: Window | None = Field(
        default=None, description="A weekly maintenance window inside the range."
    )


class SilenceOut(BaseModel):
    id: str
    matchers: dict[str, list[str]]
    starts_at: datetime
    ends_at: datetime
    window: dict[str, Any] | None
    created_by: str
    reason: str
    created_at: datetime
    cancelled_at: datetime | None
    cancelled_by: str | None
    active: bool = Field(description="Not cancelled and inside its time range now.")
