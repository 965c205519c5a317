"""Bulk import and export of the caller's cameras, through the registry's importer and exporter.

Same rules as `gridwatch import cameras` / `gridwatch export cameras`: all or nothing
with every bad line and its reason (or `skip_invalid`), credentials never exported;
and one more: every row must stay inside the caller's subtree.
"""

from __future__ import annotations

import io
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Response, UploadFile

from api.deps import CamerasReader, CamerasWriter, ContextDep, SessionDep
from api.problems import ProblemError, ProblemType
from api.routers import V1
from api.routers.cameras import import_failed
from api.schemas.cameras import ImportResult, ImportRowError
from registry.exporter import CAMERA_EXPORT_COLUMNS, camera_records, write_csv, write_json
from registry.importer import ImportFailed, import_cameras
from registry.records import UnreadableFile, read_records

router = APIRouter(prefix=f"{V1}/cameras", tags=["cameras"])
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
SUFFIXES = (".csv", ".json", ".jsonl", ".ndjson", ".yaml", ".yml")


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


@router.get(
    "/export",
    response_model=None,
    summary="Export your cameras as CSV or JSON (never credentials)",
    responses={
        200: {
            "description": "The file; columns as the import takes them.",
            "content": {"text/csv": {"schema": {"type": "string"}}, "application/json": {}},
        }
    },
)
def export_cameras(
    principal: CamerasReader,
    session: SessionDep,
    fmt: Annotated[ExportFormat, Query(alias="format")] = ExportFormat.CSV,
) -> Response:
    out = io.StringIO()
    records = camera_records(session, principal.scope.path)
    if fmt is ExportFormat.CSV:
        write_csv(records, CAMERA_EXPORT_COLUMNS, out)
        media = "text/csv; charset=utf-8"
    else:
        write_json(records, out)
        media = "application/json"
    name = f"cameras-{principal.scope.district_code}.{fmt.value}"
    return Response(
        out.getvalue(),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post(
    "/import",
    response_model=ImportResult,
    summary="Import cameras from a CSV, JSON, JSON Lines or YAML file",
)
async def import_file(
    file: UploadFile,
    principal: CamerasWriter,
    context: ContextDep,
    skip_invalid: Annotated[
        bool, Query(description="Import the valid rows and list the bad ones.")
    ] = False,
) -> ImportResult:
    suffix = Path(file.filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise ProblemError(
            ProblemType.VALIDATION,
            422,
            f"file name must end in one of {', '.join(SUFFIXES)} (it names the format)",
        )
    with tempfile.TemporaryDirectory(prefix="gridwatch-import-") as folder:
        path = Path(folder) / f"upload{suffix}"
        size = 0
        with path.open("wb") as handle:
            while chunk := await file.read(1 << 20):
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise ProblemError(
                        ProblemType.VALIDATION, 413, f"file over {MAX_UPLOAD_BYTES >> 20} MiB"
                    )
                handle.write(chunk)
        try:
            report = import_cameras(
                context.factory,
                read_records(path, "cameras"),
                skip_invalid=skip_invalid,
                within=principal.scope.path,
            )
        except UnreadableFile as exc:
            detail = str(exc).replace(str(path), file.filename or "upload")
            raise ProblemError(ProblemType.IMPORT_FAILED, 422, detail) from None
        except ImportFailed as exc:
            raise import_failed(exc) from None
    return ImportResult(
        added=report.added,
        updated=report.updated,
        unchanged=report.unchanged,
        skipped=[ImportRowError(line=e.line, reason=e.reason) for e in report.errors],
    )
