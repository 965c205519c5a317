"""Cameras of the caller's subtree: search, read, create, change, delete.

Writes go through the registry importer, one record at a time, so a camera made
here obeys exactly the rules of `gridwatch import cameras` (id and district checks,
credentials split out of URLs and stored encrypted, all or nothing with reasons).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import Row

from api.deps import CamerasReader, CamerasWriter, ContextDep, NowDep, SessionDep
from api.problems import ProblemError, ProblemType, not_found
from api.queries.cameras import CameraFilter, camera_in_scope, camera_row, search_cameras
from api.queries.districts import district_path_in_scope
from api.routers import V1
from api.schemas.cameras import CameraCreate, CameraFields, CameraOut, CameraPage, CameraUpdate
from registry.changefeed import ChangeKind, record_change
from registry.db import SessionFactory
from registry.importer import CAMERA_COLUMNS, ImportFailed, import_cameras
from registry.models import Camera
from registry.records import Record

router = APIRouter(prefix=f"{V1}/cameras", tags=["cameras"])


def camera_out(row: Row[Any]) -> CameraOut:
    camera, health_status, has_credentials = row
    values = {name: getattr(camera, name) for name in ("id", *CAMERA_COLUMNS)}
    return CameraOut(
        **values,
        has_credentials=bool(has_credentials),
        status=health_status,
        created_at=camera.created_at,
        updated_at=camera.updated_at,
    )


def import_failed(exc: ImportFailed) -> ProblemError:
    return ProblemError(
        ProblemType.IMPORT_FAILED,
        422,
        f"{exc.kind}: nothing was written, {len(exc.errors)} invalid rows; see `errors`",
        errors=[{"line": e.line, "reason": e.reason} for e in exc.errors[:1000]],
    )


def _record(camera_id: str, fields: CameraFields, base: dict[str, Any]) -> Record:
    given = fields.model_dump(exclude_unset=True)
    if fields.password is not None:
        given["password"] = fields.password.get_secret_value()
    return Record(1, {**base, **given, "id": camera_id})


def _announce(session: SessionDep, camera: Camera, op: str, now: datetime) -> None:
    record_change(
        session,
        kind=ChangeKind.CAMERA,
        district_code=camera.district_code,
        entity_id=camera.id,
        payload={"op": op, "name": camera.name, "enabled": camera.enabled},
        now=now,
    )


def _write(factory: SessionFactory, record: Record, scope_path: str) -> None:
    try:
        import_cameras(factory, [record], within=scope_path)
    except ImportFailed as exc:
        raise import_failed(exc) from None


@router.get("", response_model=CameraPage, summary="Search the cameras of your subtree")
def cameras(
    principal: CamerasReader,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=100, description="Part of id or name.")] = None,
    district: Annotated[str | None, Query(description="Only this district and below.")] = None,
    health: Annotated[
        str | None,
        Query(alias="status", pattern="^(online|degraded|offline|unknown)$"),
    ] = None,
    use: Annotated[str | None, Query(max_length=32)] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    enabled: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> CameraPage:
    path = None
    if district is not None:
        path = district_path_in_scope(session, principal.scope, district)
        if path is None:
            raise not_found("district")
    wanted = CameraFilter(q, path, health, use, tag, enabled)
    total, page = search_cameras(session, principal.scope, wanted, limit, offset)
    return CameraPage(total=total, items=[camera_out(row) for row in page])


@router.get("/{camera_id}", response_model=CameraOut, summary="One camera (never its credentials)")
def camera(camera_id: str, principal: CamerasReader, session: SessionDep) -> CameraOut:
    row = camera_row(session, principal.scope, camera_id)
    if row is None:
        raise not_found("camera")
    return camera_out(row)


@router.post(
    "",
    response_model=CameraOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a camera (same rules as the import)",
)
def create_camera(
    body: CameraCreate,
    principal: CamerasWriter,
    session: SessionDep,
    context: ContextDep,
    now: NowDep,
) -> CameraOut:
    if session.get(Camera, body.id) is not None:
        raise ProblemError(
            ProblemType.CONFLICT, 409, f"camera id {body.id} is taken; change it with PATCH"
        )
    _write(context.factory, _record(body.id, body, {}), principal.scope.path)
    session.rollback()  # end the read snapshot to see the import's commit
    row = camera_row(session, principal.scope, body.id)
    assert row is not None
    _announce(session, row[0], "created", now)
    session.commit()
    return camera_out(row)


@router.patch("/{camera_id}", response_model=CameraOut, summary="Change some fields of a camera")
def update_camera(
    camera_id: str,
    body: CameraUpdate,
    principal: CamerasWriter,
    session: SessionDep,
    context: ContextDep,
    now: NowDep,
) -> CameraOut:
    existing = camera_in_scope(session, principal.scope, camera_id)
    if existing is None:
        raise not_found("camera")
    base = {name: getattr(existing, name) for name in CAMERA_COLUMNS}
    base["owner_department"] = base.pop("owner_department_id")
    base.pop("device_type")
    session.rollback()
    _write(context.factory, _record(camera_id, body, base), principal.scope.path)
    row = camera_row(session, principal.scope, camera_id)
    if row is None:  # moved out of the caller's subtree is refused by the import
        raise not_found("camera")
    _announce(session, row[0], "updated", now)
    session.commit()
    return camera_out(row)


@router.delete(
    "/{camera_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Remove a camera with its credentials and health history",
)
def delete_camera(
    camera_id: str, principal: CamerasWriter, session: SessionDep, now: NowDep
) -> Response:
    existing = camera_in_scope(session, principal.scope, camera_id)
    if existing is None:
        raise not_found("camera")
    _announce(session, existing, "deleted", now)
    session.delete(existing)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
