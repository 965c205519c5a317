"""INSERT … ON CONFLICT for SQLite and PostgreSQL, the two databases we run on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def _insert(session: Session, model: type[Any]) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"upsert is not implemented for {dialect}")


def upsert(
    session: Session,
    model: type[Any],
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    columns: Sequence[str],
    *,
    add: Sequence[str] = (),
) -> None:
    """Insert rows; on a key conflict set `columns` to the new values and add `add` to the old."""
    if not rows:
        return
    stmt = _insert(session, model)
    table = model.__table__
    changes: dict[str, Any] = {name: stmt.excluded[name] for name in columns}
    changes.update({name: table.c[name] + stmt.excluded[name] for name in add})
    session.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=changes), list(rows))


def insert_ignore(
    session: Session, model: type[Any], rows: Sequence[Mapping[str, Any]], keys: Sequence[str]
) -> None:
    if rows:
        stmt = _insert(session, model)
        session.execute(stmt.on_conflict_do_nothing(index_elements=list(keys)), list(rows))
