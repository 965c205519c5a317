"""Bulk import of districts, departments and cameras: all or nothing, upsert by id.

Every row is validated before anything is written. A bad row fails the whole import
with every bad line and its reason, unless `skip_invalid` is set, in which case the
good rows go in and the bad ones are reported. Writing is one transaction of Core
bulk statements; rows that did not change are not touched, so importing the same
file twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from registry.db import SessionFactory, transaction
from registry.models import Camera, CameraCredential, Department, District, utcnow
from registry.records import Record, read_records
from registry.rows import (
    CameraRow,
    DepartmentRow,
    DistrictRow,
    RowInvalid,
    parse_camera,
    parse_department,
    parse_district,
)
from registry.secrets import CredentialCipher, cipher_of
from registry.tree import PathConflict, build_paths, path_range, subtree_codes

Progress = Callable[[int], None]

# Core tables, not ORM entities: plain executemany, no identity-map synchronisation.
DISTRICTS = cast(Table, District.__table__)
DEPARTMENTS = cast(Table, Department.__table__)
CAMERAS = cast(Table, Camera.__table__)
CREDENTIALS = cast(Table, CameraCredential.__table__)

CAMERA_COLUMNS = (
    "name",
    "district_code",
    "device_type",
    "main_url",
    "sub_url",
    "snapshot_url",
    "lat",
    "lon",
    "use",
    "owner_department_id",
    "maintainer",
    "uplink",
    "tags",
    "enabled",
)
_BATCH = 5000
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(slots=True)
class ImportReport:
    kind: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.errors)

    def summary(self) -> str:
        text = (
            f"{self.kind}: {self.added} added, {self.updated} updated, {self.unchanged} unchanged"
        )
        return text + (f", {self.skipped} invalid rows skipped" if self.errors else "")


class ImportFailed(ValueError):
    """Nothing was written; `errors` lists every bad line with its reason."""

    def __init__(self, kind: str, errors: list[RowError]) -> None:
        self.kind = kind
        self.errors = errors
        listing = "\n".join(f"  {error}" for error in errors[:200])
        more = f"\n  … and {len(errors) - 200} more" if len(errors) > 200 else ""
        super().__init__(
            f"{kind} import failed, nothing was written: {len(errors)} invalid rows\n"
            f"{listing}{more}\n"
            "Fix these rows, or pass --skip-invalid to import the valid rows only."
        )


def _parse_all(
    records: Iterable[Record],
    parse: Callable[[Mapping[str, Any]], T],
    key: Callable[[T], str],
    progress: Progress | None,
) -> tuple[dict[str, tuple[int, T]], list[RowError]]:
    rows: dict[str, tuple[int, T]] = {}
    errors: list[RowError] = []
    for count, record in enumerate(records, start=1):
        if progress is not None and count % 1000 == 0:
            progress(1000)
        if "__error__" in record.fields:
            errors.append(RowError(record.line, str(record.fields["__error__"])))
            continue
        try:
            row = parse(record.fields)
        except RowInvalid as exc:
            errors.append(RowError(record.line, str(exc)))
            continue
        row_key = key(row)
        if row_key in rows:
            first = rows[row_key][0]
            errors.append(RowError(record.line, f"id {row_key} repeats line {first}"))
            continue
        rows[row_key] = (record.line, row)
    return rows, errors


def _finish(kind: str, errors: list[RowError], skip_invalid: bool) -> ImportReport:
    errors.sort(key=lambda error: error.line)
    if errors and not skip_invalid:
        raise ImportFailed(kind, errors)
    return ImportReport(kind=kind, errors=errors)


def import_districts(
    factory: SessionFactory,
    records: Iterable[Record],
    *,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    rows, errors = _parse_all(records, parse_district, lambda row: row.code, progress)
    with transaction(factory) as session:
        existing = {
            code: (name, level, parent, path)
            for code, name, level, parent, path in session.execute(
                select(
                    District.code,
                    District.name,
                    District.level,
                    District.parent_code,
                    District.path,
                )
            )
        }
        merged: dict[str, DistrictRow] = {
            code: DistrictRow(code, name, level, parent)
            for code, (name, level, parent, _path) in existing.items()
        }
        merged.update({code: row for code, (_line, row) in rows.items()})
        paths, levels, conflicts = build_paths(merged)
        for conflict in conflicts:
            line = rows[conflict.code][0] if conflict.code in rows else 0
            errors.append(RowError(line, conflict.reason))
            rows.pop(conflict.code, None)
        report = _finish("districts", errors, skip_invalid)
        _write_districts(session, rows, existing, paths, levels, report)
    return report


def _write_districts(
    session: Session,
    rows: Mapping[str, tuple[int, DistrictRow]],
    existing: Mapping[str, tuple[str, int, str | None, str]],
    paths: Mapping[str, str],
    levels: Mapping[str, int],
    report: ImportReport,
) -> None:
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for code, path in paths.items():
        row = rows[code][1] if code in rows else None
        if code not in existing:
            if row is None:
                continue
            new.append(
                {
                    "code": code,
                    "name": row.name,
                    "level": levels[code],
                    "parent_code": row.parent_code,
                    "path": path,
                }
            )
            continue
        name, level, parent, old_path = existing[code]
        target = (row.name, levels[code], row.parent_code) if row else (name, levels[code], parent)
        if target != (name, level, parent) or path != old_path:
            changed.append(
                {
                    "b_code": code,
                    "name": target[0],
                    "level": target[1],
                    "parent_code": target[2],
                    "path": path,
                }
            )
        elif row is not None:
            report.unchanged += 1
    new.sort(key=lambda item: item["path"].count("/"))
    if changed:
        # Paths are unique: park moved rows on a temporary path before the final one.
        stmt = update(DISTRICTS).where(DISTRICTS.c.code == bindparam("b_code"))
        parked = [{**item, "path": "~" + item["path"]} for item in changed]
        session.execute(stmt, parked)
    for start in range(0, len(new), _BATCH):
        session.execute(insert(DISTRICTS), new[start : start + _BATCH])
    if changed:
        session.execute(update(DISTRICTS).where(DISTRICTS.c.code == bindparam("b_code")), changed)
    report.added = len(new)
    report.updated = sum(1 for item in changed if item["b_code"] in rows)


def import_departments(
    factory: SessionFactory,
    records: Iterable[Record],
    *,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    with transaction(factory) as session:
        districts = set(session.scalars(select(District.code)))
        rows, errors = _parse_all(
            records, lambda raw: parse_department(raw, districts), lambda row: row.id, progress
        )
        report = _finish("departments", errors, skip_invalid)
        existing = {
            dept_id: (name, district, sorted(categories))
            for dept_id, name, district, categories in session.execute(
                select(
                    Department.id, Department.name, Department.district_code, Department.categories
                )
            )
        }
        new, changed = _diff_departments([row for _line, row in rows.values()], existing)
        if new:
            session.execute(insert(DEPARTMENTS), new)
        if changed:
            session.execute(
                update(DEPARTMENTS).where(DEPARTMENTS.c.id == bindparam("b_id")), changed
            )
        report.added, report.updated = len(new), len(changed)
        report.unchanged = len(rows) - len(new) - len(changed)
    return report


def _diff_departments(
    rows: list[DepartmentRow], existing: Mapping[str, tuple[str, str, list[str]]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for row in rows:
        values = {
            "name": row.name,
            "district_code": row.district_code,
            "categories": list(row.categories),
        }
        if row.id not in existing:
            new.append({"id": row.id, **values})
        elif existing[row.id] != (row.name, row.district_code, list(row.categories)):
            changed.append({"b_id": row.id, **values})
    return new, changed


def import_cameras(
    factory: SessionFactory,
    records: Iterable[Record],
    *,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    within: str | None = None,
) -> ImportReport:
    """`within`: a district path; every row must stay inside that subtree (the API's scope)."""
    with transaction(factory) as session:
        districts = set(session.scalars(select(District.code)))
        departments = set(session.scalars(select(Department.id)))
        rows, errors = _parse_all(
            records,
            lambda raw: parse_camera(raw, districts, departments),
            lambda row: row.id,
            progress,
        )
        if within is not None:
            _keep_within(session, within, rows, errors)
        report = _finish("cameras", errors, skip_invalid)
        _write_cameras(session, [row for _line, row in rows.values()], report)
    return report


def _keep_within(
    session: Session, path: str, rows: dict[str, tuple[int, CameraRow]], errors: list[RowError]
) -> None:
    """Drop (as errors) rows that leave the subtree at `path` or touch a camera outside it."""
    inside = set(session.scalars(subtree_codes(path)))
    low, high = path_range(path)
    outside_ids = set(
        session.scalars(
            select(Camera.id)
            .join(District, Camera.district_code == District.code)
            .where(or_(District.path < low, District.path >= high))
        )
    ).intersection(rows)
    for camera_id, (line, row) in list(rows.items()):
        if row.district_code not in inside:
            errors.append(RowError(line, f"district {row.district_code} is outside your subtree"))
        elif camera_id in outside_ids:
            errors.append(RowError(line, f"camera id {camera_id} is not available in your subtree"))
        else:
            continue
        del rows[camera_id]


def _camera_values(row: CameraRow) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in CAMERA_COLUMNS}
    values["tags"] = list(row.tags)
    return values


def _same_login(
    cipher: CredentialCipher,
    stored: tuple[str, str | None, str | None],
    username: str,
    password: str,
) -> bool:
    user, token, plain = stored
    if user != username:
        return False
    return (cipher.decrypt(token) if token is not None else plain) == password


def _write_cameras(session: Session, rows: list[CameraRow], report: ImportReport) -> None:
    columns = [getattr(Camera, name) for name in CAMERA_COLUMNS]
    existing = {
        found[0]: dict(zip(CAMERA_COLUMNS, found[1:], strict=True))
        for found in session.execute(select(Camera.id, *columns))
    }
    stored: dict[str, tuple[str, str | None, str | None]] = {
        camera_id: (user, token, plain)
        for camera_id, user, token, plain in session.execute(
            select(
                CameraCredential.camera_id,
                CameraCredential.username,
                CameraCredential.password_encrypted,
                CameraCredential.password,
            )
        )
    }
    cipher = cipher_of(session) if any(row.password is not None for row in rows) else None
    now = utcnow()
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    new_credentials: list[dict[str, Any]] = []
    changed_credentials: list[dict[str, Any]] = []
    for row in rows:
        values = _camera_values(row)
        credential_changed = False
        if row.username is not None and row.password is not None and cipher is not None:
            sealed = {"username": row.username, "password_encrypted": cipher.encrypt(row.password)}
            if row.id not in stored:
                new_credentials.append({"camera_id": row.id, **sealed, "password": None})
                credential_changed = True
            elif not _same_login(cipher, stored[row.id], row.username, row.password):
                changed_credentials.append({"b_id": row.id, **sealed, "password": None})
                credential_changed = True
        if row.id not in existing:
            new.append({"id": row.id, **values, "created_at": now, "updated_at": now})
        elif existing[row.id] != values or credential_changed:
            changed.append({"b_id": row.id, **values, "updated_at": now})
        else:
            report.unchanged += 1
    for start in range(0, len(new), _BATCH):
        session.execute(insert(CAMERAS), new[start : start + _BATCH])
    if changed:
        session.execute(update(CAMERAS).where(CAMERAS.c.id == bindparam("b_id")), changed)
    if new_credentials:
        session.execute(insert(CREDENTIALS), new_credentials)
    if changed_credentials:
        stmt = update(CREDENTIALS).where(CREDENTIALS.c.camera_id == bindparam("b_id"))
        session.execute(stmt, changed_credentials)
    report.added, report.updated = len(new), len(changed)


__all__ = [
    "ImportFailed",
    "ImportReport",
    "PathConflict",
    "RowError",
    "import_cameras",
    "import_departments",
    "import_districts",
    "import_inventory",
]


INVENTORY_FILES = (
    ("districts", import_districts),
    ("departments", import_departments),
    ("cameras", import_cameras),
)


def import_inventory(factory: SessionFactory, folder: Path) -> list[ImportReport]:
    """Import `districts.csv`, `departments.csv` and `cameras.csv` of a folder, in that order
    (the layout `gridwatch simulate inventory` writes)."""
    return [
        importer(factory, read_records(folder / f"{kind}.csv", kind))
        for kind, importer in INVENTORY_FILES
    ]
