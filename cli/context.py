"""Settings for a command, resolved once from `--config` and the environment."""

from __future__ import annotations

from pathlib import Path

import typer

from config.logging import setup_logging
from config.settings import Settings, load_settings


def settings_from(ctx: typer.Context) -> Settings:
    """The settings the root callback loaded, or fresh ones when a command runs on its own."""
    root = ctx.find_root()
    if isinstance(root.obj, Settings):
        return root.obj
    settings = load_settings()
    root.obj = settings
    return settings


def init(ctx: typer.Context, config: Path | None) -> None:
    try:
        settings = load_settings(config)
    except (FileNotFoundError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    setup_logging(settings.log_level, json_lines=settings.log_json)
    ctx.obj = settings
