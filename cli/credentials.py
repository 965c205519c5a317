"""`gridwatch credentials …`: the key that encrypts camera passwords at rest."""

from __future__ import annotations

import typer
from cryptography.fernet import Fernet

from cli.context import settings_from
from cli.registry_access import open_registry
from registry.secrets import key_file, reencrypt_all, rotate_file_key

app = typer.Typer(help="Camera password encryption (Fernet) and its key.", no_args_is_help=True)


@app.command("rotate-key")
def rotate_key_command(ctx: typer.Context) -> None:
    """Re-encrypt every camera password under a new key.

    With the key file (`credentials.key` under the data folder) a new key is made and
    the old one retired. With GRIDWATCH_CREDENTIALS_KEY, put a new key first in the
    list (`gridwatch credentials new-key`), keep the old one after it, run this, then
    remove the old one. Restart running workers and API processes afterwards.
    """
    settings = settings_from(ctx)
    engine, factory = open_registry(settings)
    configured = settings.credentials_key
    if configured is not None and configured.get_secret_value().strip():
        count = reencrypt_all(factory)
        typer.echo(
            f"{count} camera passwords re-encrypted under the first key of "
            "GRIDWATCH_CREDENTIALS_KEY; remove the older keys from it now"
        )
        return
    count = rotate_file_key(settings, engine)
    typer.echo(f"{count} camera passwords re-encrypted under a new key in {key_file(settings)}")


@app.command("new-key")
def new_key_command() -> None:
    """Print a new Fernet key (for GRIDWATCH_CREDENTIALS_KEY)."""
    typer.echo(Fernet.generate_key().decode())
