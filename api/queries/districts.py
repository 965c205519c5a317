"""The district tree of a scope with camera roll-ups, and online rate per day.

Counts are taken per district in one grouped query each and summed up the tree in
Python along the materialized paths (every node adds into each of its ancestors).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from api.auth.principal import Scope
from api.queries.alerts import open_alerts_by_district
from api.queries.cases import open_cases_by_district
from ingest.stores.tables import CameraHealth, CameraHealthDaily
from registry.models import Camera, District


@dataclass(slots=True)
class NodeCounts:
    cameras: int = 0
    online: int = 0
    faulty: int = 0
    offline: int = 0
    probes_today: int = 0
    online_today: int = 0
    open_alerts: int = 0
    open_cases: int = 0

    def add(self, other: NodeCounts) -> None:
        self.cameras += other.cameras
        self.online += other.online
        self.faulty += other.faulty
        self.offline += other.offline
        self.probes_today += other.probes_today
        self.online_today += other.online_today
        self.open_alerts += other.open_alerts
        self.open_cases += other.open_cases

    @property
    def unknown(self) -> int:
        return self.cameras - self.online - self.offline

    @property
    def online_rate_today(self) -> float | None:
        return round(self.online_today / self.probes_today, 4) if self.probes_today else None


@dataclass(frozen=True, slots=True)
class Node:
    code: str
    name: str
    level: int
    parent_code: str | None
    path: str
    counts: NodeCounts = field(default_factory=NodeCounts)


def command_center_day(now: datetime, tz: str) -> date:
    """'Today' for the command center. History rows are UTC days: the row named by
    this date covers most of the local day east of UTC (16 of 24 hours at UTC+8)."""
    return now.astimezone(ZoneInfo(tz)).date()


def roll_up(
    nodes: Mapping[str, Node], own: Mapping[str, NodeCounts], scope_path: str
) -> dict[str, NodeCounts]:
    """Each node's counts plus those of every node below it (pure)."""
    by_path = {node.path: code for code, node in nodes.items()}
    totals = {code: NodeCounts() for code in nodes}
    for code, counts in own.items():
        path = nodes[code].path
        parts = path.rstrip("/").split("/")
        for depth in range(1, len(parts) + 1):
            ancestor = "/".join(parts[:depth]) + "/"
            if ancestor.startswith(scope_path) and ancestor in by_path:
                totals[by_path[ancestor]].add(counts)
    return totals


def district_nodes(session: Session, scope: Scope, today: date) -> list[Node]:
    rows = session.execute(
        select(District.code, District.name, District.level, District.parent_code, District.path)
        .where(scope.covers(District.path))
        .order_by(District.path)
    ).all()
    nodes = {r.code: Node(r.code, r.name, r.level, r.parent_code, r.path) for r in rows}
    own: dict[str, NodeCounts] = {code: NodeCounts() for code in nodes}
    status_counts = session.execute(
        select(
            Camera.district_code,
            func.count(Camera.id),
            func.sum(case((CameraHealth.status.in_(("online", "degraded")), 1), else_=0)),
            func.sum(case((CameraHealth.status == "degraded", 1), else_=0)),
            func.sum(case((CameraHealth.status == "offline", 1), else_=0)),
        )
        .join(District, Camera.district_code == District.code)
        .outerjoin(CameraHealth, CameraHealth.camera_id == Camera.id)
        .where(scope.covers(District.path))
        .group_by(Camera.district_code)
    ).all()
    for code, cameras, online, faulty, offline in status_counts:
        counts = own[code]
        counts.cameras, counts.online = int(cameras), int(online or 0)
        counts.faulty, counts.offline = int(faulty or 0), int(offline or 0)
    for code, probes, online in session.execute(
        select(
            Camera.district_code,
            func.sum(CameraHealthDaily.probes),
            func.sum(CameraHealthDaily.online),
        )
        .join(Camera, Camera.id == CameraHealthDaily.camera_id)
        .join(District, Camera.district_code == District.code)
        .where(scope.covers(District.path), CameraHealthDaily.day == today)
        .group_by(Camera.district_code)
    ).all():
        own[code].probes_today, own[code].online_today = int(probes or 0), int(online or 0)
    for code, count in open_alerts_by_district(session, scope).items():
        own[code].open_alerts = count
    for code, count in open_cases_by_district(session, scope).items():
        own[code].open_cases = count
    totals = roll_up(nodes, own, scope.path)
    return [
        Node(n.code, n.name, n.level, n.parent_code, n.path, totals[n.code]) for n in nodes.values()
    ]


def district_path_in_scope(session: Session, scope: Scope, code: str) -> str | None:
    path = session.scalar(select(District.path).where(District.code == code))
    return path if path is not None and scope.contains(path) else None


def online_rate_by_day(
    session: Session, path: str, first: date, last: date
) -> list[tuple[date, int, int, int]]:
    """(day, probes, online, faulty) for each day with probes in the subtree at `path`."""
    subtree = Scope("", path)
    rows = session.execute(
        select(
            CameraHealthDaily.day,
            func.sum(CameraHealthDaily.probes),
            func.sum(CameraHealthDaily.online),
            func.sum(CameraHealthDaily.faulty),
        )
        .join(Camera, Camera.id == CameraHealthDaily.camera_id)
        .join(District, Camera.district_code == District.code)
        .where(subtree.covers(District.path), CameraHealthDaily.day.between(first, last))
        .group_by(CameraHealthDaily.day)
        .order_by(CameraHealthDaily.day)
    ).all()
    return [(day, int(p or 0), int(o or 0), int(f or 0)) for day, p, o, f in rows]
