"""Case routes on cases opened through the case workflow from real alerts: the list with
its filters and keyset pagination, scope, the next actions, the lifecycle through
`commands.act` with its audit rows, an illegal move's problem, whistle and check-in, KPIs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from registry.db import SessionFactory
from tests.api.alert_fixtures import Alerts, open_case
from tests.api.conftest import FakeClock, Tokens

CODES = ["BLURRED", "FROZEN", "TOO_DARK", "OVEREXPOSED", "OCCLUDED"]


@pytest.fixture
def made(tree: SessionFactory, cameras: dict[str, str], clock: FakeClock) -> Alerts:
    return Alerts(tree, clock)


@pytest.fixture
def new_case(app: FastAPI, made: Alerts, clock: FakeClock) -> Any:
    workflow = app.state.context.workflow

    def make(camera_id: str, code: str = "BLURRED") -> int:
        return open_case(made.db, workflow, made.fault(camera_id, code), clock())

    return make


def act(client: TestClient, tokens: Tokens, user: str, case_id: int, action: str,
        **body: Any) -> Any:  # fmt: skip
    return client.post(
        f"/api/v1/cases/{case_id}/actions/{action}", json=body, headers=tokens.headers(user)
    )


def test_scope_township_a_never_sees_b(client: TestClient, tokens: Tokens, new_case: Any) -> None:
    mine, theirs = new_case("cam-a1"), new_case("cam-b1")
    listed = client.get("/api/v1/cases", headers=tokens.headers("operator-a")).json()
    assert [c["id"] for c in listed["items"]] == [mine]
    assert (
        client.get(f"/api/v1/cases/{theirs}", headers=tokens.headers("operator-a")).status_code
        == 404
    )
    assert act(client, tokens, "operator-a", theirs, "accept").status_code == 404
    b = client.get("/api/v1/cases", headers=tokens.headers("handler-b")).json()
    assert [c["id"] for c in b["items"]] == [theirs]
    root = client.get("/api/v1/cases", headers=tokens.headers("root")).json()
    assert {c["id"] for c in root["items"]} == {mine, theirs}


def test_lifecycle_next_actions_and_audit(
    client: TestClient, tokens: Tokens, new_case: Any, clock: FakeClock
) -> None:
    case_id = new_case("cam-a1")
    detail = client.get(f"/api/v1/cases/{case_id}", headers=tokens.headers("operator-a")).json()
    assert detail["status"] == "reported"
    assert [a["action"] for a in detail["next_actions"]] == ["accept"]
    assert detail["alerts"]
    viewer = client.get(f"/api/v1/cases/{case_id}", headers=tokens.headers("viewer-a")).json()
    assert viewer["next_actions"] == []
    # An illegal move names the allowed ones.
    illegal = act(client, tokens, "operator-a", case_id, "resolve", reason="done")
    assert illegal.status_code == 409
    problem = illegal.json()
    assert problem["type"].endswith("/illegal-transition")
    assert problem["allowed"] == ["accept"]
    assert problem["case_status"] == "reported"
    assert act(client, tokens, "operator-a", case_id, "fly").status_code == 422
    assert act(client, tokens, "operator-a", case_id, "accept").json()["status"] == "accepted"
    assert (
        act(client, tokens, "operator-a", case_id, "assign", department_id="nope").status_code
        == 422
    )
    assigned = act(client, tokens, "operator-a", case_id, "assign", department_id="qb-urban").json()
    assert assigned["status"] == "assigned"
    assert assigned["department_id"] == "qb-urban"
    handler = client.get(f"/api/v1/cases/{case_id}", headers=tokens.headers("handler-a")).json()
    assert [a["action"] for a in handler["next_actions"]] == ["return", "sign_for"]
    assert act(client, tokens, "handler-a", case_id, "reassign", reason="x").status_code == 403
    clock.advance(600)
    assert act(client, tokens, "handler-a", case_id, "sign_for").json()["status"] == "in_progress"
    no_reason = act(client, tokens, "handler-a", case_id, "resolve")
    assert no_reason.status_code == 409
    assert no_reason.json()["type"].endswith("/action-refused")
    resolved = act(client, tokens, "handler-a", case_id, "resolve", reason="cleaned the lens",
                   note="photo in ticket 7")  # fmt: skip
    assert resolved.json()["status"] == "resolved"
    assert act(client, tokens, "handler-a", case_id, "close").status_code == 403
    closed = act(client, tokens, "operator-a", case_id, "close").json()
    assert closed["status"] == "closed"
    assert [a["action"] for a in closed["next_actions"]] == ["follow_up", "follow_up_dissatisfied"]
    trail = [(e["action"], e["actor"]) for e in closed["history"]]
    assert trail == [
        ("open", "operator-a"),
        ("link_alert", "operator-a"),
        ("accept", "operator-a"),
        ("assign", "operator-a"),
        ("sign_for", "handler-a"),
        ("resolve", "handler-a"),
        ("close", "operator-a"),
    ]
    assert closed["history"][5]["data"]["note"] == "photo in ticket 7"
    # A handler of another township sees nothing of it.
    assert act(client, tokens, "handler-b", case_id, "follow_up").status_code == 404


def test_filters_and_keyset_pages(
    client: TestClient, tokens: Tokens, new_case: Any, clock: FakeClock
) -> None:
    headers = tokens.headers("operator-a")
    ids = []
    for code in CODES:
        ids.append(new_case("cam-a1", code))
        clock.advance(60)
    act(client, tokens, "operator-a", ids[0], "accept")
    act(client, tokens, "operator-a", ids[0], "assign", department_id="qb-urban")

    def listed(query: str, user: str = "operator-a") -> list[int]:
        response = client.get(f"/api/v1/cases?{query}", headers=tokens.headers(user))
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["items"]]

    assert listed("") == ids[::-1]
    assert listed("status=assigned") == [ids[0]]
    assert listed("stage=sign_for") == [ids[0]]
    assert listed("department=qb-urban") == [ids[0]]
    assert listed("mine=true", "handler-a") == [ids[0]]
    assert listed("mine=true") == []  # operator-a has no department
    assert listed("district=150402001001") == ids[::-1]
    assert listed("overdue=true") == []
    clock.advance(30 * 86400)
    assert listed("overdue=true") == ids[::-1]
    # Pages: a new case arrives between them; neither a repeat nor a hole.
    headers = tokens.headers("operator-a")  # a token of the new virtual time
    first = client.get("/api/v1/cases?limit=2", headers=headers).json()
    newer = new_case("cam-a2")
    seen = [c["id"] for c in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(f"/api/v1/cases?limit=2&cursor={cursor}", headers=headers).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
    assert seen == ids[::-1]
    assert newer not in seen
    assert client.get("/api/v1/cases?district=150402002", headers=headers).status_code == 404


def test_whistle_and_check_in(client: TestClient, tokens: Tokens, new_case: Any) -> None:
    case_id = new_case("cam-a2")  # a township case: whistles are for level 3
    summons = {"departments": [{"department_id": "qb-urban", "role": "lead"}], "reason": "flood"}
    denied = client.post(
        f"/api/v1/cases/{case_id}/whistle", json=summons, headers=tokens.headers("handler-a")
    )
    assert denied.status_code == 403
    blown = client.post(
        f"/api/v1/cases/{case_id}/whistle", json=summons, headers=tokens.headers("operator-a")
    )
    assert blown.status_code == 201, blown.text
    listed = client.get("/api/v1/cases?mine=true", headers=tokens.headers("handler-a")).json()
    assert [c["id"] for c in listed["items"]] == [case_id]
    came = client.post(
        f"/api/v1/cases/{case_id}/check-in", json={}, headers=tokens.headers("handler-a")
    )
    assert came.status_code == 200, came.text
    assert came.json() == {"department_id": "qb-urban", "state": "came"}
    again = client.post(
        f"/api/v1/cases/{case_id}/check-in", json={}, headers=tokens.headers("handler-a")
    )
    assert again.status_code == 409
    detail = client.get(f"/api/v1/cases/{case_id}", headers=tokens.headers("viewer-a")).json()
    assert [(r["department_id"], r["state"]) for r in detail["roll_call"]] == [("qb-urban", "came")]
    assert [e["action"] for e in detail["history"]][-2:] == ["whistle", "check_in"]
    village = new_case("cam-a1")
    refused = client.post(
        f"/api/v1/cases/{village}/whistle", json=summons, headers=tokens.headers("operator-a")
    )
    assert refused.status_code == 409


def test_kpis_are_scoped(
    client: TestClient, tokens: Tokens, new_case: Any, clock: FakeClock
) -> None:
    a = new_case("cam-a1")
    new_case("cam-b1")
    act(client, tokens, "operator-a", a, "accept")
    clock.advance(60)

    def figures(user: str, query: str = "") -> Any:
        response = client.get(f"/api/v1/kpis?{query}", headers=tokens.headers(user))
        assert response.status_code == 200, response.text
        return response.json()

    assert figures("operator-a")["opened"] == 1
    assert figures("root")["opened"] == 2
    assert figures("root", "district=150402002")["opened"] == 1
    assert figures("root", "department=qb-urban")["opened"] == 0
    later = clock().isoformat().replace("+00:00", "Z")
    after = (clock() + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert figures("root", f"from={later}&to={after}")["opened"] == 0
    assert (
        client.get(
            "/api/v1/kpis?district=150402002", headers=tokens.headers("operator-a")
        ).status_code
        == 404
    )
    assert (
        client.get(
            f"/api/v1/kpis?from={later}&to={later}", headers=tokens.headers("root")
        ).status_code
        == 422
    )


def test_district_roll_up_counts_open_alerts_and_cases(
    client: TestClient, tokens: Tokens, made: Alerts, new_case: Any
) -> None:
    made.offline("cam-a1")
    made.offline("cam-b1")
    new_case("cam-a2")
    nodes = client.get("/api/v1/districts", headers=tokens.headers("root")).json()
    by_code = {n["code"]: n for n in nodes}
    # The village's offline alert, plus the township's fault alert that opened the case.
    assert (by_code["150402001001"]["open_alerts"], by_code["150402001001"]["open_cases"]) == (1, 0)
    assert (by_code["150402001"]["open_alerts"], by_code["150402001"]["open_cases"]) == (2, 1)
    assert (by_code["150402"]["open_alerts"], by_code["150402"]["open_cases"]) == (3, 1)
    assert (by_code["150400"]["open_alerts"], by_code["150400"]["open_cases"]) == (3, 1)
