"""Throw-away databases for tests and benchmarks: a SQLite file, or a fresh PostgreSQL database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from registry.db import make_engine


@contextmanager
def scratch_database_url(
    server_url: str | None, folder: Path, prefix: str = "gridwatch"
) -> Iterator[str]:
    """Yield the URL of an empty database; drop it afterwards.

    With `server_url` (a PostgreSQL URL) a new database is created on that server,
    so nothing already there is touched; otherwise a SQLite file under `folder`.
    """
    if server_url is None:
        yield f"sqlite:///{(folder / f'{prefix}-{uuid.uuid4().hex[:8]}.sqlite').as_posix()}"
        return
    url = make_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
