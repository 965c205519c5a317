"""Alembic migrations, driven from code (`gridwatch db upgrade`) rather than an ini file."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    cfg = alembic_config_path_only()
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


class SchemaOutOfDate(RuntimeError):
    """The database is not at the newest migration and we may not upgrade it ourselves."""


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config_path_only()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head


def alembic_config_path_only() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def ensure_schema(engine: Engine) -> None:
    """Bring an embedded SQLite database to the newest schema; ask for `db upgrade` elsewhere."""
    current = current_revision(engine)
    if current == head_revision():
        return
    if engine.dialect.name == "sqlite":
        upgrade(engine)
        return
    raise SchemaOutOfDate(
        f"database schema is at {current or 'nothing'}, the code needs {head_revision()}: "
        "run `gridwatch db upgrade` first"
    )
