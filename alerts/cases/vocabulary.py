"""The workflow's words: statuses, actions, stages, supervision levels, whistle roles."""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    REPORTED = "reported"
    ACCEPTED = "accepted"
    ASSIGNED = "assigned"
    RETURNED = "returned"
    IN_PROGRESS = "in_progress"
    EXTENSION_PENDING = "extension_pending"
    RESOLVED = "resolved"
    CLOSED = "closed"
    FOLLOWED_UP = "followed_up"
    ARCHIVED = "archived"
    REOPENED = "reopened"


# A case in one of these no longer holds its fingerprint: a new alert may open a new case.
FINISHED = frozenset({CaseStatus.CLOSED, CaseStatus.FOLLOWED_UP, CaseStatus.ARCHIVED})
OPEN_STATUSES = tuple(s for s in CaseStatus if s not in FINISHED)


class CaseAction(StrEnum):
    OPEN = "open"
    ACCEPT = "accept"
    ASSIGN = "assign"
    REASSIGN = "reassign"
    RETURN = "return"
    SIGN_FOR = "sign_for"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REJECT_EXTENSION = "reject_extension"
    RESOLVE = "resolve"
    CHECK_FAILED = "check_failed"
    CLOSE = "close"
    VERIFIED_CLOSE = "verified_close"
    FOLLOW_UP = "follow_up"
    FOLLOW_UP_DISSATISFIED = "follow_up_dissatisfied"
    REOPEN_RECURRENCE = "reopen_recurrence"
    ARCHIVE = "archive"
    # Not transitions: audit rows that leave the status where it is.
    LINK_ALERT = "link_alert"
    RECOMPUTE_DEADLINE = "recompute_deadline"
    SUPERVISE = "supervise"
    WHISTLE = "whistle"
    CHECK_IN = "check_in"
    ATTACH_PHOTO = "attach_photo"


class Stage(StrEnum):
    """The stage whose deadline runs; each has its own SLA."""

    ACCEPT = "accept"
    SIGN_FOR = "sign_for"
    HANDLE = "handle"
    VERIFY = "verify"


STAGE_OF: dict[CaseStatus, Stage | None] = {
    CaseStatus.REPORTED: Stage.ACCEPT,
    CaseStatus.ACCEPTED: Stage.ACCEPT,
    CaseStatus.RETURNED: Stage.ACCEPT,
    CaseStatus.ASSIGNED: Stage.SIGN_FOR,
    CaseStatus.REOPENED: Stage.SIGN_FOR,
    CaseStatus.IN_PROGRESS: Stage.HANDLE,
    CaseStatus.EXTENSION_PENDING: Stage.HANDLE,
    CaseStatus.RESOLVED: Stage.VERIFY,
    CaseStatus.CLOSED: None,
    CaseStatus.FOLLOWED_UP: None,
    CaseStatus.ARCHIVED: None,
}


class Supervision(StrEnum):
    """督办 overlay on a stage or a whistle check-in; never a status."""

    NONE = "none"
    YELLOW = "yellow"
    RED = "red"


class WhistleRole(StrEnum):
    LEAD = "lead"
    ASSIST = "assist"


class CheckInState(StrEnum):
    """What the case shows for each summoned department."""

    CAME = "came"
    LATE = "late"
    WAITING = "waiting"
    NEVER_CAME = "never_came"


class FollowUpResult(StrEnum):
    SATISFIED = "satisfied"
    DISSATISFIED = "dissatisfied"


SYSTEM_ACTOR = "system"
