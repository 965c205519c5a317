"""`gridwatch bench fleet`: how many cameras one ingest worker keeps on schedule.

The simulator (a separate process, 1280×720 JPEG snapshots) and one ingest worker run
together on this machine. Each camera is due every `interval` seconds; after one
interval of ramp-up, one interval is measured: the p99 lateness of probe starts, how
many cameras were probed, probes/s and the CPU both processes used. The baseline, in
the same run, is the naive loop (one thread per camera, full colour decode).
"""

from __future__ import annotations

import asyncio
import csv
import multiprocessing
import subprocess
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.naive_fleet import run_naive
from benchmarks.processes import (
    children_cpu_seconds,
    cpu_seconds,
    rss_mib,
    side_process,
)
from bus.embedded_broker import free_port
from config.settings import load_settings
from ingest.probing.state import ProbePolicy
from ingest.publishing.publisher import Publisher, PublisherOptions
from ingest.publishing.spool import Spool
from ingest.schedule.percentiles import percentile
from ingest.simulator.inventory import write_inventory
from ingest.sources.http_client import HttpTimeouts
from ingest.worker.loop import RuntimeConfig
from registry.db import make_engine, make_session_factory
from registry.importer import import_inventory
from registry.migrate import upgrade
from registry.secrets import credential_cipher

Report = Callable[[str], None]
MAX_P99_LATENESS_S = 10.0


@dataclass(frozen=True, slots=True)
class Tuning:
    """How the worker is set up: every camera of the simulator shares one host."""

    workers: int = 2  # worker processes sharing the fleet through leases
    processes: int = 0  # analysis processes per worker (0: threads, or inline)
    threads: int = 0  # analysis threads per worker when processes == 0 (0: inline)
    inflight: int = 256
    per_host: int = 32


@dataclass(frozen=True, slots=True)
class FleetRun:
    cameras: int
    interval_s: float
    held: bool
    p99_lateness_s: float
    probed_share: float
    probes_per_s: float
    ingest_cores: float
    simulator_cores: float
    cpu_per_probe_ms: float
    rss_mib: float


def _league(folder: Path, cameras: int, port: int) -> tuple[Path, Path]:
    inventory = folder / f"inv-{cameras}"
    write_inventory(inventory, cameras, base_url=f"http://127.0.0.1:{port}")
    database = folder / f"fleet-{cameras}.sqlite"
    engine = make_engine(f"sqlite:///{database.as_posix()}")
    upgrade(engine)
    cipher = credential_cipher(load_settings(data_dir=folder))
    import_inventory(make_session_factory(engine, cipher), inventory)
    engine.dispose()
    return inventory, database


@dataclass(frozen=True, slots=True)
class WorkerWindow:
    """What one worker process saw in the measured window."""

    lateness_s: list[float]
    probes: int
    probed: frozenset[str]
    cpu_s: float  # its own process and its analysis processes
    analysis_cpu_s: float
    wall_s: float


async def _window(
    database: Path, mqtt_url: str, folder: Path, index: int, interval_s: float,
    measure_at: float, tuning: Tuning,
) -> WorkerWindow:  # fmt: skip
    from ingest.worker.assembly import build_runtime

    settings = load_settings(
        data_dir=folder, worker_id=f"bench-{index}", probe_interval_s=interval_s,
        http_per_host=tuning.per_host,
        max_concurrent_probes=tuning.inflight,
        analysis_processes=tuning.processes, analysis_threads=tuning.threads,
    )  # fmt: skip
    engine = make_engine(f"sqlite:///{database.as_posix()}")
    factory = make_session_factory(engine, credential_cipher(settings))
    config = RuntimeConfig(
        policy=ProbePolicy(interval_s=interval_s, offline_after=3, backoff_max_s=interval_s * 5),
        timeouts=HttpTimeouts(connect_s=3, read_s=10, total_s=15),
        max_concurrent_probes=tuning.inflight,
    )
    spool = Spool(folder / f"spool-{index}.sqlite")
    options = PublisherOptions(worker_id=settings.worker_id)
    with spool, Publisher(mqtt_url, spool, options) as publisher:
        runtime, http = build_runtime(settings, factory, publisher, config=config)
        stop = asyncio.Event()
        task = asyncio.create_task(runtime.run(stop))
        # Ramp-up (every camera's first probe, leases shared out) until the common start.
        await asyncio.sleep(max(0.0, measure_at - time.time()))
        runtime.stats.lateness_s.clear()
        probes0 = runtime.stats.probes
        own0, kids0 = time.process_time(), children_cpu_seconds(set())
        wall0 = time.monotonic()
        seen_until = dict(runtime.states)
        await asyncio.sleep(interval_s)
        wall = time.monotonic() - wall0
        own, kids = time.process_time() - own0, children_cpu_seconds(set()) - kids0
        window = WorkerWindow(
            lateness_s=list(runtime.stats.lateness_s),
            probes=runtime.stats.probes - probes0,
            probed=frozenset(c for c, s in runtime.states.items() if s is not seen_until.get(c)),
            cpu_s=own + kids,
            analysis_cpu_s=kids,
            wall_s=wall,
        )
        stop.set()
        await task
        await http.aclose()
    return window


def _worker_main(connection: Connection, *args: Any) -> None:
    """A worker process of the benchmark: run one worker, send back its window."""
    try:
        connection.send(asyncio.run(_window(*args)))
    except BaseException as exc:  # the parent reports it; nothing else would
        connection.send(RuntimeError(f"bench worker failed: {exc!r}"))
    finally:
        connection.close()


def _measure(
    database: Path, mqtt_url: str, folder: Path, cameras: int, interval_s: float,
    simulator_pid: int, report: Report, tuning: Tuning,
) -> FleetRun:  # fmt: skip
    """Run `tuning.workers` worker processes sharing the fleet through leases."""
    context = multiprocessing.get_context("spawn")
    measure_at = time.time() + interval_s + 5 + 2 * tuning.workers
    pipes, processes = [], []
    for index in range(tuning.workers):
        ours, theirs = context.Pipe(duplex=False)
        args = (database, mqtt_url, folder, index, interval_s, measure_at, tuning)
        process = context.Process(target=_worker_main, args=(theirs, *args))
        process.start()
        theirs.close()
        pipes.append(ours)
        processes.append(process)
    while time.time() < measure_at:
        time.sleep(0.2)
    sim0 = cpu_seconds(simulator_pid)
    rss = sum(rss_mib(p.pid) for p in processes if p.pid is not None)
    windows = []
    for pipe, process in zip(pipes, processes, strict=True):
        got = pipe.recv()
        process.join()
        if isinstance(got, Exception):
            raise got
        windows.append(got)
    wall = max(w.wall_s for w in windows)
    sim = cpu_seconds(simulator_pid) - sim0  # measured over the same window, give or take
    cpu = sum(w.cpu_s for w in windows)
    probes = sum(w.probes for w in windows)
    p99 = percentile([x for w in windows for x in w.lateness_s], 0.99)
    probed = frozenset().union(*(w.probed for w in windows))
    probed_share = len(probed) / max(cameras, 1)
    held = p99 <= MAX_P99_LATENESS_S and probed_share >= 0.99
    analysis = sum(w.analysis_cpu_s for w in windows)
    report(
        f"  {tuning.workers} worker process(es) {(cpu - analysis) / wall:.2f} cores, "
        f"their analysis processes {analysis / wall:.2f} cores"
    )
    result = FleetRun(
        cameras, interval_s, held, p99, probed_share, probes / wall, cpu / wall, sim / wall,
        1000 * cpu / max(probes, 1), rss,
    )  # fmt: skip
    report(
        f"{cameras} cameras every {interval_s:g} s: {'HELD' if held else 'NOT held'} — "
        f"p99 lateness {p99:.2f} s, {probed_share:.1%} probed in the window, "
        f"{result.probes_per_s:.0f} probes/s, ingest {result.ingest_cores:.2f} cores "
        f"({result.cpu_per_probe_ms:.2f} ms CPU/probe), "
        f"simulator {result.simulator_cores:.2f} cores, "
        f"RSS {result.rss_mib:.0f} MiB"
    )
    return result


def _simulator(inventory: Path, port: int) -> AbstractContextManager[subprocess.Popen[str]]:
    args = ["-m", "cli.main", "simulate", "serve", "--inventory", str(inventory)]
    return side_process([*args, "--port", str(port)], "simulator ready")


def _naive_targets(inventory: Path, count: int) -> list[tuple[str, str | None, str | None]]:
    with (inventory / "cameras.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[:count]
    return [(r["snapshot_url"], r["username"] or None, r["password"] or None) for r in rows]


def _one(
    folder: Path, cameras: int, interval_s: float, mqtt_url: str, report: Report, tuning: Tuning
) -> tuple[FleetRun, Path]:
    port = free_port()
    report(f"league of {cameras} cameras: writing and importing …")
    inventory, database = _league(folder, cameras, port)
    with _simulator(inventory, port) as simulator:
        run = _measure(
            database, mqtt_url, folder, cameras, interval_s, simulator.pid, report, tuning
        )
    return run, inventory


def run(
    cameras: int = 50_000,
    interval_s: float = 60.0,
    *,
    find_max: bool = False,
    mqtt_url: str | None = None,
    naive_cameras: int = 200,
    tuning: Tuning | None = None,
    report: Report = print,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="gridwatch-fleet-") as tmp:
        folder = Path(tmp)
        broker_port = free_port()
        broker_args = ["-m", "cli.main", "broker", "--port", str(broker_port)]
        with side_process(broker_args, "broker ready") if mqtt_url is None else nullcontext():
            url = mqtt_url or f"mqtt://127.0.0.1:{broker_port}"
            tuning = tuning or Tuning()
            best, inventory = _one(folder, cameras, interval_s, url, report, tuning)
            tried = [best]
            if find_max:
                best = _search(folder, best, interval_s, url, report, tried, tuning)
            naive = _naive(folder, inventory, naive_cameras, report)
    naive_per_core = interval_s / naive.cpu_per_probe_s if naive.probes else 0.0
    ours_per_core = interval_s / (best.cpu_per_probe_ms / 1000) if best.cpu_per_probe_ms else 0.0
    report(
        f"cameras per core at {interval_s:g} s: gridwatch {ours_per_core:,.0f}, naive loop "
        f"{naive_per_core:,.0f} ({ours_per_core / max(naive_per_core, 1e-9):.1f}×)"
    )
    return {
        "bench": "fleet",
        "cameras": best.cameras,
        "interval_s": interval_s,
        "held": best.held,
        "p99_lateness_s": round(best.p99_lateness_s, 3),
        "probes_per_s": round(best.probes_per_s, 1),
        "cpu_cores_used": round(best.ingest_cores + best.simulator_cores, 3),
        "ingest_cores": round(best.ingest_cores, 3),
        "simulator_cores": round(best.simulator_cores, 3),
        "naive_cameras_per_core": round(naive_per_core),
        "cameras_per_core": round(ours_per_core),
        "naive_p99_lateness_s": round(naive.p99_lateness_s, 3),
        "tried": [(r.cameras, r.held) for r in tried],
        "workers": tuning.workers,
        "analysis_processes": tuning.processes,
    }


def _naive(folder: Path, inventory: Path, count: int, report: Report) -> Any:
    port = urlsplit(_naive_targets(inventory, 1)[0][0]).port or 80
    with _simulator(inventory, port):
        naive = run_naive(_naive_targets(inventory, count), interval_s=10.0, duration_s=20.0)
    report(
        f"naive loop, {count} threads every 10 s: {naive.probes} probes, "
        f"{1000 * naive.cpu_per_probe_s:.2f} ms CPU/probe, "
        f"p99 lateness {naive.p99_lateness_s:.2f} s"
    )
    return naive


def _search(
    folder: Path,
    first: FleetRun,
    interval_s: float,
    url: str,
    report: Report,
    tried: list[FleetRun],
    tuning: Tuning,
) -> FleetRun:
    """Grow by 1.5× while it holds, then bisect four times between last held and first not."""
    held: FleetRun | None = first if first.held else None
    low, high = (first.cameras, None) if first.held else (0, first.cameras)
    while high is None:
        trial, _ = _one(folder, int(low * 1.5), interval_s, url, report, tuning)
        tried.append(trial)
        if trial.held:
            held, low = trial, trial.cameras
        else:
            high = trial.cameras
    for _ in range(4):
        middle = (low + high) // 2
        if middle <= low or high - low < max(1000, low // 20):
            break
        trial, _ = _one(folder, middle, interval_s, url, report, tuning)
        tried.append(trial)
        if trial.held:
            held, low = trial, middle
        else:
            high = middle
    return held or first
