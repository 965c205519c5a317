"""Who may take which case action: a pure decision over the role, the case and the move.

Dispatch (accept, assign, approve an extension, close after the check, follow up) is the
command center's: operators and administrators, anywhere in their subtree. A handler
works the cases of their own department only, and only the department's moves.
"""

from __future__ import annotations

from alerts.cases.transitions import RULES, allowed_actions
from alerts.cases.vocabulary import CaseAction, CaseStatus
from registry.auth_tables import Role

A = CaseAction
HANDLER_ACTIONS = frozenset({A.SIGN_FOR, A.RETURN, A.REQUEST_EXTENSION, A.RESOLVE})
_SYSTEM_ONLY = frozenset(rule.action for rule in RULES if rule.system_only)
_NEEDS_REASON = {rule.action: rule.requires_reason for rule in RULES}


def refusal(
    role: str, department_id: str | None, case_department: str | None, action: CaseAction
) -> str | None:
    """Why this caller may not take `action` on a case of `case_department`; None: they may."""
    if role in (Role.ADMIN, Role.OPERATOR):
        return None
    if role != Role.HANDLER:
        return f"role {role} does not act on cases"
    if department_id is None or department_id != case_department:
        return "a handler acts only on cases assigned to their own department"
    if action not in HANDLER_ACTIONS:
        names = ", ".join(sorted(HANDLER_ACTIONS))
        return f"{action} is the command center's; a handler may {names}"
    return None


def next_actions(
    role: str,
    department_id: str | None,
    case_department: str | None,
    status: CaseStatus,
    camera_fault: bool,
    may_act: bool,
) -> list[tuple[CaseAction, bool]]:
    """(action, requires a reason) the caller may take now, in the table's order."""
    if not may_act:
        return []
    return [
        (action, _NEEDS_REASON[action])
        for action in allowed_actions(status, camera_fault=camera_fault)
        if action not in _SYSTEM_ONLY
        and refusal(role, department_id, case_department, action) is None
    ]
