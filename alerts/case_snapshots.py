"""Alerts as the case workflow sees them: `AlertSnapshot`s built from the alert tables.

The two halves speak different words. The alert service has kinds (`offline`,
`fault`, …) and a 0-100 priority; the case rules (`config/case_rules.yaml`) match on
event-style kinds (`camera.offline`, `health.fault`, …) and on P1-P4. The translation
lives here, on the alert side, so `alerts.cases` keeps knowing alerts only through
its seam.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from alerts.cases.seam import AlertSnapshot
from alerts.cases.seam import AlertStatus as CaseAlertStatus
from alerts.domain import AlertStatus, Kind
from alerts.models import AlertRow
from registry.models import Camera

CASE_KINDS: dict[Kind, str] = {
    Kind.OFFLINE: "camera.offline",
    Kind.AUTH: "camera.auth",
    Kind.FAULT: "health.fault",
    Kind.INTRUSION: "motion.start",
    Kind.WORKER_OFFLINE: "worker.offline",
    Kind.GROUP_OFFLINE: "camera.group_offline",
    Kind.NO_LIVE_WORKER: "worker.none_alive",
}
# Lower bounds of P1, P2, P3 on the alert priority (P1 and P2 are the critical and
# major severities of alerts/priorities.py); below the last, P4.
PRIORITY_BOUNDS = ((80, "P1"), (50, "P2"), (20, "P3"))


def case_priority(priority: int) -> str:
    for bound, name in PRIORITY_BOUNDS:
        if priority >= bound:
            return name
    return "P4"


def snapshot_of(
    row: AlertRow,
    camera_use: str | None,
    group_fingerprint: str | None,
    *,
    manual: bool = False,
) -> AlertSnapshot | None:
    """What case opening is told of one alert, or None when there is nothing to decide.

    A held (pending) alert is not firing yet, unless a group inhibits it: then it is one
    of a storm's cameras, and the group's case takes it. A silenced alert opens no case
    (its silence is someone's planned work); it is looked at again when the silence ends.
    `manual`: an operator escalates it, whatever its hold or silence.
    """
    status = AlertStatus(row.status)
    if status is AlertStatus.RESOLVED:
        seam_status = CaseAlertStatus.RESOLVED
    elif manual or group_fingerprint is not None:
        seam_status = CaseAlertStatus.FIRING
    elif status is AlertStatus.PENDING or row.silenced_by is not None:
        return None
    else:
        seam_status = CaseAlertStatus.FIRING
    kind = Kind(row.kind)
    is_group = kind is Kind.GROUP_OFFLINE
    return AlertSnapshot(
        alert_id=row.id,
        fingerprint=row.fingerprint,
        kind=CASE_KINDS[kind],
        priority=case_priority(row.priority),
        status=seam_status,
        fired_since=row.started_at,
        district_code=row.district_code,
        camera_id=row.camera_id,
        camera_use=camera_use,
        is_group=is_group,
        cameras_affected=max(row.members, 1) if is_group else 1,
        group_fingerprint=group_fingerprint,
    )


def snapshots(
    session: Session, rows: Iterable[AlertRow], *, manual: bool = False
) -> list[AlertSnapshot]:
    """Snapshots of `rows` (their cameras' use and their groups' fingerprints read in two
    queries), in the order given, leaving out those with nothing to decide."""
    rows = list(rows)
    cameras = {row.camera_id for row in rows if row.camera_id}
    groups = {row.inhibited_by for row in rows if row.inhibited_by}
    uses: dict[str, str] = {}
    if cameras:
        found = session.execute(select(Camera.id, Camera.use).where(Camera.id.in_(cameras)))
        uses = {camera_id: use for camera_id, use in found}
    group_fps: dict[str, str] = {}
    if groups:
        found = session.execute(
            select(AlertRow.id, AlertRow.fingerprint).where(AlertRow.id.in_(groups))
        )
        group_fps = {alert_id: fp for alert_id, fp in found}
    built = []
    for row in rows:
        group = group_fps.get(row.inhibited_by) if row.inhibited_by else None
        use = uses.get(row.camera_id) if row.camera_id else None
        snapshot = snapshot_of(row, use, group, manual=manual)
        if snapshot is not None:
            built.append(snapshot)
    return built


def record_case_id(session: Session, alert_ids: Iterable[str], case_id: int) -> None:
    """`alerts.case_id` of the alerts a case was opened for or linked to (an operators'
    column: the consumer never writes it)."""
    ids = list(alert_ids)
    if ids:
        session.execute(
            update(AlertRow)
            .where(AlertRow.id.in_(ids))
            .values(case_id=str(case_id))
            .execution_options(synchronize_session=False)
        )
