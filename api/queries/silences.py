"""Silences of a scope. A silence has no district of its own, only matchers: it belongs to
a scope when every district and camera it names lies inside, and it names at least one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.models import Silence as SilenceRow
from api.auth.principal import Scope
from registry.models import Camera, District


def outside(
    session: Session, scope: Scope, districts: Iterable[str], cameras: Iterable[str]
) -> list[str]:
    """The district codes and camera ids among these that are not in the scope (or unknown)."""
    codes, ids = set(districts), set(cameras)
    inside = set(
        session.scalars(
            select(District.code).where(District.code.in_(codes), scope.covers(District.path))
        )
    )
    inside |= set(
        session.scalars(
            select(Camera.id)
            .join(District, District.code == Camera.district_code)
            .where(Camera.id.in_(ids), scope.covers(District.path))
        )
    )
    return sorted((codes | ids) - inside)


def _named(row: SilenceRow) -> tuple[list[str], list[str]]:
    return list(row.matchers.get("districts", [])), list(row.matchers.get("cameras", []))


def _confined(rows: Sequence[SilenceRow], strangers: set[str]) -> list[SilenceRow]:
    kept = []
    for row in rows:
        districts, cameras = _named(row)
        if (districts or cameras) and not strangers.intersection(districts + cameras):
            kept.append(row)
    return kept


def silences_in_scope(
    session: Session, scope: Scope, active_at: datetime | None, limit: int
) -> list[SilenceRow]:
    """Silences of the scope, newest first; with `active_at`, those not over nor cancelled."""
    statement = select(SilenceRow)
    if active_at is not None:
        statement = statement.where(
            SilenceRow.cancelled_at.is_(None), SilenceRow.ends_at > active_at
        )
    rows: Sequence[SilenceRow] = session.scalars(
        statement.order_by(SilenceRow.created_at.desc(), SilenceRow.id).limit(10 * limit)
    ).all()
    districts = {code for row in rows for code in _named(row)[0]}
    cameras = {camera for row in rows for camera in _named(row)[1]}
    strangers = set(outside(session, scope, districts, cameras))
    return _confined(rows, strangers)[:limit]


def silence_in_scope(session: Session, scope: Scope, silence_id: str) -> SilenceRow | None:
    row = session.get(SilenceRow, silence_id)
    if row is None:
        return None
    strangers = set(outside(session, scope, *_named(row)))
    return row if _confined([row], strangers) else None
