"""`gridwatch import …`: bulk import of districts, departments and cameras."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cli.context import settings_from
from cli.registry_access import open_registry
from registry.db import SessionFactory
from registry.importer import (
    ImportFailed,
    ImportReport,
    import_cameras,
    import_departments,
    import_districts,
)
from registry.records import Record, UnreadableFile, count_data_lines, read_records

app = typer.Typer(help="Import districts, departments or cameras (CSV, JSON, JSON Lines, YAML).")
err = Console(stderr=True)

Importer = Callable[..., ImportReport]
FileArg = Annotated[Path, typer.Argument(help="CSV, JSON, JSON Lines or YAML file.")]
SkipInvalid = Annotated[
    bool,
    typer.Option("--skip-invalid", help="Import the valid rows and report the bad ones."),
]


def _run(ctx: typer.Context, importer: Importer, path: Path, key: str, skip_invalid: bool) -> None:
    if not path.is_file():
        typer.echo(f"error: {path}: no such file", err=True)
        raise typer.Exit(2)
    _engine, factory = open_registry(settings_from(ctx))
    try:
        report = _import_with_progress(importer, factory, path, key, skip_invalid)
    except UnreadableFile as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except ImportFailed as exc:
        typer.echo(f"error: {path}: {exc}", err=True)
        raise typer.Exit(1) from exc
    for error in report.errors:
        typer.echo(f"{path}: skipped {error}", err=True)
    typer.echo(f"{path}: {report.summary()}")


def _import_with_progress(
    importer: Importer, factory: SessionFactory, path: Path, key: str, skip_invalid: bool
) -> ImportReport:
    records: Iterable[Record] = read_records(path, key)
    total = count_data_lines(path)
    if total is None or total < 5000 or not err.is_terminal:
        return importer(factory, records, skip_invalid=skip_invalid)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(f"validating {path.name}", total=total)
        return importer(
            factory,
            records,
            skip_invalid=skip_invalid,
            progress=lambda n: progress.advance(task, n),
        )


@app.command("districts")
def districts_command(ctx: typer.Context, path: FileArg, skip_invalid: SkipInvalid = False) -> None:
    """Districts: code, name, level, parent_code (parents in the file or already imported)."""
    _run(ctx, import_districts, path, "districts", skip_invalid)


@app.command("departments")
def departments_command(
    ctx: typer.Context, path: FileArg, skip_invalid: SkipInvalid = False
) -> None:
    """Departments: id, name, district_code, categories (separated by ;)."""
    _run(ctx, import_departments, path, "departments", skip_invalid)


@app.command("cameras")
def cameras_command(ctx: typer.Context, path: FileArg, skip_invalid: SkipInvalid = False) -> None:
    """Cameras: id (GB/T 28181 code or plain id), name, district_code, URLs, credentials, …"""
    _run(ctx, import_cameras, path, "cameras", skip_invalid)
