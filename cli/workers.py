"""`gridwatch workers`: who is probing, whether every shard is held, who is behind."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli.context import settings_from
from cli.registry_access import open_registry
from ingest.fleet.leases import lease_config
from ingest.fleet.report import FleetReport, WorkerRow, fleet_report

# The fleet benchmark's bar: a worker whose p99 lateness exceeds this is not keeping up.
BEHIND_AFTER_S = 10.0


def _state(worker: WorkerRow) -> str:
    if not worker.live:
        return "lost"
    if worker.spool_paused or worker.internal_errors:
        return "faulty"
    return "behind" if worker.p99_lateness_s > BEHIND_AFTER_S else "ok"


def _as_json(report: FleetReport, now: datetime) -> str:
    return json.dumps(
        {
            "enabled_cameras": report.enabled_cameras,
            "cameras_held": report.cameras_held,
            "shards": report.shards,
            "shards_held": report.shards_held,
            "workers": [
                {
                    "worker_id": w.worker_id,
                    "state": _state(w),
                    "started_at": w.started_at.isoformat(),
                    "seen_s_ago": round((now - w.last_seen).total_seconds(), 1),
                    "shards": w.shards,
                    "cameras": w.cameras,
                    "probes_per_s": w.probes_per_s,
                    "p99_lateness_s": w.p99_lateness_s,
                    "internal_errors": w.internal_errors,
                    "spool_paused": w.spool_paused,
                }
                for w in report.workers
            ],
        },
        ensure_ascii=False,
    )


def _table(report: FleetReport, now: datetime) -> Table:
    table = Table(
        title=f"{report.shards_held}/{report.shards} shards held by live workers; "
        f"{report.cameras_held:,} of {report.enabled_cameras:,} enabled cameras"
    )
    columns = ("worker", "state", "seen", "shards", "cameras", "probes/s", "p99 lateness", "errors")
    for name in columns:
        table.add_column(name, justify="left" if name in ("worker", "state") else "right")
    for w in report.workers:
        table.add_row(
            w.worker_id,
            _state(w),
            f"{(now - w.last_seen).total_seconds():.0f} s ago",
            str(w.shards),
            f"{w.cameras:,}",
            f"{w.probes_per_s:.1f}",
            f"{w.p99_lateness_s:.2f} s",
            f"{w.internal_errors}" + (" spool full" if w.spool_paused else ""),
        )
    return table


def workers_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Exit 1 unless every shard is held by a live worker and none is behind "
            f"(p99 lateness over {BEHIND_AFTER_S:g} s): for monitoring.",
        ),
    ] = False,
) -> None:
    """Ingest workers: heartbeat, shards, cameras, probes/s and p99 lateness of each."""
    settings = settings_from(ctx)
    _engine, factory = open_registry(settings)
    now = datetime.now(UTC)
    report = fleet_report(factory, now, lease_config(settings.lease_ttl_s))
    if as_json:
        typer.echo(_as_json(report, now))
    else:
        Console().print(_table(report, now))
    if check:
        live = [w for w in report.workers if w.live]
        behind = [w.worker_id for w in live if _state(w) == "behind"]
        problems = []
        if report.shards_held < report.shards:
            problems.append(f"{report.shards - report.shards_held} shards held by no live worker")
        if behind:
            problems.append(f"behind: {', '.join(behind)}")
        if problems:
            typer.echo("; ".join(problems), err=True)
            raise typer.Exit(1)
