"""`gridwatch` — camera-feed aggregation and alerting hub for district command centers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli import analyze, bench, cases, context, credentials, db, export, importing, simulate, users
from cli.alerts import alerts_command
from cli.api import api_command
from cli.broker import broker_command
from cli.demo import demo_command
from cli.ingest import ingest_command
from cli.workers import workers_command

app = typer.Typer(
    name="gridwatch",
    help="Camera registry, health and motion checks, events and alerts for command centers.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help="YAML settings file (also GRIDWATCH_CONFIG).", envvar=None
        ),
    ] = None,
) -> None:
    """Settings come from defaults < YAML file < GRIDWATCH_* environment variables."""
    context.init(ctx, config)


app.add_typer(db.app, name="db")
app.add_typer(importing.app, name="import")
app.add_typer(export.app, name="export")
app.add_typer(simulate.app, name="simulate")
app.add_typer(bench.app, name="bench")
app.add_typer(cases.app, name="cases")
app.command("ingest")(ingest_command)
app.command("alerts")(alerts_command)
app.command("workers")(workers_command)
app.command("demo")(demo_command)
app.command("broker")(broker_command)
app.command("analyze")(analyze.analyze)
app.add_typer(users.app, name="users")
app.add_typer(credentials.app, name="credentials")
app.command("api")(api_command)


if __name__ == "__main__":
    app()
