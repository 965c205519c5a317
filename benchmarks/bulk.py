"""Loading a benchmark's generated rows fast: COPY on PostgreSQL, Core executemany on SQLite.

Rows are tuples holding every column of their table in table order. `loads` yields steps,
each a list of (model, rows) loaded together (a generator may report progress between
steps); everything commits in one transaction, and the tables are analysed afterwards so
that the planner sees their real size.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import JSON, Engine, Table, insert, text

from registry.models import Base

Rows = Sequence[tuple[Any, ...]]
Step = Sequence[tuple[type[Base], Rows]]


def table_of(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def column_names(model: type[Base]) -> list[str]:
    return [column.key for column in table_of(model).columns]


def _json_positions(model: type[Base]) -> list[int]:
    columns = table_of(model).columns
    return [i for i, column in enumerate(columns) if isinstance(column.type, JSON)]


def _as_json(row: tuple[Any, ...], positions: list[int]) -> list[Any]:
    """COPY takes a JSON column as its text (psycopg would send a list as an array)."""
    values = list(row)
    for i in positions:
        if values[i] is not None:
            values[i] = json.dumps(values[i])
    return values


def load_rows(engine: Engine, loads: Iterable[Step]) -> None:
    if engine.dialect.name == "postgresql":
        _copy(engine, loads)
        return
    with engine.begin() as connection:
        for step in loads:
            for model, rows in step:
                names = column_names(model)
                if rows:
                    connection.execute(
                        insert(table_of(model)),
                        [dict(zip(names, row, strict=True)) for row in rows],
                    )
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))


def _copy(engine: Engine, loads: Iterable[Step]) -> None:
    tables: set[str] = set()
    raw = engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()  # type: ignore[union-attr]
        for step in loads:
            for model, rows in step:
                name = table_of(model).name
                tables.add(name)
                statement = f"COPY {name} ({', '.join(column_names(model))}) FROM STDIN"
                documents = _json_positions(model)
                with cursor.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(_as_json(row, documents) if documents else row)
        raw.commit()
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for name in tables:
            connection.execute(text(f"VACUUM ANALYZE {name}"))
