"""Several ingest workers on one machine, one process each, sharing the fleet by leases.

A worker process does its own fetching, decoding and analysis, so nothing crosses a
process boundary per probe; measured on the fleet benchmark this carries more cameras
per core than one worker that ships JPEGs to analysis processes (docs/performance.md).
The supervisor starts the workers, names them `<worker_id>-<n>` (stable, so a
restarted worker replays its own spool), restarts one that dies, and stops them all
on SIGINT or SIGTERM.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from dataclasses import dataclass
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

from config.clock import Seconds
from config.logging import setup_logging
from config.settings import Settings
from ingest.publishing.spool import SpoolInUse
from ingest.worker.process import STOP_SIGNALS, run_worker
from registry.db import make_engine, make_session_factory
from registry.secrets import credential_cipher

log = logging.getLogger(__name__)

# A worker that exits with this code will fail the same way again: do not restart it.
EXIT_WILL_NOT_RUN = 2
RESTART_DELAY_S = 2.0
RESTART_DELAY_MAX_S = 60.0
STOP_GRACE_S = 60.0


def worker_ids(base: str, processes: int) -> list[str]:
    """One worker keeps the configured id; several get `-0`, `-1`, … after it."""
    return [base] if processes == 1 else [f"{base}-{n}" for n in range(processes)]


def _worker_process(values: dict[str, Any], mqtt_url: str, parent_pid: int) -> None:
    """Entry point of one worker process (spawned: nothing inherited but these values)."""
    settings = Settings(**values)
    setup_logging(settings.log_level, json_lines=settings.log_json)
    engine = make_engine(settings.resolved_database_url)
    factory = make_session_factory(engine, credential_cipher(settings))
    try:
        run_worker(settings, factory, mqtt_url, print, parent_pid=parent_pid)
    except SpoolInUse as exc:
        print(f"error: {exc}: is worker {settings.worker_id!r} already running here?")
        raise SystemExit(EXIT_WILL_NOT_RUN) from exc


@dataclass(slots=True)
class _Slot:
    worker_id: str
    process: BaseProcess | None = None
    restart_at: float = 0.0
    delay_s: float = RESTART_DELAY_S
    started_at: float = 0.0
    last_exit: int | None = None


class Supervisor:
    def __init__(
        self,
        settings: Settings,
        mqtt_url: str,
        processes: int,
        *,
        monotonic: Seconds = time.monotonic,
    ) -> None:
        if processes < 1:
            raise ValueError("a supervisor needs at least one worker process")
        self.settings = settings
        self.mqtt_url = mqtt_url
        self.monotonic = monotonic
        self.slots = [_Slot(w) for w in worker_ids(settings.worker_id, processes)]
        self._context = multiprocessing.get_context("spawn")
        self._stopping = False
        self.failed = False

    def _start(self, slot: _Slot) -> None:
        values = self.settings.model_dump()
        values["worker_id"] = slot.worker_id
        process = self._context.Process(
            target=_worker_process,
            args=(values, self.mqtt_url, os.getpid()),
            name=slot.worker_id,
        )
        # Blocked until the worker can handle them (ingest/worker/process.py): a stop that comes
        # while it is still importing would otherwise kill it before it releases anything.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        slot.process, slot.started_at = process, self.monotonic()
        log.info("worker %s started (pid %s)", slot.worker_id, process.pid)

    def _reap(self, slot: _Slot) -> None:
        """A worker ended on its own: restart it later, or give up if it cannot run."""
        assert slot.process is not None
        code = slot.process.exitcode if slot.process.exitcode is not None else -1
        slot.last_exit = code
        slot.process = None
        if code == EXIT_WILL_NOT_RUN:
            log.error("worker %s cannot run (exit %d); stopping all", slot.worker_id, code)
            self.failed = True
            self._stopping = True
            return
        now = self.monotonic()
        # A worker that ran a good while before dying starts again soon; one that keeps
        # dying at once waits longer each time.
        if now - slot.started_at > RESTART_DELAY_MAX_S:
            slot.delay_s = RESTART_DELAY_S
        slot.restart_at = now + slot.delay_s
        log.error(
            "worker %s exited with %d; restarting in %.0f s", slot.worker_id, code, slot.delay_s
        )
        slot.delay_s = min(slot.delay_s * 2, RESTART_DELAY_MAX_S)

    def run(self) -> int:
        """Run until stopped; 0 when every worker stopped cleanly, else 1 (2: cannot run)."""
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            for slot in self.slots:
                self._start(slot)
            while not self._stopping:
                running = [s.process.sentinel for s in self.slots if s.process is not None]
                if running:
                    wait(running, timeout=0.5)
                else:  # all waiting to restart
                    time.sleep(0.5)
                for slot in self.slots:
                    if slot.process is not None and not slot.process.is_alive():
                        self._reap(slot)
                    elif (
                        slot.process is None
                        and not self._stopping
                        and self.monotonic() >= slot.restart_at
                    ):
                        self._start(slot)
            return self._stop_all()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stopping = True

    def _stop_all(self) -> int:
        alive = [s for s in self.slots if s.process is not None]
        for slot in alive:
            assert slot.process is not None
            if slot.process.is_alive():
                slot.process.terminate()  # SIGTERM: the worker saves and releases, then exits
        deadline = self.monotonic() + STOP_GRACE_S
        for slot in alive:
            assert slot.process is not None
            slot.process.join(max(0.0, deadline - self.monotonic()))
            if slot.process.is_alive():
                log.error("worker %s did not stop in %.0f s; killed", slot.worker_id, STOP_GRACE_S)
                slot.process.kill()
                slot.process.join()
            slot.last_exit = slot.process.exitcode if slot.process.exitcode is not None else -1
        if self.failed:
            return EXIT_WILL_NOT_RUN
        return 0 if all(s.last_exit == 0 for s in alive) else 1
