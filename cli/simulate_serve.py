"""`gridwatch simulate serve`: every camera of an inventory as an HTTP camera on one port."""

from __future__ import annotations

import asyncio
import resource
import signal
import time
from pathlib import Path
from typing import Annotated

import typer

from cli.context import settings_from
from ingest.simulator.catalog import InventoryError
from ingest.simulator.faults import FaultRule, FaultSpecError, load_schedule
from ingest.simulator.httpauth import AuthScheme
from ingest.simulator.pool import PoolConfig
from ingest.simulator.server import SimulatorConfig, build_simulator


def parse_size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        raise typer.BadParameter(f"expected WIDTHxHEIGHT such as 1280x720, got {text!r}")
    return int(width), int(height)


async def _serve(
    inventory: Path,
    clips: Path | None,
    config: SimulatorConfig,
    rules: list[FaultRule],
    host: str,
    port: int,
) -> None:
    simulator = build_simulator(
        inventory, clips_dir=clips, clock=time.time, config=config, faults=rules
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await simulator.start(host, port)
    except OSError as exc:
        simulator.renderer.close()
        typer.echo(f"error: cannot listen on {host}:{port}: {exc.strerror}", err=True)
        raise typer.Exit(1) from exc
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    typer.echo(
        f"simulator ready on {simulator.url} with {simulator.camera_count} cameras "
        f"({simulator.pool.scene_count} scenes, pool {simulator.pool.memory_bytes() / 1e6:.1f} MB, "
        f"RSS {rss_mb:.0f} MB, {len(rules)} scripted faults); Ctrl-C stops"
    )
    try:
        await stop.wait()
    finally:
        typer.echo("simulator stopping")
        await simulator.stop()


def serve_command(
    ctx: typer.Context,
    inventory: Annotated[
        Path,
        typer.Option(
            "--inventory", file_okay=False, help="Folder with cameras.csv (simulate inventory)."
        ),
    ],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free).")] = 8780,
    faults: Annotated[
        Path | None, typer.Option("--faults", help="YAML/JSON fault schedule.")
    ] = None,
    size: Annotated[str, typer.Option(help="Picture size WIDTHxHEIGHT.")] = "1280x720",
    fps: Annotated[float, typer.Option(min=0.1, max=30, help="MJPEG frames per second.")] = 2.0,
    auth: Annotated[
        AuthScheme, typer.Option(help="What cameras with credentials accept.")
    ] = AuthScheme.BASIC,
    quality: Annotated[int, typer.Option(min=1, max=100, help="JPEG quality.")] = 80,
    clips: Annotated[
        Path | None,
        typer.Option(
            file_okay=False,
            help="Folder of video clips for the pictures (default GRIDWATCH_CLIPS_DIR, "
            "then ../shared/data/clips; synthetic scenes when there are none).",
        ),
    ] = None,
) -> None:
    """Serve every camera of an inventory: snapshots, MJPEG, scripted faults, a control API."""
    try:
        pool = PoolConfig(size=parse_size(size), quality=quality)
        config = SimulatorConfig(pool=pool, mjpeg_fps=fps, auth=auth)
        rules = load_schedule(faults) if faults is not None else []
    except (ValueError, FaultSpecError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    clips_dir = clips if clips is not None else settings_from(ctx).resolved_clips_dir
    try:
        asyncio.run(_serve(inventory, clips_dir, config, rules, host, port))
    except InventoryError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
