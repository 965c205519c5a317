"""`gridwatch ingest`: a worker that probes its share of the fleet and publishes events."""

from __future__ import annotations

import asyncio
import contextlib
import signal

import typer

from cli.context import settings_from
from cli.registry_access import open_registry
from config.redact import redact_url
from ingest.assembly import build_runtime, running_publisher
from ingest.embedded_broker import EmbeddedBroker
from ingest.spool import SpoolInUse


def ingest_command(ctx: typer.Context) -> None:
    """Probe every camera this worker holds a lease for, every probe interval, until Ctrl-C.

    Several workers share the fleet through leases in the database. Without
    GRIDWATCH_MQTT_URL an embedded broker is started on a free local port.
    """
    settings = settings_from(ctx)
    _engine, factory = open_registry(settings)
    with contextlib.ExitStack() as stack:
        url = settings.resolved_mqtt_url
        if url is None:
            url = stack.enter_context(EmbeddedBroker()).url
            typer.echo(f"embedded MQTT broker on {url}")
        try:
            publisher = stack.enter_context(running_publisher(settings, url))
        except SpoolInUse as exc:
            typer.echo(
                f"error: {exc}: is worker {settings.worker_id!r} already running here? "
                "Give each worker on one machine its own GRIDWATCH_WORKER_ID.",
                err=True,
            )
            raise typer.Exit(2) from exc
        typer.echo(
            f"worker {settings.worker_id}: probing every {settings.probe_interval_s:g} s, "
            f"events to {redact_url(url)} under {settings.topic_prefix}/v1/"
        )

        async def main() -> None:
            runtime, http = build_runtime(settings, factory, publisher)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            try:
                await runtime.run(stop)
            finally:
                await http.aclose()
            typer.echo(f"stopped: {runtime.snapshot()}")

        asyncio.run(main())
