"""`gridwatch cases …`: the case workflow's scheduler, deadline recompute and KPIs."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from alerts.cases.kpis import KpiScope, kpis
from alerts.cases.recompute import recompute_estimated
from alerts.cases.supervision import SupervisionNotice, supervise
from alerts.cases.workflow import load_workflow
from cli.context import settings_from
from cli.registry_access import open_registry
from registry.tree import district_path

app = typer.Typer(help="Governance cases: supervision, deadlines, KPIs.", no_args_is_help=True)


def _now() -> datetime:
    return datetime.now(UTC)


def _print_notice(notice: SupervisionNotice) -> None:
    typer.echo(
        f"case {notice.case_id} {notice.subject}: {notice.level} card against "
        f"{notice.department_id or '-'}"
        + (f", escalated to {notice.escalated_to}" if notice.escalated_to else "")
    )


@app.command("supervise")
def supervise_command(
    ctx: typer.Context,
    every: Annotated[
        float, typer.Option(min=0, help="Seconds between passes; 0: one pass and exit.")
    ] = 0.0,
) -> None:
    """Raise the yellow/red cards that are due (safe to run in several places and to restart)."""
    settings = settings_from(ctx)
    workflow = load_workflow(settings)
    engine, factory = open_registry(settings)
    try:
        while True:
            supervise(factory, workflow, _now(), _print_notice)
            if every <= 0:
                return
            time.sleep(every)
    finally:
        engine.dispose()


@app.command("recompute")
def recompute_command(ctx: typer.Context) -> None:
    """Recompute estimated deadlines after the calendar file gained a year (audited)."""
    settings = settings_from(ctx)
    engine, factory = open_registry(settings)
    changed = recompute_estimated(factory, load_workflow(settings), _now())
    engine.dispose()
    typer.echo(f"{changed} deadlines recomputed")


@app.command("kpis")
def kpis_command(
    ctx: typer.Context,
    days: Annotated[int, typer.Option(min=1, help="Period: the last N days.")] = 30,
    department: Annotated[str | None, typer.Option(help="One department id.")] = None,
    district: Annotated[str | None, typer.Option(help="A district code: its subtree.")] = None,
) -> None:
    """Opened, closed, closure/on-time/satisfaction rates, working-time means, overdue, cards."""
    settings = settings_from(ctx)
    engine, factory = open_registry(settings)
    now = _now()
    with factory() as session:
        path = None
        if district is not None:
            path = district_path(session, district)
            if path is None:
                typer.echo(f"error: district {district} is not in the registry", err=True)
                raise typer.Exit(2)
        scope = KpiScope(now - timedelta(days=days), now, department, path)
        figures = kpis(session, scope, now)
    engine.dispose()
    typer.echo(json.dumps(asdict(figures), ensure_ascii=False, default=str))
