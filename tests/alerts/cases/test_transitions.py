"""The lifecycle table: one test per named rule, and the refusals."""

from __future__ import annotations

import pytest

from alerts.cases.transitions import (
    RULES,
    IllegalTransition,
    Rule,
    Scope,
    TransitionRefused,
    allowed_actions,
    decide,
)
from alerts.cases.vocabulary import SYSTEM_ACTOR, CaseAction, CaseStatus

EXPECTED = {
    "accept_report": ({"reported"}, "accepted"),
    "assign_to_department": ({"accepted", "returned"}, "assigned"),
    "reassign_department": ({"assigned", "in_progress", "reopened"}, "assigned"),
    "return_to_dispatch": ({"assigned"}, "returned"),
    "sign_for": ({"assigned", "reopened"}, "in_progress"),
    "request_extension": ({"in_progress"}, "extension_pending"),
    "approve_extension": ({"extension_pending"}, "in_progress"),
    "reject_extension": ({"extension_pending"}, "in_progress"),
    "resolve": ({"in_progress"}, "resolved"),
    "check_failed": ({"resolved"}, "in_progress"),
    "close_after_check": ({"resolved"}, "closed"),
    "verified_close": ({"resolved"}, "closed"),
    "follow_up_satisfied": ({"closed"}, "followed_up"),
    "follow_up_dissatisfied": ({"closed"}, "reopened"),
    "reopen_on_recurrence": ({"closed", "followed_up", "archived"}, "reopened"),
    "archive": ({"followed_up"}, "archived"),
}


def test_every_rule_is_tested_here() -> None:
    assert {rule.name for rule in RULES} == set(EXPECTED)


@pytest.mark.parametrize("rule", RULES, ids=[rule.name for rule in RULES])
def test_rule(rule: Rule) -> None:
    sources, target = EXPECTED[rule.name]
    assert {str(s) for s in rule.sources} == sources
    assert rule.target == target
    camera_fault = rule.scope is Scope.CAMERA_FAULT
    actor = SYSTEM_ACTOR if rule.system_only else "li.wei"
    for source in rule.sources:
        assert (
            decide(source, rule.action, camera_fault=camera_fault, actor=actor, reason="r") == rule
        )
    if rule.requires_reason:
        with pytest.raises(TransitionRefused, match="needs a reason"):
            decide(next(iter(rule.sources)), rule.action, camera_fault=camera_fault, actor=actor)
    if rule.system_only:
        with pytest.raises(TransitionRefused, match="system only"):
            decide(
                next(iter(rule.sources)),
                rule.action,
                camera_fault=camera_fault,
                actor="li.wei",
                reason="r",
            )


def test_illegal_move_names_the_allowed_ones() -> None:
    with pytest.raises(IllegalTransition) as caught:
        decide(CaseStatus.REPORTED, CaseAction.RESOLVE, camera_fault=False, actor="li.wei")
    assert str(caught.value) == (
        "cannot resolve a case that is reported; allowed from reported: accept"
    )
    assert caught.value.allowed == [CaseAction.ACCEPT]


def test_finished_case_allows_nothing_but_reopen_or_archive() -> None:
    with pytest.raises(IllegalTransition, match="allowed from archived: reopen_recurrence"):
        decide(CaseStatus.ARCHIVED, CaseAction.SIGN_FOR, camera_fault=False, actor="x")


def test_camera_fault_case_is_not_closed_on_a_handlers_word() -> None:
    with pytest.raises(TransitionRefused, match="not closed on a handler's word"):
        decide(CaseStatus.RESOLVED, CaseAction.CLOSE, camera_fault=True, actor="li.wei")
    assert CaseAction.CLOSE not in allowed_actions(CaseStatus.RESOLVED, camera_fault=True)


def test_other_cases_cannot_take_the_verified_close() -> None:
    with pytest.raises(IllegalTransition, match="allowed from resolved: check_failed, close"):
        decide(
            CaseStatus.RESOLVED, CaseAction.VERIFIED_CLOSE, camera_fault=False, actor=SYSTEM_ACTOR
        )
