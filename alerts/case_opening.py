"""Cases from alert changes: which changes matter, and opening (or linking) for them.

`open_case_for_alert` (the case workflow's) decides and is idempotent per fingerprint;
this side builds the snapshots from the committed alert rows, records the case on the
alert (`alerts.case_id`), links a storm's cameras to the storm's case, and sweeps for
what is due: alerts that waited long enough, members whose group has a case now. The
sweep reads only the database, so it also catches up after a restart and covers
alerts another consumer processed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select

from alerts.case_snapshots import record_case_id, snapshots
from alerts.cases.opening import Opened, OpeningOutcome, link_to_open_cases, open_case_for_alert
from alerts.cases.rules import Verdict, decide_opening
from alerts.cases.seam import AlertSnapshot
from alerts.cases.transitions import CaseError
from alerts.cases.workflow import Workflow
from alerts.domain import AlertStatus
from alerts.engine import Change
from alerts.models import AlertRow
from registry.db import SessionFactory, transaction
from registry.models import District

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
CHUNK = 500


def case_worthy(change: Change) -> bool:
    """A change case opening must look at: a new alert that shows (or a storm's camera),
    a status change, a group forming or growing, a silence or inhibition coming or going,
    a new priority. Not repeats of a firing alert (count, last seen)."""
    before, after = change.before, change.after
    if before is None:
        return after.status is not AlertStatus.PENDING or after.inhibited_by is not None
    return (
        before.status,
        before.inhibited_by,
        before.silenced_by,
        before.priority,
        before.members,
    ) != (after.status, after.inhibited_by, after.silenced_by, after.priority, after.members)


class CaseOpener:
    def __init__(self, factory: SessionFactory, workflow: Workflow, clock: Clock) -> None:
        self.factory = factory
        self.workflow = workflow
        self.clock = clock
        self.outcomes: dict[Opened, int] = dict.fromkeys(Opened, 0)

    def for_alerts(self, alert_ids: Sequence[str]) -> None:
        """Open or link cases for these alerts, in the order given."""
        for start in range(0, len(alert_ids), CHUNK):
            chunk = list(alert_ids[start : start + CHUNK])
            with self.factory() as session:
                found = {
                    row.id: row
                    for row in session.scalars(select(AlertRow).where(AlertRow.id.in_(chunk)))
                }
                built = snapshots(session, [found[i] for i in chunk if i in found])
            linked = self._link_in_bulk(built)
            for snapshot in built:
                if snapshot.alert_id not in linked:
                    self.open(snapshot)
                elif snapshot.is_group:
                    self.link_members(snapshot.alert_id)

    def _link_in_bulk(self, built: Sequence[AlertSnapshot]) -> dict[str, int]:
        """Those whose case is open already, linked in one transaction each way."""
        linked = link_to_open_cases(self.factory, built, self.clock())
        if not linked:
            return linked
        by_case: dict[int, list[str]] = {}
        for alert_id, case_id in linked.items():
            by_case.setdefault(case_id, []).append(alert_id)
        with transaction(self.factory) as session:
            for case_id, alert_ids in by_case.items():
                record_case_id(session, alert_ids, case_id)
        self.outcomes[Opened.LINKED] += len(linked)
        return linked

    def open(self, snapshot: AlertSnapshot) -> OpeningOutcome | None:
        try:
            outcome = open_case_for_alert(self.factory, self.workflow, snapshot, self.clock())
        except CaseError as exc:  # e.g. a district missing from the registry
            log.warning("no case for alert %s: %s", snapshot.alert_id, exc)
            return None
        self.outcomes[outcome.result] += 1
        if outcome.case_id is None:
            return outcome
        with transaction(self.factory) as session:
            record_case_id(session, [snapshot.alert_id], outcome.case_id)
        if outcome.result is not Opened.LINKED:
            log.info("case %s %s for alert %s (%s)", outcome.case_id, outcome.result,
                     snapshot.alert_id, outcome.rule)  # fmt: skip
        if snapshot.is_group:
            self.link_members(snapshot.alert_id)
        return outcome

    def link_members(self, group_alert_id: str) -> None:
        """The cameras (and smaller groups) a group inhibits join the group's case."""
        with self.factory() as session:
            members = list(
                session.scalars(
                    select(AlertRow.id)
                    .where(
                        AlertRow.inhibited_by == group_alert_id,
                        AlertRow.status != str(AlertStatus.RESOLVED),
                        AlertRow.case_id.is_(None),
                    )
                    .order_by(AlertRow.started_at)
                )
            )
        self.for_alerts(members)

    def sweep(self) -> None:
        """What is due now: firing alerts with no case whose rule's wait is over, and
        members of groups that have a case. One pure decision per alert, no write for
        those still waiting or never opening."""
        now = self.clock()
        with self.factory() as session:
            rows = list(
                session.scalars(
                    select(AlertRow)
                    .where(
                        AlertRow.status == str(AlertStatus.FIRING),
                        AlertRow.case_id.is_(None),
                        AlertRow.inhibited_by.is_(None),
                        AlertRow.silenced_by.is_(None),
                    )
                    .order_by(AlertRow.started_at)
                )
            )
            built = snapshots(session, rows)
            codes = {s.district_code for s in built}
            paths = dict(
                session.execute(
                    select(District.code, District.path).where(District.code.in_(codes))
                )
                .tuples()
                .all()
            )
            grouped = select(AlertRow.id).where(AlertRow.case_id.is_not(None))
            members = list(
                session.scalars(
                    select(AlertRow.id)
                    .where(
                        AlertRow.status != str(AlertStatus.RESOLVED),
                        AlertRow.case_id.is_(None),
                        AlertRow.inhibited_by.in_(grouped),
                    )
                    .order_by(AlertRow.started_at)
                )
            )
        for snapshot in built:
            path = paths.get(snapshot.district_code)
            if path is None:
                continue  # not in the registry: opening would fail the same way
            if decide_opening(self.workflow.rules, snapshot, path, now).verdict is Verdict.OPEN:
                self.open(snapshot)
        self.for_alerts(members)
