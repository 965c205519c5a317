"""`gridwatch simulate …`: a simulated league for demos, tests and benchmarks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.simulate_serve import serve_command
from ingest.simulator.inventory import write_inventory

app = typer.Typer(
    help="Simulated cameras: `simulate inventory`, then `simulate --inventory DIR`.",
    invoke_without_command=True,
)
app.command("serve")(serve_command)


@app.callback()
def simulate_callback(
    ctx: typer.Context,
    inventory: Annotated[
        Path | None,
        typer.Option("--inventory", file_okay=False, help="Serve this inventory (as `serve`)."),
    ] = None,
    faults: Annotated[
        Path | None, typer.Option("--faults", help="YAML/JSON fault schedule.")
    ] = None,
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free).")] = 8780,
) -> None:
    """`simulate --inventory DIR` is short for `simulate serve --inventory DIR`."""
    if ctx.invoked_subcommand is not None:
        return
    if inventory is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)
    ctx.invoke(serve_command, ctx=ctx, inventory=inventory, faults=faults, port=port)


@app.command("inventory")
def inventory_command(
    cameras: Annotated[int, typer.Option(min=0, help="How many cameras.")] = 1000,
    out: Annotated[Path, typer.Option(help="Folder for districts/departments/cameras CSV.")] = Path(
        "inventory"
    ),
    banners: Annotated[
        int, typer.Option(min=1, max=99, help="Banners/counties in the league.")
    ] = 12,
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives the same league.")
    ] = 20261123,
    base_url: Annotated[
        str, typer.Option(help="Where the simulator will serve the cameras.")
    ] = "http://127.0.0.1:8780",
) -> None:
    """Write a league's district tree, departments and cameras (GB/T 28181 codes) as CSV."""
    summary = write_inventory(out, cameras, banners=banners, seed=seed, base_url=base_url)
    typer.echo(
        f"wrote {summary.districts} districts, {summary.departments} departments and "
        f"{summary.cameras} cameras to {out}/ (districts.csv, departments.csv, cameras.csv)"
    )
