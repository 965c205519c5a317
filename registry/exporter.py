"""Export of cameras and districts. Credentials are never part of an export."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.importer import CAMERA_COLUMNS
from registry.models import Camera, District
from registry.tree import path_range

CAMERA_EXPORT_COLUMNS = ("id", *CAMERA_COLUMNS)
DISTRICT_EXPORT_COLUMNS = ("code", "name", "level", "parent_code")
# The import file names this column owner_department; keep export and import symmetric.
_EXPORT_NAMES = {"owner_department_id": "owner_department"}


def camera_records(session: Session, district_path: str | None = None) -> Iterator[dict[str, Any]]:
    columns = [getattr(Camera, name) for name in CAMERA_EXPORT_COLUMNS]
    stmt = select(*columns).order_by(Camera.id)
    if district_path is not None:
        low, high = path_range(district_path)
        stmt = stmt.join(District, Camera.district_code == District.code).where(
            District.path >= low, District.path < high
        )
    for found in session.execute(stmt.execution_options(yield_per=5000)):
        record = dict(zip(CAMERA_EXPORT_COLUMNS, found, strict=True))
        yield {_EXPORT_NAMES.get(key, key): value for key, value in record.items()}


def district_records(session: Session) -> Iterator[dict[str, Any]]:
    stmt = select(District.code, District.name, District.level, District.parent_code).order_by(
        District.path
    )
    for found in session.execute(stmt):
        yield dict(zip(DISTRICT_EXPORT_COLUMNS, found, strict=True))


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list):
        return ";".join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def write_csv(records: Iterator[dict[str, Any]], columns: tuple[str, ...], out: TextIO) -> int:
    header = [_EXPORT_NAMES.get(name, name) for name in columns]
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    count = 0
    for record in records:
        writer.writerow({key: _csv_cell(value) for key, value in record.items()})
        count += 1
    return count


def write_json(records: Iterator[dict[str, Any]], out: TextIO) -> int:
    items = list(records)
    json.dump(items, out, ensure_ascii=False, indent=1)
    out.write("\n")
    return len(items)
