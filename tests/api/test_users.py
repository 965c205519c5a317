"""User administration over HTTP, and `gridwatch users` on the command line."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app as cli_app
from registry.auth_tables import User
from registry.db import SessionFactory
from registry.users import verify_password
from tests.api.conftest import Tokens

USERS = "/api/v1/users"


def test_admin_sees_and_creates_users_of_their_subtree_only(
    client: TestClient, tokens: Tokens, user_ids: dict[str, int]
) -> None:
    admin_a = tokens.headers("admin-a")
    names = {u["username"] for u in client.get(USERS, headers=admin_a).json()}
    assert "handler-b" not in names
    assert {"admin-a", "handler-a", "viewer-a"} <= names
    assert "password_hash" not in client.get(USERS, headers=admin_a).json()[0]
    outside = client.get(f"{USERS}/{user_ids['handler-b']}", headers=admin_a)
    assert outside.status_code == 404
    made = client.post(
        USERS,
        json={
            "username": "new-a",
            "password": "a long passphrase",
            "role": "viewer",
            "district_code": "150402001001",
        },
        headers=admin_a,
    )
    assert made.status_code == 201
    elsewhere = client.post(
        USERS,
        json={
            "username": "new-b",
            "password": "a long passphrase",
            "role": "viewer",
            "district_code": "150402002",
        },
        headers=admin_a,
    )
    assert elsewhere.status_code == 422
    again = client.post(
        USERS,
        json={
            "username": "new-a",
            "password": "a long passphrase",
            "role": "viewer",
            "district_code": "150402001",
        },
        headers=admin_a,
    )
    assert again.status_code == 409
    assert client.get(USERS, headers=tokens.headers("operator-a")).status_code == 403


def test_admin_cannot_disable_themselves(
    client: TestClient, tokens: Tokens, user_ids: dict[str, int]
) -> None:
    response = client.patch(
        f"{USERS}/{user_ids['admin-a']}", json={"disabled": True}, headers=tokens.headers("admin-a")
    )
    assert response.status_code == 409


def test_users_command_creates_the_first_admin_from_stdin(tree: SessionFactory) -> None:
    url = tree.kw["bind"].url.render_as_string(hide_password=False)
    env = {"GRIDWATCH_DATABASE_URL": url}
    runner = CliRunner()
    added = runner.invoke(
        cli_app,
        ["users", "add", "chief", "--role", "admin", "--district", "150400", "--password-stdin"],
        input="first admin passphrase\n",
        env=env,
    )
    assert added.exit_code == 0, added.output
    short = runner.invoke(
        cli_app,
        ["users", "add", "weak", "--role", "viewer", "--district", "150400", "--password-stdin"],
        input="short\n",
        env=env,
    )
    assert short.exit_code == 2
    listed = runner.invoke(cli_app, ["users", "list"], env=env)
    assert "chief" in listed.output
    assert "admin" in listed.output
    reset = runner.invoke(
        cli_app,
        ["users", "reset-password", "chief", "--password-stdin"],
        input="second admin passphrase\n",
        env=env,
    )
    assert reset.exit_code == 0, reset.output
    disabled = runner.invoke(cli_app, ["users", "disable", "chief"], env=env)
    assert disabled.exit_code == 0, disabled.output
    with tree() as session:
        chief = session.scalar(select(User).where(User.username == "chief"))
        assert chief is not None
        assert chief.disabled
        assert chief.password_hash.startswith("$argon2id$")
        assert verify_password(chief.password_hash, "second admin passphrase")
        assert "passphrase" not in chief.password_hash
    missing = runner.invoke(cli_app, ["users", "disable", "nobody"], env=env)
    assert missing.exit_code == 2
    assert "no user" in missing.output
