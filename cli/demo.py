"""`gridwatch demo`: the hub end to end on embedded parts, printed live.

simulated league → import into SQLite → simulated cameras over HTTP (with scripted
faults) → ingest worker (probe, analyse, decide) → events on an embedded MQTT broker
→ a subscriber that prints them as they arrive.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bus.embedded_broker import EmbeddedBroker, free_port
from bus.events import Event, decode
from bus.mqtt_url import parse_mqtt_url
from bus.subscriber import Delivery, Subscriber, SubscriberOptions
from bus.topics import events_filter
from cli.context import settings_from
from config.settings import Settings, load_settings
from ingest.analysis.health_config import HealthConfig
from ingest.probing.state import ProbePolicy
from ingest.simulator.faults import FaultKind, FaultRule, OfflineMode
from ingest.simulator.inventory import write_inventory
from ingest.simulator.pool import PoolConfig
from ingest.simulator.server import SimulatorConfig, build_simulator
from ingest.sources.http_client import HttpTimeouts
from ingest.stores.health import online_rate_by_day
from ingest.worker.assembly import build_runtime, running_publisher
from ingest.worker.loop import RuntimeConfig
from registry.db import SessionFactory, make_engine, make_session_factory
from registry.importer import import_inventory
from registry.migrate import upgrade
from registry.secrets import credential_cipher

console = Console(highlight=False, soft_wrap=True)
NEXT_STEPS = (
    "gridwatch alerts — events into grouped, prioritized alerts, and cases opened from them",
    "gridwatch users add admin --role admin --district 150400, then gridwatch api — the "
    "console at http://127.0.0.1:8080/console/ (zh-CN / English) with live video",
    "this demo with the alert service and the console in one command comes next",
)
_STYLE = {
    "camera.offline": "bold red",
    "camera.online": "green",
    "health.fault": "yellow",
    "health.recovered": "green",
    "probe.failed": "magenta",
}


def _faults(cameras: list[tuple[str, str]], interval: float) -> list[FaultRule]:
    """A scripted afternoon: one township loses power, single cameras go wrong and recover."""
    per_township = Counter(district[:9] for _camera, district in cameras)
    township = per_township.most_common(2)[-1][0]
    start = 3 * interval  # after the baselines are learned
    return [
        FaultRule(FaultKind.OFFLINE, district=township, start_s=start, end_s=start + 8 * interval,
                  mode=OfflineMode.RESET),
        FaultRule(FaultKind.FROZEN, camera=cameras[1][0], start_s=start),
        FaultRule(FaultKind.COVERED, camera=cameras[2][0], start_s=start + interval, fraction=0.7),
        FaultRule(FaultKind.BLACK, camera=cameras[3][0], start_s=start + 2 * interval,
                  end_s=start + 7 * interval),
        FaultRule(FaultKind.BLURRED, camera=cameras[4][0], start_s=start + 2 * interval, sigma=8.0),
        FaultRule(FaultKind.MOVED, camera=cameras[5][0], start_s=start + 3 * interval),
    ]  # fmt: skip


def _import(factory: SessionFactory, inventory: Path) -> None:
    for report in import_inventory(factory, inventory):
        console.print(f"   {report.summary()}")


class LivePrinter:
    """Subscribes to the event topics through the bus and prints each event as it arrives."""

    def __init__(self, url: str, prefix: str, names: dict[str, str]) -> None:
        self.counts: Counter[str] = Counter()
        self.names = names
        self._lock = threading.Lock()
        options = SubscriberOptions(
            client_id="gridwatch-demo-viewer", filters=(events_filter(prefix),), persistent=False
        )
        self.subscriber = Subscriber(
            parse_mqtt_url(url), options, lambda t, p: decode(t, p, prefix=prefix), self._print
        )
        self.subscriber.start()

    def _print(self, event: Event, _delivery: Delivery) -> None:
        kind = str(event.type)
        with self._lock:
            self.counts[kind] += 1
        data = event.data
        detail = str(data.get("code") or "")
        if "value" in data:
            detail += f" {data['value']:g} (threshold {data['threshold']:g})"
        boxes = data.get("boxes")
        if "area" in data and isinstance(boxes, list):
            detail = f"area {data['area']:.1%}, {len(boxes)} boxes"
        where = self.names.get(event.district_code, event.district_code)
        style = _STYLE.get(kind, "white")
        console.print(
            f"   {event.ts:%H:%M:%S}  [{style}]{kind:<17}[/{style}] {event.camera_id}  "
            f"{where}  {detail}  [dim]seq {event.seq}[/dim]"
        )

    def close(self) -> None:
        self.subscriber.stop()


def demo_command(
    ctx: typer.Context,
    cameras: Annotated[int, typer.Option(min=20, max=50_000, help="Simulated cameras.")] = 300,
    seconds: Annotated[float, typer.Option(min=10, help="How long to run the worker.")] = 75.0,
    interval: Annotated[float, typer.Option(min=1, help="Probe interval per camera (s).")] = 5.0,
) -> None:
    """Run the hub end to end on embedded defaults and print events live."""
    base = settings_from(ctx)
    logging.getLogger("ingest").setLevel(logging.WARNING)  # the demo prints what matters
    folder = base.data_dir / "demo"
    shutil.rmtree(folder, ignore_errors=True)
    settings: Settings = load_settings(
        data_dir=folder, database_url=f"sqlite:///{(folder / 'gridwatch.sqlite').as_posix()}",
        worker_id="demo-worker", probe_interval_s=interval, http_per_host=64,
    )  # fmt: skip
    port = free_port()
    console.print(f"[bold]1/5[/bold] simulated league of {cameras} cameras → {folder}/inventory")
    summary = write_inventory(folder / "inventory", cameras, base_url=f"http://127.0.0.1:{port}")
    console.print(f"   {summary.districts} districts, {summary.departments} departments")
    console.print("[bold]2/5[/bold] import into SQLite (validated, all or nothing)")
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    factory = make_session_factory(engine, credential_cipher(settings))
    _import(factory, folder / "inventory")
    rows = [
        line.split(",")
        for line in (folder / "inventory" / "cameras.csv").read_text("utf-8").splitlines()[1:]
    ]
    names = {
        r[0]: r[1]
        for r in (
            line.split(",")
            for line in (folder / "inventory" / "districts.csv").read_text("utf-8").splitlines()[1:]
        )
    }
    rules = _faults([(r[0], r[2]) for r in rows], interval)
    with EmbeddedBroker() as broker:
        console.print(f"[bold]3/5[/bold] embedded MQTT broker on {broker.url}")
        printer = LivePrinter(broker.url, settings.topic_prefix, names)
        try:
            stats = asyncio.run(
                _run(settings, factory, broker.url, folder, port, rules, seconds, base)
            )
        finally:
            printer.close()
    _summary(factory, printer.counts, stats)


async def _run(
    settings: Settings, factory: SessionFactory, url: str, folder: Path, port: int,
    rules: list[FaultRule], seconds: float, base: Settings,
) -> dict[str, Any]:  # fmt: skip
    sim = build_simulator(
        folder / "inventory",
        clips_dir=base.resolved_clips_dir,
        clock=time.time,
        config=SimulatorConfig(pool=PoolConfig(size=(640, 360), frames_per_scene=11)),
        faults=rules,
    )
    await sim.start(port=port)
    console.print(
        f"[bold]4/5[/bold] simulated cameras on {sim.url} with {len(rules)} scripted faults"
    )
    every = settings.probe_interval_s
    console.print(f"[bold]5/5[/bold] ingest worker: every camera every {every:g} s; events:")
    config = RuntimeConfig(
        policy=ProbePolicy(interval_s=every, offline_after=2, backoff_max_s=2 * every),
        timeouts=HttpTimeouts(connect_s=2, read_s=3, total_s=4),
        renew_every_s=5, flush_every_s=2, motion_watch_max=3,
    )  # fmt: skip
    with running_publisher(settings, url) as publisher:
        runtime, http = build_runtime(
            settings, factory, publisher, health=HealthConfig(), config=config
        )
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(seconds, stop.set)
        try:
            await runtime.run(stop)
        finally:
            await http.aclose()
            await sim.stop()
        publisher.flush(10)
        return runtime.snapshot()


def _summary(factory: SessionFactory, counts: Counter[str], stats: dict[str, Any]) -> None:
    table = Table(title="what the worker did")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in stats.items():
        table.add_row(key, str(value))
    for kind, n in sorted(counts.items()):
        table.add_row(f"events {kind}", str(n))
    for rate in online_rate_by_day(factory, "150400/"):
        table.add_row(f"online rate {rate.day}", f"{rate.rate:.1%} of {rate.probes} probes")
    console.print(table)
    console.print("[bold]Next[/bold]:")
    for item in NEXT_STEPS:
        console.print(f" • {item}")
