"""Cameras of a scope: lookup, search, health now and per day, the faulty list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, String, cast, func, or_, select
from sqlalchemy.orm import Session

from api.auth.principal import Scope
from ingest.stores.tables import CameraHealth, CameraHealthDaily
from registry.models import Camera, CameraCredential, District

_status = func.coalesce(CameraHealth.status, "unknown")


@dataclass(frozen=True, slots=True)
class CameraFilter:
    q: str | None = None
    district_path: str | None = None
    status: str | None = None
    use: str | None = None
    tag: str | None = None
    enabled: bool | None = None


def camera_in_scope(session: Session, scope: Scope, camera_id: str) -> Camera | None:
    return session.scalar(
        select(Camera)
        .join(District, Camera.district_code == District.code)
        .where(Camera.id == camera_id, scope.covers(District.path))
    )


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_cameras(
    session: Session, scope: Scope, wanted: CameraFilter, limit: int, offset: int
) -> tuple[int, Sequence[Row[Any]]]:
    """(total matching, one page of (Camera, status, has_credentials)) ordered by id."""
    conditions = [scope.covers(District.path)]
    if wanted.district_path is not None:
        conditions.append(Scope("", wanted.district_path).covers(District.path))
    if wanted.q:
        pattern = f"%{_like_escape(wanted.q.lower())}%"
        conditions.append(
            or_(
                func.lower(Camera.id).like(pattern, escape="\\"),
                func.lower(Camera.name).like(pattern, escape="\\"),
            )
        )
    if wanted.status is not None:
        conditions.append(_status == wanted.status)
    if wanted.use is not None:
        conditions.append(Camera.use == wanted.use)
    if wanted.tag is not None:
        # Tags are a JSON list of strings: match the quoted element in its text form.
        quoted = f'%"{_like_escape(wanted.tag)}"%'
        conditions.append(cast(Camera.tags, String).like(quoted, escape="\\"))
    if wanted.enabled is not None:
        conditions.append(Camera.enabled.is_(wanted.enabled))
    base = (
        select(Camera, _status.label("status"), CameraCredential.camera_id.is_not(None))
        .join(District, Camera.district_code == District.code)
        .outerjoin(CameraHealth, CameraHealth.camera_id == Camera.id)
        .outerjoin(CameraCredential, CameraCredential.camera_id == Camera.id)
        .where(*conditions)
    )
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    page = session.execute(base.order_by(Camera.id).limit(limit).offset(offset)).all()
    return int(total), page


def camera_row(session: Session, scope: Scope, camera_id: str) -> Row[Any] | None:
    """(Camera, status, has_credentials) of one camera in scope."""
    return session.execute(
        select(Camera, _status.label("status"), CameraCredential.camera_id.is_not(None))
        .join(District, Camera.district_code == District.code)
        .outerjoin(CameraHealth, CameraHealth.camera_id == Camera.id)
        .outerjoin(CameraCredential, CameraCredential.camera_id == Camera.id)
        .where(Camera.id == camera_id, scope.covers(District.path))
    ).first()


def health_now(session: Session, camera_id: str) -> CameraHealth | None:
    return session.get(CameraHealth, camera_id)


def health_days(
    session: Session, camera_id: str, first: date, last: date
) -> Sequence[CameraHealthDaily]:
    return session.scalars(
        select(CameraHealthDaily)
        .where(CameraHealthDaily.camera_id == camera_id, CameraHealthDaily.day.between(first, last))
        .order_by(CameraHealthDaily.day)
    ).all()


def faulty_cameras(session: Session, scope: Scope, limit: int) -> Sequence[Row[Any]]:
    """Cameras degraded or offline now, longest first: (Camera, CameraHealth)."""
    return session.execute(
        select(Camera, CameraHealth)
        .join(CameraHealth, CameraHealth.camera_id == Camera.id)
        .join(District, Camera.district_code == District.code)
        .where(scope.covers(District.path), CameraHealth.status.in_(("degraded", "offline")))
        .order_by(CameraHealth.status_since, Camera.id)
        .limit(limit)
    ).all()
