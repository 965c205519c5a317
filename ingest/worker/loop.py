"""`gridwatch ingest`: probe every camera this worker holds a lease for, on schedule.

One asyncio loop schedules probes and does the network I/O; the sampler
(`ingest/probing/sampling.py`) decides where decoding and analysis run. Database work (leases,
registry refresh, health-state batches, baselines) runs in threads. Events go to the
publisher, which spools them to disk before the broker sees them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from concurrent.futures import Executor
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from config.clock import Seconds, WallClock
from config.logging import log_fields
from ingest.fleet.leases import LeaseManager, Leases, WorkerLoad
from ingest.fleet.targets import CameraTarget, held_targets, load_targets
from ingest.probing.analysis_pool import AnalysisPool
from ingest.probing.decision import (
    ProbeOutcome,
    Target,
    after_internal_error,
    after_probe_error,
    after_sample,
)
from ingest.probing.sampling import CheckerFactory, Sampler
from ingest.probing.state import ProbePolicy, ProbeState, next_delay
from ingest.publishing.publisher import Publisher
from ingest.publishing.spool import SpoolFull
from ingest.schedule.limits import KeyedLimiter
from ingest.schedule.percentiles import percentile
from ingest.schedule.scheduler import ProbeSchedule
from ingest.sources.failures import ProbeError
from ingest.sources.http_client import HttpClient, HttpTimeouts
from ingest.stores.baselines import load_baselines, save_baselines
from ingest.stores.evidence import EvidenceStore
from ingest.stores.health import HealthWriter
from ingest.worker.evidence import EvidenceKeeper
from ingest.worker.motion_watch import MotionWatch
from registry.db import SessionFactory

log = logging.getLogger(__name__)
DISPATCH_TICK_S = 0.05


@dataclass(frozen=True, slots=True)
class RuntimeConfig:
    policy: ProbePolicy = field(default_factory=ProbePolicy)
    timeouts: HttpTimeouts = field(default_factory=HttpTimeouts)
    max_concurrent_probes: int = 512
    per_uplink: int = 8
    renew_every_s: float = 10.0
    refresh_registry_every_s: float = 60.0
    flush_every_s: float = 2.0
    save_baselines_every_s: float = 300.0
    rtsp_threads: int = 32
    motion_watch_max: int = 0  # key-site streams kept open for motion; 0: none
    spool_headroom: int = 1_000  # events the spool must still take before more probes start
    sweep_evidence_every_s: float = 3600.0  # prunes evidence of cameras that stopped faulting


@dataclass(slots=True)
class RuntimeStats:
    probes: int = 0
    failures: int = 0
    events: int = 0
    internal_errors: int = 0
    spool_full: int = 0
    lateness_s: deque[float] = field(default_factory=lambda: deque(maxlen=200_000))
    lateness_noted: int = 0  # ever; the last few are the window `take_load` reports
    window_since: float | None = None
    window_from: tuple[int, int, int] = (0, 0, 0)  # (probes, lateness_noted, internal_errors)

    def lateness_p99(self) -> float:
        return percentile(self.lateness_s, 0.99)

    def note_lateness(self, lateness_s: float) -> None:
        self.lateness_s.append(lateness_s)
        self.lateness_noted += 1

    def take_load(self, now: float, spool_paused: bool = False) -> WorkerLoad:
        """The load since the previous call, and start a new window at `now`."""
        elapsed = 0.0 if self.window_since is None else now - self.window_since
        probes_from, noted_from, errors_from = self.window_from
        recent = min(self.lateness_noted - noted_from, len(self.lateness_s))
        load = WorkerLoad(
            probes_per_s=round((self.probes - probes_from) / elapsed, 2) if elapsed > 0 else 0.0,
            p99_lateness_s=round(percentile(islice(reversed(self.lateness_s), recent), 0.99), 3),
            internal_errors=self.internal_errors - errors_from,
            spool_paused=spool_paused,
        )
        self.window_since = now
        self.window_from = (self.probes, self.lateness_noted, self.internal_errors)
        return load


class IngestRuntime:
    def __init__(
        self,
        config: RuntimeConfig,
        factory: SessionFactory,
        publisher: Publisher,
        leases: LeaseManager,
        checker_factory: CheckerFactory,
        *,
        http: HttpClient,
        wall_clock: WallClock,
        monotonic: Seconds = time.monotonic,
        analysis_executor: Executor | None = None,
        analysis_pool: AnalysisPool | None = None,
        evidence: EvidenceStore | None = None,
    ) -> None:
        self.config = config
        self.factory = factory
        self.publisher = publisher
        self.leases = leases
        self.wall_clock = wall_clock
        self.monotonic = monotonic
        # Analysis on `analysis_pool`'s processes, else on `analysis_executor`'s threads,
        # else inline on the loop; the sampler owns and closes whichever it is given.
        self.sampler = Sampler(
            http, wall_clock, checker_factory,
            timeouts=config.timeouts, rtsp_threads=config.rtsp_threads,
            executor=analysis_executor, pool=analysis_pool,
        )  # fmt: skip
        self.health = HealthWriter(factory, leases.worker_id)
        self.evidence = EvidenceKeeper(evidence)
        self.schedule = ProbeSchedule()
        self.stats = RuntimeStats()
        self.states: dict[str, ProbeState] = {}
        self._targets: dict[str, CameraTarget] = {}
        self._all_targets: dict[str, CameraTarget] = {}
        self._uplinks = KeyedLimiter(config.per_uplink)
        self._inflight: set[asyncio.Task[None]] = set()
        self._held: Leases | None = None
        self._spool_paused = False
        self.motion: MotionWatch | None = None
        if config.motion_watch_max > 0:
            self.motion = MotionWatch(publisher, wall_clock, max_streams=config.motion_watch_max)

    # -- periodic housekeeping, each in a thread: it is database I/O ------------------------

    async def refresh_registry(self) -> None:
        try:
            self._all_targets = await asyncio.to_thread(load_targets, self.factory)
        except Exception:  # the database is away: keep probing the cameras we know
            log.exception("registry not read; keeping the %d cameras known", len(self._all_targets))

    async def renew_leases(self) -> None:
        try:
            load = self.stats.take_load(self.monotonic(), self._spool_paused)
            held = await asyncio.to_thread(self.leases.renew, load)
        except Exception:
            # Without the database no lease can be renewed. Probe on while the leases we
            # hold are valid; after that another worker may take them, so stop.
            log.exception("leases not renewed")
            if self._held is None or self.wall_clock() >= self._held.valid_until:
                self._held = None
                self._targets = {}
                self.schedule.sync({}, self.monotonic())
                if self.motion is not None:
                    self.motion.sync({})
            return
        # The publisher fences itself when this runs out unrenewed (even while a renewal
        # hangs on a partitioned network): another worker may hold our cameras by then.
        self.publisher.leases_valid_until(held.valid_until)
        self._held = held
        targets = held_targets(self._all_targets, held.shards, self.leases.config.shards)
        self._targets = targets
        if self.motion is not None:
            self.motion.sync(targets)
        interval = self.config.policy.interval_s
        added, removed = self.schedule.sync(dict.fromkeys(targets, interval), self.monotonic())
        gone = [c for c in self.sampler.held() if c not in targets]
        if gone:
            await self.save_baselines(gone)
            await self.sampler.forget(gone)
            self.evidence.forget(gone)
        known = self.sampler.known()
        new = [c for c in targets if c not in known]
        if new:
            self.sampler.adopt_baselines(await asyncio.to_thread(load_baselines, self.factory, new))
        if added or removed:
            log.info(
                "holding %d of %d shards (%d workers): %d cameras (+%d −%d)",
                len(held.shards), self.leases.config.shards, held.live_workers,
                len(targets), added, removed,
            )  # fmt: skip

    async def save_baselines(self, cameras: list[str] | None = None) -> None:
        """Write the learned baselines (of `cameras`, or all) so a restart does not relearn."""
        states = await self.sampler.baselines(cameras)
        try:
            await asyncio.to_thread(save_baselines, self.factory, states, self.wall_clock())
        except Exception:
            log.exception("baselines not saved; will retry")

    async def flush_health(self) -> None:
        batch = self.health.take()  # on the loop thread, where records are added
        if batch is None:
            return
        try:
            await asyncio.to_thread(self.health.write, batch)
        except Exception:  # the database is away: keep the batch, try again next time
            self.health.put_back(batch)
            log.exception("health state not written; will retry")

    # -- probing -----------------------------------------------------------------------

    async def probe(self, camera_id: str, due_at: float) -> None:
        """Probe one camera and put it back on the schedule, whatever happened.

        A camera leaves supervision only by leaving `_targets` (its lease moved, or it
        was removed from the registry): every other path ends in `reschedule`.
        """
        with log_fields(camera_id=camera_id):
            await self._probe_and_reschedule(camera_id, due_at)

    async def _probe_and_reschedule(self, camera_id: str, due_at: float) -> None:
        delay = self.config.policy.interval_s
        try:
            target = self._targets.get(camera_id)
            if target is None:
                return
            self.stats.note_lateness(max(0.0, self.monotonic() - due_at))
            outcome = await self._probe_outcome(target)
            self._apply(camera_id, outcome)
            delay = next_delay(outcome.state, self.config.policy)
        except SpoolFull:
            # Raced past the dispatcher's check: keep the old state so the next probe
            # derives the same events again, once the spool has room.
            self.stats.spool_full += 1
        except Exception as error:
            self._internal_error(camera_id, error)
        finally:
            self.schedule.reschedule(camera_id, due_at, delay, self.monotonic())

    async def _probe_outcome(self, target: CameraTarget) -> ProbeOutcome:
        before = self.states.get(target.camera_id, ProbeState())
        where = Target(target.camera_id, target.district_code)
        async with self._uplinks.hold(target.uplink):
            try:
                judged = await self.sampler.sample_and_judge(target)
            except ProbeError as error:
                self.stats.failures += 1
                self.stats.probes += 1
                return after_probe_error(
                    where, before, self.wall_clock(), error, self.config.policy
                )
        self.stats.probes += 1
        evidence = await self.evidence.reference(target.camera_id, judged)
        return after_sample(where, before, judged.captured_at, judged.verdict, evidence)

    def _internal_error(self, camera_id: str, error: Exception) -> None:
        """Our own failure on this camera: counted, logged once per run, one `internal`
        probe failure published; the camera's status is left as it was."""
        self.stats.internal_errors += 1
        target = self._targets.get(camera_id)
        before = self.states.get(camera_id, ProbeState())
        if before.internal_errors == 0:
            log.error("camera %s: internal error while probing", camera_id, exc_info=error)
        else:
            log.debug("camera %s: internal error again: %r", camera_id, error)
        if target is None:
            return
        detail = f"{type(error).__name__}: {error}"
        outcome = after_internal_error(
            Target(camera_id, target.district_code), before, self.wall_clock(), detail
        )
        self.states[camera_id] = outcome.state
        try:
            self._apply(camera_id, outcome)
        except Exception:  # the publisher itself is what failed; the count and log remain
            log.debug("camera %s: internal error not published", camera_id, exc_info=True)

    def _apply(self, camera_id: str, outcome: ProbeOutcome) -> None:
        """Publish first, then keep the new state: if the spool refuses the events, the
        state stays where it was and the next probe derives them again."""
        if outcome.drafts and not self.publisher.has_room(len(outcome.drafts)):
            raise SpoolFull(f"no room for {len(outcome.drafts)} events of camera {camera_id}")
        for draft in outcome.drafts:
            self.publisher.publish_event(draft)
            self.stats.events += 1
        if outcome.status is not None:
            self.publisher.publish_status(camera_id, outcome.status)
        self.states[camera_id] = outcome.state
        if outcome.record is not None:
            self.health.add(outcome.record)

    def dispatch_due(self, now: float) -> int:
        """Start the probes due at `now`, as many as the concurrency limit allows; none
        while the event spool has no room (back-pressure: cameras wait and show as late,
        none is dropped). Returns how many started."""
        free = self.config.max_concurrent_probes - len(self._inflight)
        if free <= 0 or not self._spool_has_room():
            return 0
        due = self.schedule.pop_due(now, free)
        for probe in due:
            self._spawn(probe.camera_id, probe.due_at)
        return len(due)

    @property
    def inflight(self) -> frozenset[asyncio.Task[None]]:
        return frozenset(self._inflight)

    def _spawn(self, camera_id: str, due_at: float) -> None:
        task = asyncio.create_task(self.probe(camera_id, due_at), name=f"probe-{camera_id}")
        self._inflight.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("probe task failed", exc_info=task.exception())

    # -- the loop ------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> RuntimeStats:
        cfg = self.config
        await self.refresh_registry()
        await self.renew_leases()
        now = self.monotonic()
        next_renew = now + cfg.renew_every_s
        next_refresh = now + cfg.refresh_registry_every_s
        next_flush = now + cfg.flush_every_s
        next_save = now + cfg.save_baselines_every_s
        next_sweep = now + cfg.sweep_evidence_every_s
        while not stop.is_set():
            now = self.monotonic()
            if now >= next_refresh:
                await self.refresh_registry()
                next_refresh = now + cfg.refresh_registry_every_s
            if now >= next_renew:
                await self.renew_leases()
                next_renew = now + cfg.renew_every_s
            if now >= next_flush:
                await self.flush_health()
                next_flush = now + cfg.flush_every_s
            if now >= next_save:
                await self.save_baselines()
                next_save = now + cfg.save_baselines_every_s
            if now >= next_sweep:
                await self.evidence.sweep()
                next_sweep = now + cfg.sweep_evidence_every_s
            self.dispatch_due(now)
            # Dispatch in ticks: waking for every finished probe (hundreds a second) costs
            # more CPU than the probes' own bookkeeping, and 50 ms is nothing next to the
            # lateness that matters (seconds).
            wake = min(next_renew, next_refresh, next_flush, next_save, next_sweep)
            next_due = self.schedule.next_due()
            if next_due is not None:
                wake = min(wake, max(next_due, now + DISPATCH_TICK_S))
            timeout = max(DISPATCH_TICK_S, min(wake - self.monotonic(), 1.0))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout)
        await self.shutdown()
        return self.stats

    def _spool_has_room(self) -> bool:
        """Room for a burst of probes' events; says so once when it runs out and returns."""
        room = self.publisher.has_room(self.config.spool_headroom)
        if room == self._spool_paused:
            self._spool_paused = not room
            if room:
                log.warning("spool has room again; probing resumes")
            else:
                log.error(
                    "event spool is full (broker away for long?): probing paused until it drains"
                )
        return room

    async def shutdown(self) -> None:
        if self.motion is not None:
            await self.motion.close()
        if self._inflight:
            await asyncio.wait(self._inflight, timeout=self.config.timeouts.total_s)
        await self.flush_health()
        await self.save_baselines()
        await asyncio.to_thread(self.leases.release_all)
        await self.sampler.close()

    def snapshot(self) -> dict[str, Any]:
        return {
            "cameras": len(self._targets),
            "probes": self.stats.probes,
            "failures": self.stats.failures,
            "internal_errors": self.stats.internal_errors,
            "evidence_errors": self.evidence.errors,
            "events": self.stats.events + (self.motion.events if self.motion else 0),
            "motion_watched": len(self.motion.watched) if self.motion else 0,
            "p99_lateness_s": round(self.stats.lateness_p99(), 3),
        }
