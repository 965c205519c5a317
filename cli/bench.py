"""`gridwatch bench …`: benchmarks. Each prints progress and ends with one JSON line of figures."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import typer

app = typer.Typer(help="Benchmarks (never part of the test suite).", no_args_is_help=True)


DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        help="A PostgreSQL server URL to measure on (a scratch database is made and dropped). "
        "Default: a temporary SQLite file."
    ),
]


def emit(figures: dict[str, Any]) -> None:
    typer.echo(json.dumps(figures, ensure_ascii=False))


@app.command("registry")
def registry_command(
    cameras: Annotated[
        int, typer.Option(min=100, help="Cameras in the simulated league.")
    ] = 50_000,
    database_url: DatabaseUrl = None,
) -> None:
    """Bulk import time of a league and cameras-under-a-district query latency."""
    from benchmarks import registry

    emit(registry.run(cameras=cameras, database_url=database_url, report=typer.echo))


@app.command("cases")
def cases_command(
    cases: Annotated[int, typer.Option(min=100, help="Cases in the simulated year.")] = 1_000_000,
    database_url: DatabaseUrl = None,
) -> None:
    """Case KPIs (closure, on-time, satisfaction, durations, overdue, cards) vs a naive pass."""
    from benchmarks import cases as cases_bench

    emit(cases_bench.run(cases=cases, database_url=database_url, report=typer.echo))


@app.command("api")
def api_command(
    cameras: Annotated[
        int, typer.Option(min=100, help="Cameras in the simulated league.")
    ] = 43_000,
    requests: Annotated[int, typer.Option(min=10, help="Requests timed per kind.")] = 60,
    database_url: DatabaseUrl = None,
    alerts: Annotated[
        int, typer.Option(min=0, help="Alerts in the table for the queue figures (0: skip).")
    ] = 0,
    ws_clients: Annotated[
        int, typer.Option(min=0, help="WebSocket clients of the change feed (0: skip).")
    ] = 200,
) -> None:
    """API latency: district roll-ups against a count per node, camera search and reads,
    the alert queue's first and deep pages, a new alert's way to the feed's clients."""
    from benchmarks import api

    emit(api.run(cameras=cameras, requests=requests, database_url=database_url,
                 report=typer.echo, alerts=alerts, ws_clients=ws_clients))  # fmt: skip


@app.command("analysis")
def analysis_command(
    repeats: Annotated[int, typer.Option(min=1, help="Passes over the timing frames.")] = 3,
    frames: Annotated[int, typer.Option(min=50, help="Distinct 640x360 frames timed.")] = 300,
) -> None:
    """Motion and health kernel speed on one core vs MOG2/KNN, and the labelled evaluation."""
    from benchmarks import analysis

    emit(analysis.run(repeats=repeats, frames=frames, report=typer.echo))


@app.command("publishing")
def publishing_command(
    events: Annotated[int, typer.Option(min=100, help="Events to publish.")] = 10_000,
    mqtt_url: Annotated[
        str | None, typer.Option(help="Broker to measure on (default: an embedded amqtt).")
    ] = None,
) -> None:
    """Events/s end to end through the disk spool to a subscriber, against per-event commits."""
    from benchmarks import publishing

    emit(publishing.run(events, mqtt_url, report=typer.echo))


@app.command("fleet")
def fleet_command(
    cameras: Annotated[
        int, typer.Option(min=100, help="Cameras in the simulated league.")
    ] = 50_000,
    interval: Annotated[float, typer.Option(min=5, help="Probe interval per camera (s).")] = 60.0,
    find_max: Annotated[
        bool, typer.Option("--find-max", help="Search for the largest count that holds.")
    ] = False,
    mqtt_url: Annotated[
        str | None, typer.Option(help="Broker (default: an embedded broker in its own process).")
    ] = None,
    naive_cameras: Annotated[
        int, typer.Option(min=10, help="Threads of the naive baseline.")
    ] = 200,
    workers: Annotated[
        int, typer.Option(min=0, help="Ingest worker processes (0: one per CPU core).")
    ] = 0,
    analysis_processes: Annotated[
        int, typer.Option(min=0, help="Analysis processes per worker (0: in the worker).")
    ] = 0,
) -> None:
    """Cameras the ingest workers keep on schedule next to the simulator, vs a naive loop."""
    import os

    from benchmarks import fleet

    tuning = fleet.Tuning(workers=workers or os.cpu_count() or 1, processes=analysis_processes)
    figures = fleet.run(
        cameras, interval, find_max=find_max, mqtt_url=mqtt_url,
        naive_cameras=naive_cameras, tuning=tuning, report=typer.echo,
    )  # fmt: skip
    emit(figures)


@app.command("outage")
def outage_command(
    outage: Annotated[float, typer.Option(min=1, help="Seconds the broker is down.")] = 30.0,
    rate: Annotated[float, typer.Option(min=1, help="Events per second.")] = 100.0,
) -> None:
    """Events through a broker outage (a private Mosquitto is stopped and restarted): lost = 0."""
    from benchmarks import outage as outage_bench

    emit(outage_bench.run(rate=rate, outage_s=outage, report=typer.echo))


@app.command("sources")
def sources_command(
    rtsp: Annotated[bool, typer.Option(help="Also measure RTSP key-frame samples.")] = True,
) -> None:
    """JPEG decode (full colour vs reduced), aiohttp vs httpx, RTSP cost per sample."""
    from benchmarks import http_clients, jpeg_decode, rtsp_sample

    figures: dict[str, Any] = {"bench": "sources"}
    parts: list[tuple[str, Callable[..., dict[str, Any]]]] = [
        ("jpeg", jpeg_decode.run),
        ("http", http_clients.run),
    ]
    if rtsp:
        parts.append(("rtsp", rtsp_sample.run))
    for name, run in parts:
        for key, value in run(report=typer.echo).items():
            if key != "bench":
                figures[f"{name}_{key}"] = value
    emit(figures)


def _limit(value: int) -> int | None:
    return None if value < 0 else value


@app.command("pipeline")
def pipeline_command(
    events: Annotated[
        int, typer.Option(min=1000, help="Events through the batched consumer.")
    ] = 50_000,
    database_url: DatabaseUrl = None,
    protocol: Annotated[
        str, typer.Option(help="MQTT protocol of the consumer: 3.1.1 or 5.")
    ] = "3.1.1",
    batch_size: Annotated[int, typer.Option(min=1, help="Events per commit, at most.")] = 500,
    max_inflight: Annotated[
        int, typer.Option(help="Mosquitto max_inflight_messages (-1: its default, 20).")
    ] = 1000,
    max_queued: Annotated[
        int, typer.Option(help="Mosquitto max_queued_messages (-1: its default, 1000).")
    ] = 1_000_000,
) -> None:
    """Events/s into the alert store through a real Mosquitto vs a commit per event; lost,
    duplicates, p99 publish → committed at 1,000 events/s."""
    from benchmarks import pipeline

    emit(pipeline.run(events, database_url, protocol="5" if protocol == "5" else "3.1.1",
                      batch_size=batch_size, max_inflight=_limit(max_inflight),
                      max_queued=_limit(max_queued), report=typer.echo))  # fmt: skip


@app.command("storm")
def storm_command(
    cameras: Annotated[
        int, typer.Option(min=100, help="Cameras of the banner that goes dark.")
    ] = 43_000,
    spread: Annotated[
        float, typer.Option(min=1, help="Seconds over which offline events arrive.")
    ] = 180.0,
    speedup: Annotated[
        float, typer.Option(min=1, help="Run the clocks this many times faster.")
    ] = 1.0,
    database_url: DatabaseUrl = None,
) -> None:
    """A banner loses power: one alert per township or uplink, not one per camera."""
    from benchmarks import storm

    emit(storm.run(cameras, spread, speedup, database_url, report=typer.echo))
