"""One ingest worker, start to stop: publisher and spool, runtime, signals.

`gridwatch ingest` runs one of these per process (ingest/worker/supervisor.py starts several).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable
from typing import Any

from config.logging import bind_log_fields
from config.redact import redact_url
from config.settings import Settings
from ingest.worker.assembly import build_runtime, running_publisher
from registry.db import SessionFactory

Echo = Callable[[str], None]
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})
PARENT_CHECK_S = 1.0

log = logging.getLogger(__name__)


async def _stop_when_orphaned(parent_pid: int, stop: asyncio.Event) -> None:
    """A worker whose supervisor died (even by SIGKILL) stops: nobody would stop it."""
    while not stop.is_set():
        if os.getppid() != parent_pid:
            log.error("supervisor %d is gone; stopping", parent_pid)
            stop.set()
            return
        await asyncio.sleep(PARENT_CHECK_S)


def run_worker(
    settings: Settings,
    factory: SessionFactory,
    mqtt_url: str,
    echo: Echo,
    *,
    parent_pid: int | None = None,
) -> dict[str, Any]:
    """Probe this worker's share of the fleet until SIGINT or SIGTERM; its final figures.

    With `parent_pid` (a supervisor's), it also stops when that process is gone.
    Raises SpoolInUse when a worker with the same id already runs on this machine.
    """
    bind_log_fields(worker_id=settings.worker_id)
    with running_publisher(settings, mqtt_url) as publisher:
        echo(
            f"worker {settings.worker_id}: probing every {settings.probe_interval_s:g} s, "
            f"events to {redact_url(mqtt_url)} under {settings.topic_prefix}/v1/"
        )

        async def main() -> dict[str, Any]:
            runtime, http = build_runtime(settings, factory, publisher)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in STOP_SIGNALS:
                loop.add_signal_handler(sig, stop.set)
            # A supervisor starts workers with these blocked, so one asked to stop while
            # still starting up gets the signal now, here, and stops cleanly.
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
            watch = None
            if parent_pid is not None:
                watch = asyncio.create_task(_stop_when_orphaned(parent_pid, stop))
            try:
                await runtime.run(stop)
            finally:
                if watch is not None:
                    watch.cancel()
                await http.aclose()
            return runtime.snapshot()

        figures = asyncio.run(main())
    echo(f"worker {settings.worker_id} stopped: {figures}")
    return figures
