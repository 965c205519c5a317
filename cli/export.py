"""`gridwatch export …`: cameras and districts as CSV or JSON. Never credentials."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cli.context import settings_from
from cli.registry_access import open_registry
from registry.exporter import (
    CAMERA_EXPORT_COLUMNS,
    DISTRICT_EXPORT_COLUMNS,
    camera_records,
    district_records,
    write_csv,
    write_json,
)
from registry.tree import district_path

app = typer.Typer(
    help="Export the registry (credentials are never exported).", no_args_is_help=True
)


class Format(StrEnum):
    CSV = "csv"
    JSON = "json"


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="csv or json.")]
OutOpt = Annotated[
    Path | None, typer.Option("--out", "-o", help="File to write (default: stdout).")
]


@app.command("cameras")
def cameras_command(
    ctx: typer.Context,
    fmt: FormatOpt = Format.CSV,
    out: OutOpt = None,
    district: Annotated[
        str | None, typer.Option(help="Only cameras in this district and below it.")
    ] = None,
) -> None:
    """Every camera (or a district subtree) with its URLs, without credentials."""
    _engine, factory = open_registry(settings_from(ctx))
    with factory() as session:
        path = None
        if district is not None:
            path = district_path(session, district)
            if path is None:
                typer.echo(f"error: district {district} is not in the registry", err=True)
                raise typer.Exit(2)
        records = camera_records(session, path)
        handle = out.open("w", newline="", encoding="utf-8") if out else sys.stdout
        try:
            if fmt is Format.CSV:
                count = write_csv(records, CAMERA_EXPORT_COLUMNS, handle)
            else:
                count = write_json(records, handle)
        finally:
            if out:
                handle.close()
    typer.echo(f"exported {count} cameras", err=True)


@app.command("districts")
def districts_command(ctx: typer.Context, fmt: FormatOpt = Format.CSV, out: OutOpt = None) -> None:
    """The district tree, parents before children."""
    _engine, factory = open_registry(settings_from(ctx))
    with factory() as session:
        handle = out.open("w", newline="", encoding="utf-8") if out else sys.stdout
        try:
            records = district_records(session)
            if fmt is Format.CSV:
                count = write_csv(records, DISTRICT_EXPORT_COLUMNS, handle)
            else:
                count = write_json(records, handle)
        finally:
            if out:
                handle.close()
    typer.echo(f"exported {count} districts", err=True)
