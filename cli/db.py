"""`gridwatch db …`: schema migrations."""

from __future__ import annotations

import typer

from cli.context import settings_from
from config.redact import redact_url
from registry.db import make_engine
from registry.migrate import current_revision, head_revision, upgrade

app = typer.Typer(help="Database schema migrations (Alembic).", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(ctx: typer.Context, revision: str = "head") -> None:
    """Migrate the database to REVISION (default: the newest)."""
    settings = settings_from(ctx)
    url = settings.resolved_database_url
    engine = make_engine(url)
    upgrade(engine, revision)
    typer.echo(f"{redact_url(url)}: schema at {current_revision(engine)}")


@app.command("current")
def current_command(ctx: typer.Context) -> None:
    """Show the schema revision of the database and the newest one the code knows."""
    engine = make_engine(settings_from(ctx).resolved_database_url)
    typer.echo(f"database: {current_revision(engine) or 'empty'}; code: {head_revision()}")
