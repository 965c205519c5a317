"""`gridwatch demo`: the whole hub on one machine, with nothing installed but Python.

Started in order, each waited for until ready: the MQTT broker (embedded, or
GRIDWATCH_MQTT_URL) → a simulated league imported into a SQLite file → the first admin
→ the alert service (`gridwatch alerts`, with the demo's case rules, SLA in minutes and
an every-day calendar) → the camera simulator with its fault script (`gridwatch
simulate serve`) → the ingest worker (`cli.demo_worker`) → the API and console
(`gridwatch api`). The consumer starts before the producer, so it is subscribed before
the first event, and stops after the last one.

Ctrl-C (or SIGTERM) stops them in reverse: the API, the worker (it waits until the
broker acknowledged its whole spool), the simulator, the alert service (once it has
stored every event the worker published), the broker; then the demo checks that
every event the worker numbered is in the database.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import httpx
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from alerts.models import AlertEvent
from bus.client import make_client
from bus.embedded_broker import EmbeddedBroker
from bus.mqtt_url import parse_mqtt_url
from cli.context import settings_from
from cli.demo_parts import GRIDWATCH, Part, PartFailed, cpu_seconds
from cli.demo_setup import (
    ADMIN,
    ALL_DAY,
    League,
    admin_password,
    create_admin,
    fault_script,
    port_or_free,
    write_calendar,
    write_faults,
    write_league,
)
from cli.demo_watch import MILESTONES, Watch, every
from config.settings import CONFIG_FOLDER, Settings
from ingest.fleet.leases import lease_config
from ingest.fleet.report import fleet_report
from registry.db import SessionFactory, make_engine, make_session_factory
from registry.importer import import_inventory
from registry.migrate import upgrade
from registry.secrets import credential_cipher
from registry.users import UserInvalid

console = Console(highlight=False, soft_wrap=True)
PASSWORD_ENV = "GRIDWATCH_DEMO_PASSWORD"  # noqa: S105 - the variable's name; read here: the demo's own
WORKER_ID = "demo-worker"
CONSUMER_ID = "demo"
PICTURE = "640x360"
STATUS_EVERY_S = 30.0
CAUGHT_UP_TIMEOUT_S = 60.0
INGEST_REPORT = "ingest-report.json"
BROKER_PORT = 1883
SIMULATOR_PORT = 8780


@dataclass(frozen=True, slots=True)
class Plan:
    """Where everything lives and listens, decided before anything starts."""

    folder: Path
    mqtt_url: str
    embedded: bool
    simulator_port: int
    api_port: int
    interval_s: float
    faults_at_s: float
    prefix: str
    taken: tuple[str, ...] = ()
    """Default ports that were busy, and what was chosen instead."""


def _env(plan: Plan, settings: Settings, sla: Path) -> dict[str, str]:
    """The children's environment: the user's, with the demo's choices on top."""
    database = f"sqlite:///{(plan.folder / 'gridwatch.sqlite').as_posix()}"
    hold = 3 * plan.interval_s  # a township's offline events arrive over about K intervals
    demo = {
        "DATA_DIR": str(plan.folder),
        "DATABASE_URL": database,
        "MQTT_URL": plan.mqtt_url,
        "TOPIC_PREFIX": plan.prefix,
        "WORKER_ID": WORKER_ID,
        "ALERTS_CONSUMER_ID": CONSUMER_ID,
        "PROBE_INTERVAL_S": f"{plan.interval_s:g}",
        "HTTP_PER_HOST": "64",
        "ALERTS_HOLD_S": f"{hold:g}",
        "ALERTS_GROUP_HOLD_S": f"{plan.interval_s:g}",
        "ALERTS_CASE_TICK_S": "2",
        "CASE_RULES_FILE": str(CONFIG_FOLDER / "case_rules-demo.yaml"),
        "CASE_SLA_FILE": str(sla),
        "CASE_CALENDAR_FILE": str(plan.folder / "calendar.yaml"),
        "CASE_WORK_HOURS": ALL_DAY,
        "CASE_VERIFY_MINUTES": "2",
        "CASE_VERIFY_GRACE_MINUTES": "0.5",
        "API_HOST": "127.0.0.1",
        "API_PORT": str(plan.api_port),
        "COMMAND_CENTER_TZ": settings.command_center_tz,
    }
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    env.pop("GRIDWATCH_CONFIG", None)  # the demo's settings are all here
    env |= {f"GRIDWATCH_{key}": value for key, value in demo.items()}
    if settings.clips_dir is not None:
        env["GRIDWATCH_CLIPS_DIR"] = str(settings.clips_dir)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _forget_consumer_session(url: str) -> None:
    """On a real broker, drop the session an earlier demo's consumer left behind (its
    queued events belong to another database)."""
    endpoint = parse_mqtt_url(url)
    client = make_client(endpoint, f"gridwatch-alerts-{CONSUMER_ID}", persistent=False)
    client.connect(endpoint.host, endpoint.port, 10)
    client.disconnect()


def _import(factory: SessionFactory, inventory: Path) -> None:
    for report in import_inventory(factory, inventory):
        console.print(f"   {report.summary()}")


def _stored_events(factory: SessionFactory, last_seq: int) -> int:
    with factory() as session:
        found = session.scalar(
            select(func.count(func.distinct(AlertEvent.seq))).where(
                AlertEvent.worker_id == WORKER_ID, AlertEvent.seq <= last_seq
            )
        )
    return int(found or 0)


def _api_up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


class Demo:
    """The running parts, their start order, and the stop in reverse."""

    def __init__(
        self, plan: Plan, env: dict[str, str], factory: SessionFactory, stop: threading.Event
    ) -> None:
        self.plan = plan
        self.env = env
        self.factory = factory
        self.stop_requested = stop
        self.parts: list[Part] = []
        self.cpu_at_start: dict[str, tuple[float, float]] = {}
        self.exit_codes: dict[str, int] = {}
        self.ready: dict[str, Callable[[], bool]] = {}

    def start(
        self,
        name: str,
        args: list[str],
        ready: Callable[[Part], bool],
        what: str,
        *,
        env: dict[str, str] | None = None,
        timeout_s: float = 120,
    ) -> Part:
        """Start a part and wait until `ready`; KeyboardInterrupt if a stop came meanwhile."""
        part = Part(name, args, env or self.env, console).start()
        self.parts.append(part)
        self.ready[name] = lambda: ready(part)
        part.wait_until(lambda: ready(part) or self.stop_requested.is_set(), what, timeout_s)
        if self.stop_requested.is_set():
            raise KeyboardInterrupt
        if part.pid is not None:
            self.cpu_at_start[name] = (time.monotonic(), cpu_seconds(part.pid) or 0.0)
        return part

    def cpu_shares(self) -> dict[str, float]:
        """Cores each part used since it was ready (1.0 = one core busy)."""
        shares = {}
        for part in self.parts:
            since = self.cpu_at_start.get(part.name)
            used = cpu_seconds(part.pid) if part.pid is not None and part.alive() else None
            if since is not None and used is not None:
                shares[part.name] = (used - since[1]) / max(time.monotonic() - since[0], 1e-6)
        return shares

    def status_line(self) -> str:
        report = fleet_report(self.factory, datetime.now(UTC), lease_config(30.0))
        workers = [w for w in report.workers if w.worker_id == WORKER_ID]
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        cores = ", ".join(f"{name} {share:.2f}" for name, share in self.cpu_shares().items())
        if not workers:
            return f"load {load:.2f}; cores used: {cores}"
        w = workers[0]
        return (
            f"{w.cameras:,} cameras, {w.probes_per_s:.0f} probes/s, p99 probe lateness "
            f"{w.p99_lateness_s:.2f} s; load {load:.2f}; cores used: {cores}"
        )

    def part(self, name: str) -> Part | None:
        return next((p for p in self.parts if p.name == name), None)

    def stop_all(self) -> tuple[int, int]:
        """Stop in reverse order; (events the worker numbered, events stored)."""
        published = stored = 0
        for part in reversed(self.parts):
            if part.name == "alerts" and published:
                console.print(f"   waiting for the alert service to store all {published} events")
                deadline = time.monotonic() + CAUGHT_UP_TIMEOUT_S
                while (stored := _stored_events(self.factory, published)) < published:
                    if time.monotonic() > deadline or not part.alive():
                        break
                    time.sleep(0.2)
            with contextlib.suppress(PartFailed):  # stopped while starting: let it finish
                part.wait_until(self.ready[part.name], "ready", 60)
            code = part.stop(15 if part.name == "api" else 60)
            if part.name == "api" and code == -signal.SIGTERM:
                code = 0  # uvicorn re-raises the SIGTERM it shut down gracefully on
            self.exit_codes[part.name] = code
            console.print(f"[bold]stopped[/bold] {part.name} (exit {code})")
            if part.name == "ingest":
                published = self._published()
        return published, stored

    def _published(self) -> int:
        report = self.plan.folder / INGEST_REPORT
        if not report.exists():
            return 0
        figures = json.loads(report.read_text(encoding="utf-8"))
        console.print(
            f"   worker: {figures['probes']} probes, p99 lateness "
            f"{figures['p99_lateness_s']} s, {figures['last_seq']} events, "
            f"{figures['spooled']} left in the spool"
        )
        return int(figures["last_seq"])


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """From the first line on, Ctrl-C/SIGTERM only ask for the ordered stop."""

    def request(_signum: int, _frame: object) -> None:
        if stop.is_set():
            console.print("   stopping in order; please wait")
        stop.set()

    previous = {s: signal.signal(s, request) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def demo_command(
    ctx: typer.Context,
    cameras: Annotated[int, typer.Option(min=20, max=50_000, help="Simulated cameras.")] = 2000,
    interval: Annotated[
        float,
        typer.Option(
            min=1, help="Probe interval per camera (s): 2,000 cameras every 10 s is 200 probes/s."
        ),
    ] = 10.0,
    sla: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, help="SLA file (limits in minutes).")
    ] = CONFIG_FOLDER / "sla-demo.yaml",
    seconds: Annotated[
        float | None, typer.Option(min=10, help="Stop by itself after this long (default: Ctrl-C).")
    ] = None,
) -> None:
    """Run the whole hub on this machine: broker, database, simulated cameras with
    faults, ingest worker, alert service, API and console. Ctrl-C stops it in order."""
    base = settings_from(ctx)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the readiness polls
    try:
        password, generated = admin_password(os.environ.get(PASSWORD_ENV))
    except UserInvalid as exc:
        typer.echo(f"error: {PASSWORD_ENV}: {exc}", err=True)
        raise typer.Exit(2) from exc
    folder = (base.data_dir / "demo").resolve()
    shutil.rmtree(folder, ignore_errors=True)  # each demo starts a fresh afternoon
    folder.mkdir(parents=True)
    stop = threading.Event()
    with contextlib.ExitStack() as stack:
        stack.enter_context(_stop_on_signals(stop))
        url = base.resolved_mqtt_url
        wanted = {"broker": BROKER_PORT, "simulator": SIMULATOR_PORT, "api": base.api_port}
        if url is not None:
            del wanted["broker"]
        ports = {name: port_or_free(port) for name, port in wanted.items()}
        taken = tuple(
            f"{name} port {port} was taken, using {ports[name]}"
            for name, port in wanted.items()
            if ports[name] != port
        )
        embedded = url is None
        if url is None:
            url = stack.enter_context(EmbeddedBroker(port=ports["broker"])).url
        else:
            _forget_consumer_session(url)
        plan = Plan(
            folder,
            url,
            embedded,
            ports["simulator"],
            ports["api"],
            interval,
            6 + 4 * interval,
            base.topic_prefix,
            taken,
        )
        demo, watch, published, stored = _run(
            plan, base, sla, password, generated, cameras, seconds, stop
        )
    if plan.embedded:
        console.print("[bold]stopped[/bold] broker")
    else:
        console.print("broker: GRIDWATCH_MQTT_URL's, left running")
    raise typer.Exit(_summary(demo, watch, published, stored))


def _prepare(
    plan: Plan, base: Settings, password: str, cameras: int
) -> tuple[League, SessionFactory]:
    console.print(
        f"[bold]2/7[/bold] league of {cameras:,} simulated cameras → SQLite in {plan.folder}"
    )
    league = write_league(
        plan.folder / "inventory", cameras, f"http://127.0.0.1:{plan.simulator_port}"
    )
    engine = make_engine(f"sqlite:///{(plan.folder / 'gridwatch.sqlite').as_posix()}")
    upgrade(engine)
    cipher = credential_cipher(base.model_copy(update={"data_dir": plan.folder}))
    factory = make_session_factory(engine, cipher)
    _import(factory, league.folder)
    write_calendar(
        plan.folder / "calendar.yaml", datetime.now(ZoneInfo(base.command_center_tz)).date()
    )
    create_admin(factory, password)
    console.print(f"[bold]3/7[/bold] user {ADMIN} (admin of the whole league)")
    write_faults(
        plan.folder / "faults.yaml", fault_script(league, plan.faults_at_s, plan.interval_s)
    )
    return league, factory


def _start_parts(demo: Demo, league: League, sla: Path) -> str:
    """Alerts, simulator, ingest, API, each ready before the next; the console's URL."""
    plan = demo.plan
    console.print(
        f"[bold]4/7[/bold] alert service (case rules "
        f"{Path(demo.env['GRIDWATCH_CASE_RULES_FILE']).name}, SLA {sla.name})"
    )
    demo.start(
        "alerts",
        [*GRIDWATCH, "alerts"],
        lambda p: p.said("gridwatch alerts:"),
        "the consumer subscribed",
    )
    console.print(
        f"[bold]5/7[/bold] camera simulator on 127.0.0.1:{plan.simulator_port} "
        f"({PICTURE} pictures; faults from +{plan.faults_at_s:g} s)"
    )
    demo.start(
        "simulator",
        [
            *GRIDWATCH,
            "simulate",
            "serve",
            "--inventory",
            str(league.folder),
            "--port",
            str(plan.simulator_port),
            "--faults",
            str(plan.folder / "faults.yaml"),
            "--size",
            PICTURE,
        ],
        lambda p: p.said("simulator ready"),
        "simulator ready",
    )
    console.print(f"[bold]6/7[/bold] ingest worker: every camera every {plan.interval_s:g} s")
    demo.start(
        "ingest",
        [sys.executable, "-m", "cli.demo_worker", str(plan.folder / INGEST_REPORT)],
        lambda p: p.said("probing every"),
        "the worker probing",
    )
    api_url = f"http://127.0.0.1:{plan.api_port}"
    console.print(f"[bold]7/7[/bold] API and console on {api_url}")
    demo.start(
        "api",
        [*GRIDWATCH, "api"],
        lambda _p: _api_up(api_url),
        "an answer on /healthz",
        env=demo.env | {"GRIDWATCH_LOG_LEVEL": "WARNING"},
    )
    return api_url


def _run(
    plan: Plan,
    base: Settings,
    sla: Path,
    password: str,
    generated: bool,
    cameras: int,
    seconds: float | None,
    stop: threading.Event,
) -> tuple[Demo, Watch, int, int]:
    """Prepare, start the parts, wait, stop them; (demo, watch, published, stored)."""
    started = time.monotonic()
    where = "embedded" if plan.embedded else "GRIDWATCH_MQTT_URL"
    console.print(
        f"[bold]1/7[/bold] MQTT broker ({where}) on {parse_mqtt_url(plan.mqtt_url).display}"
    )
    for note in plan.taken:
        console.print(f"   {note}")
    league, factory = _prepare(plan, base, password, cameras)
    demo = Demo(plan, _env(plan, base, sla), factory, stop)
    watch = Watch(plan.mqtt_url, plan.prefix, console, league.district_names, started).start()
    stop_status = threading.Event()
    try:
        try:
            if stop.is_set():
                raise KeyboardInterrupt  # asked to stop while the league was prepared
            api_url = _start_parts(demo, league, sla)
            _print_ready(api_url, password, generated, plan, started)
            every(
                STATUS_EVERY_S,
                lambda: console.print(
                    f"[dim]+{time.monotonic() - started:5.0f} s  {demo.status_line()}[/dim]"
                ),
                stop_status,
            )
            _wait(demo, seconds)
        except PartFailed as exc:
            console.print(f"[red]{exc}[/red]")
        except KeyboardInterrupt:
            pass  # a stop during the start: stop what runs, in order
        console.print("[bold]stopping[/bold] in reverse order")
        stop_status.set()
        published, stored = demo.stop_all()
    finally:
        watch.stop()
    return demo, watch, published, stored


def _wait(demo: Demo, seconds: float | None) -> None:
    """Until Ctrl-C/SIGTERM, `seconds`, or a part dying."""
    deadline = None if seconds is None else time.monotonic() + seconds
    while not demo.stop_requested.wait(0.5):
        if deadline is not None and time.monotonic() > deadline:
            return
        dead = [p.name for p in demo.parts if not p.alive()]
        if dead:
            console.print(f"[red]{', '.join(dead)} exited; stopping the demo[/red]")
            return


def _print_ready(api_url: str, password: str, generated: bool, plan: Plan, started: float) -> None:
    shown = password if generated else f"from {PASSWORD_ENV}"
    console.print(
        f"\n[bold green]ready in {time.monotonic() - started:.0f} s[/bold green]  "
        f"console [bold]{api_url}/console/[/bold]  user [bold]{ADMIN}[/bold]  "
        f"password [bold]{shown}[/bold]"
    )
    console.print(
        f"   data in {plan.folder}; faults start at +{plan.faults_at_s:g} s of the "
        "simulator's clock; the milestones below print as they reach the console; "
        "Ctrl-C stops everything in order\n"
    )


def _summary(demo: Demo, watch: Watch, published: int, stored: int) -> int:
    table = Table(title="what the demo showed (seconds after the command started)")
    table.add_column("milestone")
    table.add_column("seen at", justify="right")
    for milestone in MILESTONES:
        at = watch.reached.get(milestone)
        table.add_row(milestone, "—" if at is None else f"{at:.0f} s")
    console.print(table)
    lost = published - stored
    console.print(
        f"events: {published} published by the worker, {stored} stored by the alert "
        f"service, {lost} lost; consumer lag {lost}"
    )
    failed = {name: code for name, code in demo.exit_codes.items() if code != 0}
    if failed:
        console.print(f"[red]parts that did not stop cleanly: {failed}[/red]")
    ok = not failed and lost == 0
    console.print(
        "[bold green]stopped cleanly, nothing lost[/bold green]"
        if ok
        else "[red]the demo did not stop cleanly[/red]"
    )
    return 0 if ok else 1
