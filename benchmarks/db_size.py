"""On-disk size of tables after a benchmark loaded them: rows per GB for the sizing table."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine, text


def tables_bytes(engine: Engine, tables: Iterable[str]) -> int | None:
    """Heap, indexes and TOAST of `tables` on PostgreSQL; None elsewhere (SQLite's file
    grows in pages shared by every table, so a per-table figure would be a guess)."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        return sum(
            int(
                connection.execute(text("SELECT pg_total_relation_size(:t)"), {"t": t}).scalar_one()
            )
            for t in tables
        )


def rows_per_gb(rows: int, size_bytes: int | None) -> int | None:
    if size_bytes is None or size_bytes == 0:
        return None
    return int(rows * 1024**3 / size_bytes)
