"""`gridwatch bench storm`: a generated banner goes dark through a real broker.

A banner of `cameras` cameras (the registry's inventory generator, imported for real)
loses power: every camera's `camera.offline` arrives at a random moment within
`spread_s` (K probes × interval plus the probe phase: 180 s at the defaults), plus a
few genuinely separate picture faults. `gridwatch alerts` as assembled by
`alerts.app.start_alerts` (settings, registry topology, private Mosquitto, database)
consumes them. Sampled from the database every half second: single camera alerts
visible in the queue (firing, not inhibited, not silenced). Reported: the peak of
those, the firing alerts at the end, townships affected, and how long after the last
event the queue settled. `--speedup` runs the clocks (publisher stamps and the
service's clock) that many times faster than the wall, to shorten the run.
"""

from __future__ import annotations

import multiprocessing
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from alerts.app import start_alerts
from alerts.models import AlertEvent, AlertRow
from benchmarks.pipeline import private_mosquitto
from bus.event_ids import make_event_id
from bus.events import Event, EventType, encode
from bus.mqtt_url import parse_mqtt_url
from config.settings import Settings
from ingest.simulator.inventory import write_inventory
from registry.db import make_engine, make_session_factory
from registry.importer import import_inventory
from registry.migrate import upgrade
from registry.models import Camera
from registry.scratch import scratch_database_url
from registry.secrets import CredentialCipher

Report = Callable[[str], None]
SEPARATE_FAULTS = 3
SETTLE_LIMIT_S = 120.0


class Scaled:
    """A clock `speedup` times faster than the wall, from `origin` (UTC) at `wall0`."""

    def __init__(self, origin: datetime, wall0: float, speedup: float) -> None:
        self.origin, self.wall0, self.speedup = origin, wall0, speedup

    def __call__(self) -> datetime:
        return self.origin + timedelta(seconds=(time.time() - self.wall0) * self.speedup)


def _publish(
    url: str,
    prefix: str,
    plan: list[tuple[float, str, str, str]],
    origin: datetime,
    wall0: float,
    speedup: float,
    done: Any,
) -> None:
    """Child process: each (t, type, camera, district) at wall0 + t / speedup, stamped t."""
    endpoint = parse_mqtt_url(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(endpoint.host, endpoint.port)
    client.loop_start()
    seqs: dict[str, int] = {}
    for t, kind, camera, district in plan:
        delay = wall0 + t / speedup - time.time()
        if delay > 0:
            time.sleep(delay)
        worker = f"storm-w{hash(camera) % 4}"
        seqs[worker] = seq = seqs.get(worker, 0) + 1
        at = origin + timedelta(seconds=t)
        data: dict[str, Any] = (
            {"code": "timeout", "consecutive_failures": 3, "last_good_at": None}
            if kind == EventType.CAMERA_OFFLINE
            else {"code": "FROZEN", "value": 0.0, "threshold": 0.5}
        )
        event = Event(
            make_event_id(at, worker, seq), EventType(kind), camera, district, at, worker, seq, data
        )
        client.publish(event.topic(prefix), encode(event), qos=1).wait_for_publish(30)
    client.disconnect()
    client.loop_stop()
    done.put(time.time())


def _plan(
    cameras: list[tuple[str, str]], spread_s: float, seed: int
) -> list[tuple[float, str, str, str]]:
    rng = random.Random(seed)
    plan = [(rng.uniform(1.0, spread_s), str(EventType.CAMERA_OFFLINE), c, d) for c, d in cameras]
    for camera, district in rng.sample(cameras, SEPARATE_FAULTS):
        plan.append((0.5, str(EventType.HEALTH_FAULT), camera, district))
    return sorted(plan)


def run(
    cameras: int = 43_000,
    spread_s: float = 180.0,
    speedup: float = 1.0,
    database_url: str | None = None,
    report: Report = print,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        inventory = write_inventory(folder / "inventory", cameras, banners=1)
        with scratch_database_url(database_url, folder, "bench_storm") as db_url:
            engine = make_engine(db_url)
            upgrade(engine)
            factory = make_session_factory(engine, CredentialCipher.generate())
            started = time.perf_counter()
            import_inventory(factory, inventory.files[0].parent)
            with factory() as session:
                rows = session.execute(select(Camera.id, Camera.district_code)).tuples().all()
            report(
                f"banner of {len(rows):,} cameras imported in "
                f"{time.perf_counter() - started:.1f} s ({engine.dialect.name})"
            )
            with private_mosquitto(folder, 1000, 1_000_000) as url:
                figures = _storm(url, db_url, factory, list(rows), spread_s, speedup, report)
            engine.dispose()
    return {"bench": "storm", "database": engine.dialect.name, **figures}


def _visible_counts(factory: Any) -> tuple[int, int, int, int]:
    """(visible single offline alerts, visible alerts, pending alerts, stored events)."""
    visible = (
        AlertRow.status == "firing",
        AlertRow.inhibited_by.is_(None),
        AlertRow.silenced_by.is_(None),
    )
    with factory() as session:
        singles = session.scalar(  # the storm's own: camera offline alerts
            select(func.count()).where(
                AlertRow.scope == "camera", AlertRow.kind == "offline", *visible
            )
        )
        everything = session.scalar(select(func.count()).where(*visible))
        pending = session.scalar(select(func.count()).where(AlertRow.status == "pending"))
        events = session.scalar(select(func.count()).select_from(AlertEvent))
    return int(singles or 0), int(everything or 0), int(pending or 0), int(events or 0)


def _storm(
    url: str,
    db_url: str,
    factory: Any,
    cameras: list[tuple[str, str]],
    spread_s: float,
    speedup: float,
    report: Report,
) -> dict[str, Any]:
    prefix = "storm"
    origin, wall0 = datetime.now(UTC), time.time()
    clock = Scaled(origin, wall0, speedup)
    settings = Settings(
        database_url=db_url,
        mqtt_url=url,
        topic_prefix=prefix,  # type: ignore[arg-type]
        alerts_consumer_id="storm-bench",
        alerts_tick_s=max(0.05, 1.0 / speedup),
    )
    running = start_alerts(settings, factory, url, clock)
    report(
        f"alerts service up: hold {settings.alerts_hold_s:.0f} s, groups at ≥ "
        f"{settings.alerts_group_min_count} cameras and ≥ {settings.alerts_group_min_share:.0%}; "
        f"{len(cameras):,} offline events over {spread_s:.0f} s (clock ×{speedup:g})"
    )
    plan = _plan(cameras, spread_s, seed=11)
    context = multiprocessing.get_context("spawn")
    done = context.Queue()
    wall0 = time.time() + 2.0
    clock.origin, clock.wall0 = origin + timedelta(seconds=0), wall0
    publisher = context.Process(
        target=_publish, args=(url, prefix, plan, origin, wall0, speedup, done), daemon=True
    )
    publisher.start()
    # Settled: the queue unchanged for a group hold of clock time (a group still on hold
    # could otherwise appear after a short calm), and at least 2 s of wall time.
    steady_for_s = max(2.0, settings.alerts_group_hold_s / speedup)
    peak_singles, peak_queue, last_report, finished_at = 0, 0, 0.0, None
    settled_at, previous = None, None
    expected = len(plan)
    while True:
        time.sleep(0.5)
        singles, visible, pending, stored = _visible_counts(factory)
        peak_singles = max(peak_singles, singles)
        peak_queue = max(peak_queue, visible)
        if finished_at is None and not done.empty():
            finished_at = done.get()
        now = time.time()
        if now - last_report >= 10:
            last_report = now
            report(
                f"  t={(now - wall0) * speedup:6.0f} s: {stored:,} events stored, "
                f"{visible} alerts in the queue ({singles} single), {pending:,} held"
            )
        if finished_at is not None and stored >= expected:
            state = (visible, singles)
            if state != previous:
                settled_at = None
            elif settled_at is None:
                settled_at = now
            previous = state
            if settled_at is not None and now - settled_at >= steady_for_s:
                break
        if finished_at is not None and now - finished_at > SETTLE_LIMIT_S:
            report("  did not settle")
            break
    publisher.join(30)
    with factory() as session:
        firing = session.execute(
            select(AlertRow.kind, AlertRow.scope, AlertRow.summary).where(
                AlertRow.status == "firing",
                AlertRow.inhibited_by.is_(None),
                AlertRow.silenced_by.is_(None),
            )
        ).all()
        townships = session.scalar(
            select(func.count(func.distinct(AlertRow.group_district))).where(
                AlertRow.scope == "camera", AlertRow.kind == "offline"
            )
        )
        rows = session.scalar(select(func.count()).select_from(AlertRow))
    # Case work (opening the townships' cases, linking every camera to its township's
    # case) runs on its own thread, behind the queue: how long it trails is a figure too.
    settled_wall = time.time()
    running.cases.settle(timeout=SETTLE_LIMIT_S * 5)
    cases_after_s = time.time() - settled_wall
    running.stop()
    for kind, scope, summary in sorted(firing)[:40]:
        report(f"  firing: {kind}/{scope}: {summary}")
    settle_s = ((settled_at or time.time()) - (finished_at or time.time())) * speedup
    report(
        f"  {len(firing)} alerts in the queue for {len(cameras):,} cameras down in "
        f"{townships} townships; {rows:,} alert rows stored; peak single alerts visible "
        f"{peak_singles} ({peak_singles / len(cameras):.2%}), the queue at most "
        f"{peak_queue}; settled {settle_s:.1f} s after the last event (clock time); case"
        f" work done {cases_after_s:.1f} s (wall) after that"
    )
    return {
        "cameras_down": len(cameras),
        "firing_alerts": len(firing),
        "townships_affected": int(townships or 0),
        "separate_faults": SEPARATE_FAULTS,
        "peak_single_alerts": peak_singles,
        "peak_single_share": round(peak_singles / len(cameras), 4),
        "peak_queue": peak_queue,
        "settle_s": round(settle_s, 1),
        "cases_after_s": round(cases_after_s, 1),
        "alert_rows": int(rows or 0),
        "spread_s": spread_s,
        "speedup": speedup,
    }
