"""The change feed: one row per change to an alert, a case or a camera, for push to clients.

Lower layers call `record_change` inside their own transaction, so a change is in the
feed exactly when it is committed. Ids increase monotonically (autoincrement; on SQLite
never reused, even after pruning), and clients resume from the last id they saw.

Ids are taken at insert but become visible at commit, so on PostgreSQL a reader may see
id 11 before id 10 commits. Readers therefore deliver only up to the first gap, and wait
`gap_wait` before treating a gap as a rolled-back transaction (`deliverable`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.models import Base, District, PathString


class ChangeKind(StrEnum):
    ALERT = "alert"
    CASE = "case"
    CAMERA = "camera"


class Change(Base):
    __tablename__ = "change_feed"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    district_code: Mapped[str] = mapped_column(String(24))
    district_path: Mapped[str] = mapped_column(PathString)
    entity_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_change_feed_created_at", "created_at"),
        {"sqlite_autoincrement": True},
    )


class UnknownDistrict(ValueError):
    """A change names a district the registry does not have."""


def record_change(
    session: Session,
    *,
    kind: ChangeKind,
    district_code: str,
    entity_id: str,
    payload: Mapping[str, Any],
    now: datetime,
) -> Change:
    """Add a change to the caller's transaction; it is published when that commits."""
    path = session.scalar(select(District.path).where(District.code == district_code))
    if path is None:
        raise UnknownDistrict(f"district {district_code} is not in the registry")
    change = Change(
        kind=ChangeKind(kind).value,
        district_code=district_code,
        district_path=path,
        entity_id=entity_id,
        payload=dict(payload),
        created_at=now,
    )
    session.add(change)
    session.flush()
    return change


@dataclass(frozen=True, slots=True)
class Announcement:
    """One change for `record_changes`: what, where, and what a client needs to know."""

    kind: ChangeKind
    district_code: str
    entity_id: str
    payload: Mapping[str, Any]


def record_changes(session: Session, announcements: Sequence[Announcement], now: datetime) -> int:
    """Add many changes to the caller's transaction with one district lookup; those of a
    district the registry does not know are left out (a writer's batch must not fail for
    them). Returns how many were recorded."""
    codes = {a.district_code for a in announcements}
    if not codes:
        return 0
    paths = dict(
        session.execute(select(District.code, District.path).where(District.code.in_(codes)))
        .tuples()
        .all()
    )
    rows = [
        Change(
            kind=ChangeKind(a.kind).value,
            district_code=a.district_code,
            district_path=paths[a.district_code],
            entity_id=a.entity_id,
            payload=dict(a.payload),
            created_at=now,
        )
        for a in announcements
        if a.district_code in paths
    ]
    session.add_all(rows)
    session.flush()
    return len(rows)


@dataclass(frozen=True, slots=True)
class FeedBounds:
    oldest_id: int | None
    newest_id: int


def feed_bounds(session: Session) -> FeedBounds:
    oldest, newest = session.execute(select(func.min(Change.id), func.max(Change.id))).one()
    return FeedBounds(oldest, newest or 0)


def changes_between(
    session: Session, after: int, upto: int, low: str, high: str, limit: int | None = None
) -> Sequence[Change]:
    """Changes with `after` < id <= `upto` in the district subtree [low, high), oldest
    first; the first `limit` of them when given."""
    return session.scalars(
        select(Change)
        .where(
            Change.id > after,
            Change.id <= upto,
            Change.district_path >= low,
            Change.district_path < high,
        )
        .order_by(Change.id)
        .limit(limit)
    ).all()


def changes_after(session: Session, after: int, limit: int = 1000) -> Sequence[Change]:
    """Committed changes after `after` whatever their district, oldest first: one read
    serves every subscriber of a process (gaps are judged on their ids)."""
    return session.scalars(
        select(Change).where(Change.id > after).order_by(Change.id).limit(limit)
    ).all()


def visible_ids_after(session: Session, after: int, limit: int = 1000) -> Sequence[int]:
    """Committed ids after `after`, whatever their district: gaps are judged on these."""
    return session.scalars(
        select(Change.id).where(Change.id > after).order_by(Change.id).limit(limit)
    ).all()


def deliverable(
    after: int,
    visible: Sequence[int],
    first_seen: dict[int, datetime],
    now: datetime,
    gap_wait: timedelta,
) -> int:
    """The highest id up to which the feed is known complete (pure, but for `first_seen`,
    the caller's memory of when it first saw each id beyond a gap)."""
    complete = after
    for change_id in visible:
        # After 0 (an empty feed) nothing earlier can be in flight that anyone awaits.
        if change_id == complete + 1 or complete == 0:
            complete = change_id
            continue
        seen = first_seen.setdefault(change_id, now)
        if now - seen < gap_wait:
            break  # an earlier id may still commit
        complete = change_id
    for change_id in [i for i in first_seen if i <= complete]:
        del first_seen[change_id]
    return complete


def prune_changes(session: Session, before: datetime) -> int:
    """Drop changes older than `before`, always keeping the newest (it marks the horizon)."""
    newest = session.scalar(select(func.max(Change.id)))
    if newest is None:
        return 0
    result = session.execute(delete(Change).where(Change.created_at < before, Change.id < newest))
    return int(getattr(result, "rowcount", 0) or 0)


def needs_resync(after: int, bounds: FeedBounds) -> bool:
    """Whether changes after `after` may have been pruned (the client must reload state)."""
    if after >= bounds.newest_id:
        return after > bounds.newest_id  # ahead of the feed: another database, or a reset
    return bounds.oldest_id is not None and after < bounds.oldest_id - 1
