"""`gridwatch users …`: create, list, disable and reset users (the first admin too).

Passwords are read from a hidden prompt (asked twice) or, for scripts, from the first
line of standard input with `--password-stdin`; never from the command line, where
they would land in the shell history and the process list.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli.context import settings_from
from cli.registry_access import open_registry
from registry.auth_tables import Role
from registry.db import transaction
from registry.users import (
    UserInvalid,
    check_password_strength,
    create_user,
    list_users,
    set_disabled,
    set_password,
)

app = typer.Typer(help="Users of the API and console (the first admin is made here).")

PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
]


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        check_password_strength(password)
    except UserInvalid as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    return password


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(2)


@app.command("add")
def add_command(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name (no spaces).")],
    role: Annotated[Role, typer.Option(help="admin, operator, maintainer, handler or viewer.")],
    district: Annotated[str, typer.Option(help="District code: the user sees this subtree.")],
    department: Annotated[str | None, typer.Option(help="Department id (case handlers).")] = None,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a user. The first admin of a fresh installation is created this way."""
    password = _read_password(password_stdin)
    _engine, factory = open_registry(settings_from(ctx))
    try:
        with transaction(factory) as session:
            user = create_user(
                session,
                username,
                password,
                role,
                district,
                department_id=department,
                display_name=name,
                now=datetime.now(UTC),
            )
            typer.echo(f"user {user.username} ({user.role}, district {user.district_code}) added")
    except UserInvalid as exc:
        raise _fail(exc) from exc


@app.command("list")
def list_command(ctx: typer.Context) -> None:
    """Every user with role, district and whether they are disabled."""
    _engine, factory = open_registry(settings_from(ctx))
    table = Table()
    for column in ("user", "role", "district", "department", "state"):
        table.add_column(column)
    with factory() as session:
        for user in list_users(session):
            table.add_row(
                user.username,
                user.role,
                user.district_code,
                user.department_id or "",
                "disabled" if user.disabled else "active",
            )
    Console().print(table)


@app.command("disable")
def disable_command(
    ctx: typer.Context,
    username: str,
    enable: Annotated[bool, typer.Option("--enable", help="Re-enable instead.")] = False,
) -> None:
    """Disable a user (their tokens stop working at once), or re-enable with --enable."""
    _engine, factory = open_registry(settings_from(ctx))
    try:
        with transaction(factory) as session:
            set_disabled(session, username, not enable, datetime.now(UTC))
    except UserInvalid as exc:
        raise _fail(exc) from exc
    typer.echo(f"user {username} {'enabled' if enable else 'disabled'}")


@app.command("reset-password")
def reset_password_command(
    ctx: typer.Context, username: str, password_stdin: PasswordStdin = False
) -> None:
    """Set a new password; the user's sessions end and the lock-out is lifted."""
    password = _read_password(password_stdin)
    _engine, factory = open_registry(settings_from(ctx))
    try:
        with transaction(factory) as session:
            set_password(session, username, password, datetime.now(UTC))
    except UserInvalid as exc:
        raise _fail(exc) from exc
    typer.echo(f"password of {username} reset")
