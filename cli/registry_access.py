"""Opening the registry database for a command, with errors a user can act on."""

from __future__ import annotations

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from config.redact import redact_url
from config.settings import Settings
from registry.db import SessionFactory, make_engine, make_session_factory
from registry.keyfiles import KeyFileUnsafe
from registry.migrate import SchemaOutOfDate, ensure_schema
from registry.secrets import CredentialKeyError, credential_cipher, seal_plain_credentials


def open_registry(settings: Settings) -> tuple[Engine, SessionFactory]:
    url = settings.resolved_database_url
    engine = make_engine(url)
    try:
        ensure_schema(engine)
    except SchemaOutOfDate as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except OperationalError as exc:
        typer.echo(f"error: cannot reach the database {redact_url(url)}: {exc.orig}", err=True)
        raise typer.Exit(2) from exc
    try:
        factory = make_session_factory(engine, credential_cipher(settings))
        sealed = seal_plain_credentials(factory)
    except (CredentialKeyError, KeyFileUnsafe) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if sealed:
        typer.echo(f"encrypted {sealed} camera passwords stored in clear before 0006", err=True)
    return engine, factory
