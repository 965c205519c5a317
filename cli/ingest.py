"""`gridwatch ingest`: workers that probe their share of the fleet and publish events."""

from __future__ import annotations

import contextlib
import os
from typing import Annotated

import typer

from bus.embedded_broker import EmbeddedBroker
from cli.context import settings_from
from cli.registry_access import open_registry
from ingest.publishing.spool import SpoolInUse
from ingest.worker.process import run_worker
from ingest.worker.supervisor import Supervisor


def ingest_command(
    ctx: typer.Context,
    processes: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Worker processes on this machine (0: one per CPU core; "
            "default GRIDWATCH_WORKER_PROCESSES).",
        ),
    ] = None,
) -> None:
    """Probe every camera these workers hold a lease for, every probe interval, until Ctrl-C.

    Workers, here and on other machines, share the fleet through leases in the
    database. Without GRIDWATCH_MQTT_URL an embedded broker is started on a free
    local port.
    """
    settings = settings_from(ctx)
    wanted = settings.worker_processes if processes is None else processes
    count = wanted or os.cpu_count() or 1
    engine, factory = open_registry(settings)  # checks the schema before any worker starts
    with contextlib.ExitStack() as stack:
        url = settings.resolved_mqtt_url
        if url is None:
            url = stack.enter_context(EmbeddedBroker()).url
            typer.echo(f"embedded MQTT broker on {url}")
        if count > 1:
            engine.dispose()
            typer.echo(f"{count} worker processes")
            code = Supervisor(settings, url, count).run()
            if code:
                raise typer.Exit(code)
            return
        try:
            run_worker(settings, factory, url, typer.echo)
        except SpoolInUse as exc:
            typer.echo(
                f"error: {exc}: is worker {settings.worker_id!r} already running here? "
                "Give each worker on one machine its own GRIDWATCH_WORKER_ID.",
                err=True,
            )
            raise typer.Exit(2) from exc
