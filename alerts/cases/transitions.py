"""The case lifecycle as a table of named rules, and the pure function that applies it.

reported → accepted → assigned ─sign_for→ in_progress → resolved → closed → followed_up → archived
returned: the department sends an assigned case back to dispatch (reason required);
extension: in_progress ⇄ extension_pending (clock paused until approved or rejected);
reopened: dissatisfied follow-up or a recurrence; a failed check goes straight back to
in_progress. A camera-fault case closes only by `verified_close`, which the verifier
(actor `system`) takes after the alert stayed resolved long enough.

`decide` never touches a database: it answers which rule applies or raises
`IllegalTransition` naming the actions the status allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from alerts.cases.vocabulary import SYSTEM_ACTOR, CaseAction, CaseStatus

S = CaseStatus
A = CaseAction


class Scope(StrEnum):
    ANY = "any"
    CAMERA_FAULT = "camera_fault"
    NOT_CAMERA_FAULT = "not_camera_fault"


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    action: CaseAction
    sources: frozenset[CaseStatus]
    target: CaseStatus
    requires_reason: bool = False
    scope: Scope = Scope.ANY
    system_only: bool = False
    # A fresh clock even when the stage stays the same (a new department must sign for it).
    restarts_stage: bool = False


def _rule(
    name: str,
    action: CaseAction,
    sources: set[CaseStatus],
    target: CaseStatus,
    **options: bool | Scope,
) -> Rule:
    return Rule(name, action, frozenset(sources), target, **options)  # type: ignore[arg-type]


RULES: tuple[Rule, ...] = (
    _rule("accept_report", A.ACCEPT, {S.REPORTED}, S.ACCEPTED),
    _rule("assign_to_department", A.ASSIGN, {S.ACCEPTED, S.RETURNED}, S.ASSIGNED),
    _rule(
        "reassign_department",
        A.REASSIGN,
        {S.ASSIGNED, S.IN_PROGRESS, S.REOPENED},
        S.ASSIGNED,
        requires_reason=True,
        restarts_stage=True,
    ),
    _rule("return_to_dispatch", A.RETURN, {S.ASSIGNED}, S.RETURNED, requires_reason=True),
    _rule("sign_for", A.SIGN_FOR, {S.ASSIGNED, S.REOPENED}, S.IN_PROGRESS),
    _rule(
        "request_extension",
        A.REQUEST_EXTENSION,
        {S.IN_PROGRESS},
        S.EXTENSION_PENDING,
        requires_reason=True,
    ),
    _rule("approve_extension", A.APPROVE_EXTENSION, {S.EXTENSION_PENDING}, S.IN_PROGRESS),
    _rule(
        "reject_extension",
        A.REJECT_EXTENSION,
        {S.EXTENSION_PENDING},
        S.IN_PROGRESS,
        requires_reason=True,
    ),
    _rule("resolve", A.RESOLVE, {S.IN_PROGRESS}, S.RESOLVED, requires_reason=True),
    _rule(
        "check_failed",
        A.CHECK_FAILED,
        {S.RESOLVED},
        S.IN_PROGRESS,
        requires_reason=True,
        restarts_stage=True,
    ),
    _rule("close_after_check", A.CLOSE, {S.RESOLVED}, S.CLOSED, scope=Scope.NOT_CAMERA_FAULT),
    _rule(
        "verified_close",
        A.VERIFIED_CLOSE,
        {S.RESOLVED},
        S.CLOSED,
        scope=Scope.CAMERA_FAULT,
        system_only=True,
    ),
    _rule("follow_up_satisfied", A.FOLLOW_UP, {S.CLOSED}, S.FOLLOWED_UP),
    _rule(
        "follow_up_dissatisfied",
        A.FOLLOW_UP_DISSATISFIED,
        {S.CLOSED},
        S.REOPENED,
        requires_reason=True,
    ),
    _rule(
        "reopen_on_recurrence",
        A.REOPEN_RECURRENCE,
        {S.CLOSED, S.FOLLOWED_UP, S.ARCHIVED},
        S.REOPENED,
        requires_reason=True,
        system_only=True,
    ),
    _rule("archive", A.ARCHIVE, {S.FOLLOWED_UP}, S.ARCHIVED),
)

_BY_KEY: dict[tuple[CaseStatus, CaseAction], Rule] = {
    (source, rule.action): rule for rule in RULES for source in rule.sources
}


class CaseError(ValueError):
    """A case command that cannot be carried out; the message says why and what to do."""


class IllegalTransition(CaseError):
    def __init__(self, status: CaseStatus, action: CaseAction, allowed: list[CaseAction]) -> None:
        names = ", ".join(allowed) or "none (the case is finished)"
        super().__init__(f"cannot {action} a case that is {status}; allowed from {status}: {names}")
        self.status = status
        self.action = action
        self.allowed = allowed


class TransitionRefused(CaseError):
    """The move exists but not for this case or actor (reason missing, camera case, …)."""


def allowed_actions(status: CaseStatus, *, camera_fault: bool | None = None) -> list[CaseAction]:
    """Actions the table allows from `status`, in table order (optionally for one case kind)."""
    return [
        rule.action
        for rule in RULES
        if status in rule.sources and (camera_fault is None or _in_scope(rule, camera_fault))
    ]


def _in_scope(rule: Rule, camera_fault: bool) -> bool:
    if rule.scope is Scope.CAMERA_FAULT:
        return camera_fault
    if rule.scope is Scope.NOT_CAMERA_FAULT:
        return not camera_fault
    return True


def decide(
    status: CaseStatus,
    action: CaseAction,
    *,
    camera_fault: bool,
    actor: str,
    reason: str | None = None,
) -> Rule:
    """The rule moving a case in `status` by `action`, or an error naming what is allowed."""
    rule = _BY_KEY.get((status, action))
    if rule is None or not _in_scope(rule, camera_fault):
        if rule is not None and rule.scope is Scope.NOT_CAMERA_FAULT:
            raise TransitionRefused(
                f"a camera-fault case is not closed on a handler's word: it closes by itself "
                f"once the alert has stayed resolved (rule {rule.name})"
            )
        raise IllegalTransition(status, action, allowed_actions(status, camera_fault=camera_fault))
    if rule.system_only and actor != SYSTEM_ACTOR:
        raise TransitionRefused(f"{action} is taken by the system only (rule {rule.name})")
    if rule.requires_reason and not (reason and reason.strip()):
        raise TransitionRefused(f"{action} needs a reason (rule {rule.name})")
    return rule
