"""Cases as the API shows them, the actions a caller may take next, and KPIs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.evidence import EvidenceOut

Reason = Annotated[str, StringConstraints(max_length=2000)]
DepartmentId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class CaseOut(BaseModel):
    id: int
    title: str
    category: str
    kind: str
    priority: str
    is_group: bool
    camera_fault: bool
    camera_id: str | None
    cameras_affected: int
    district_code: str
    department_id: str | None
    status: str
    stage: str | None = Field(description="The stage whose clock runs; null once finished.")
    stage_deadline: datetime | None
    deadline_estimated: bool
    overdue: bool = Field(description="The running stage is past its deadline now.")
    supervision: str = Field(description="none, yellow or red card on the running stage.")
    opened_at: datetime
    opened_by: str
    accepted_at: datetime | None
    signed_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    followed_up_at: datetime | None
    archived_at: datetime | None
    late_stages: int
    reopen_count: int
    follow_up_result: str | None


class CasePage(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


class CaseEventOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    rule: str | None
    from_status: str | None
    to_status: str
    reason: str | None
    department_id: str | None
    stage: str | None
    stage_deadline: datetime | None
    data: dict[str, Any]
    evidence: EvidenceOut | None = Field(
        default=None,
        description="Links to the pictures `data.evidence` names (verified closure), if kept.",
    )


class NextAction(BaseModel):
    action: str
    requires_reason: bool
    needs_department: bool = Field(description="assign and reassign name the department.")
    needs_extension: bool = Field(description="approve_extension names the time granted.")


class RollCallOut(BaseModel):
    department_id: str
    role: str
    deadline: datetime
    state: str = Field(description="came, late, waiting or never_came.")
    checked_in_at: datetime | None
    supervision: str


class CaseDetail(CaseOut):
    next_actions: list[NextAction] = Field(
        description="What you may do now, in the transition table's order (console buttons)."
    )
    history: list[CaseEventOut] = Field(description="The audit trail, oldest first.")
    alerts: list[str] = Field(description="Ids of the alerts linked to the case.")
    roll_call: list[RollCallOut] = Field(description="Departments summoned by a whistle.")
    may_whistle: bool = Field(description="You may summon departments (吹哨) to this case now.")


class PhotoOut(BaseModel):
    id: str = Field(description="The photo's SHA-256; name it in `photos` when resolving.")
    media_type: str
    bytes: int
    url: str = Field(description="Where to GET it (with your token).")


PhotoIds = Annotated[
    list[Annotated[str, StringConstraints(pattern="^[0-9a-f]{64}$")]], Field(max_length=10)
]


class CaseActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason | None = Field(default=None, description="Required by some actions.")
    note: Reason | None = Field(default=None, description="Kept in the audit row's data.")
    photos: PhotoIds = Field(
        default_factory=list,
        description="Photos attached to the case (POST .../photos) shown with it.",
    )
    department_id: DepartmentId | None = Field(default=None, description="For assign, reassign.")
    extension_s: float | None = Field(
        default=None, gt=0, le=90 * 86400, description="Working seconds, for approve_extension."
    )


class Summoned(BaseModel):
    model_config = ConfigDict(extra="forbid")
    department_id: DepartmentId
    role: str = Field(pattern="^(lead|assist)$")


class WhistleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    departments: list[Summoned] = Field(min_length=1, max_length=20)
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class CheckInBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    department_id: DepartmentId | None = Field(
        default=None, description="Default: your own department."
    )


class CheckedIn(BaseModel):
    department_id: str
    state: str = Field(description="came or late.")


class Whistled(BaseModel):
    summons_ids: list[int]


class CardsOut(BaseModel):
    department_id: str | None
    yellow: int
    red: int


class KpisOut(BaseModel):
    start: datetime
    end: datetime
    department_id: str | None
    district_code: str
    opened: int
    closed: int
    closed_of_opened: int
    closure_rate: float | None = Field(description="办结率: share of the cohort closed by now.")
    on_time_rate: float | None = Field(description="按期办结率: closed with no late stage.")
    followed_up: int
    satisfaction_rate: float | None = Field(description="回访满意率.")
    mean_sign_for_s: float | None = Field(description="Working seconds, opening to sign-for.")
    mean_resolve_s: float | None = Field(description="Working seconds, opening to resolution.")
    overdue_now: int
    cards: list[CardsOut]
