"""Login, lock-out, refresh rotation, logout, expiry and API tokens over HTTP."""

from __future__ import annotations

import jwt
from fastapi.testclient import TestClient

from api.app import create_app
from config.settings import Settings
from registry.db import SessionFactory
from tests.api.conftest import PASSWORD, FakeClock, Tokens

LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"
PROBLEM = "https://gridwatch.example/problems/"


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, object]:
    response = client.post(LOGIN, json={"username": username, "password": password})
    body: dict[str, object] = response.json()
    body["_status"] = response.status_code
    return body


def bearer(token: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_login_gives_a_working_pair_and_me_says_who(
    client: TestClient, user_ids: dict[str, int]
) -> None:
    pair = login(client, "operator-a")
    assert pair["_status"] == 200
    assert pair["token_type"] == "bearer"
    me = client.get(ME, headers=bearer(pair["access_token"]))
    assert me.status_code == 200
    assert me.json()["username"] == "operator-a"
    assert me.json()["district_code"] == "150402001"
    assert me.json()["via"] == "access_token"


def test_wrong_password_is_a_problem_document(client: TestClient, user_ids: dict[str, int]) -> None:
    response = client.post(LOGIN, json={"username": "operator-a", "password": "not it at all"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == PROBLEM + "login-failed"
    unknown = client.post(LOGIN, json={"username": "nobody", "password": "not it at all"})
    assert unknown.json()["type"] == PROBLEM + "login-failed"  # same answer: no user probing


def test_lock_out_survives_a_restart_and_ends_after_its_time(
    client: TestClient,
    tree: SessionFactory,
    settings: Settings,
    clock: FakeClock,
    user_ids: dict[str, int],
) -> None:
    for _ in range(settings.login_max_failures - 1):
        assert login(client, "handler-a", "wrong password!")["_status"] == 401
    locked = login(client, "handler-a", "wrong password!")
    assert locked["_status"] == 429
    assert locked["type"] == PROBLEM + "locked-out"
    # The right password does not open a locked account, in another process either.
    with TestClient(create_app(settings, tree, clock)) as restarted:
        assert login(restarted, "handler-a")["_status"] == 429
        clock.advance(settings.login_lockout_s + 1)
        assert login(restarted, "handler-a")["_status"] == 200
    # Others were never locked.
    assert login(client, "operator-a")["_status"] == 200


def test_refresh_rotates_and_a_reused_token_revokes_the_login(
    client: TestClient, user_ids: dict[str, int]
) -> None:
    first = login(client, "operator-a")
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    replay = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    assert replay.json()["type"] == PROBLEM + "token-invalid"
    # The replay revoked the whole family: the legitimate successor is dead too.
    successor = second.json()["refresh_token"]
    dead = client.post("/api/v1/auth/refresh", json={"refresh_token": successor})
    assert dead.status_code == 401


def test_logout_revokes_the_refresh_token(client: TestClient, user_ids: dict[str, int]) -> None:
    pair = login(client, "operator-a")
    out = client.post("/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]})
    assert out.status_code == 204
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 401


def test_expired_forged_and_voided_access_tokens_are_refused(
    client: TestClient, tokens: Tokens, clock: FakeClock, settings: Settings
) -> None:
    headers = tokens.headers("operator-a")
    assert client.get(ME, headers=headers).status_code == 200
    clock.advance(settings.access_token_ttl_s)
    expired = client.get(ME, headers=headers)
    assert expired.status_code == 401
    assert expired.json()["type"] == PROBLEM + "unauthenticated"
    # alg=none and a token signed with another key are refused.
    claims = {"sub": "1", "iat": 1, "exp": 4_000_000_000, "typ": "access"}
    unsigned = jwt.encode(claims, key=None, algorithm="none")  # type: ignore[arg-type]
    assert client.get(ME, headers=bearer(unsigned)).status_code == 401
    other = jwt.encode(claims, "another key of at least thirty-two chars", algorithm="HS256")
    assert client.get(ME, headers=bearer(other)).status_code == 401


def test_disabling_or_resetting_a_user_voids_their_tokens(
    client: TestClient, tokens: Tokens, user_ids: dict[str, int], clock: FakeClock
) -> None:
    victim = tokens.headers("handler-a")
    admin = tokens.headers("admin-a")
    clock.advance(1)
    response = client.patch(
        f"/api/v1/users/{user_ids['handler-a']}", json={"disabled": True}, headers=admin
    )
    assert response.status_code == 200
    assert response.json()["disabled"] is True
    assert client.get(ME, headers=victim).status_code == 401
    assert login(client, "handler-a")["_status"] == 401


def test_api_tokens_are_scoped_shown_once_and_revocable(client: TestClient, tokens: Tokens) -> None:
    owner = tokens.headers("maintainer-a")
    created = client.post(
        "/api/v1/auth/tokens",
        json={"name": "big screen", "scopes": ["cameras:read"]},
        headers=owner,
    )
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("gwa_")
    listed = client.get("/api/v1/auth/tokens", headers=owner).json()
    assert [t["name"] for t in listed] == ["big screen"]
    assert "token" not in listed[0]
    me = client.get(ME, headers=bearer(token)).json()
    assert me["via"] == "api_token"
    assert me["permissions"] == ["cameras:read"]
    # Outside its scopes: 403, even where the owner's role would be allowed.
    assert client.get("/api/v1/auth/tokens", headers=bearer(token)).status_code == 403
    revoked = client.delete(f"/api/v1/auth/tokens/{created.json()['id']}", headers=owner)
    assert revoked.status_code == 204
    assert client.get(ME, headers=bearer(token)).status_code == 401


def test_a_token_cannot_grant_more_than_its_role(client: TestClient, tokens: Tokens) -> None:
    response = client.post(
        "/api/v1/auth/tokens",
        json={"name": "sneaky", "scopes": ["users:admin"]},
        headers=tokens.headers("operator-a"),
    )
    assert response.status_code == 403
    viewer = client.post(
        "/api/v1/auth/tokens",
        json={"name": "mine", "scopes": ["cameras:read"]},
        headers=tokens.headers("viewer-a"),
    )
    assert viewer.status_code == 403
