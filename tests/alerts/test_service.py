"""The service on a real database (SQLite, and PostgreSQL when configured), virtual time:
idempotent on event_id, restart in the middle of a storm group, seq gaps reconciled
from retained status, bad data dead-lettered, lost races detected."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from alerts.domain import AlertStatus, Kind, Scope, fingerprint
from alerts.engine import Engine
from alerts.models import AlertEvent, AlertRow, DeadLetterRow, SeqGap
from alerts.policy import Policy
from alerts.service import AlertService
from alerts.store import Conflict, write_alerts
from alerts.topology import Topology
from bus.status import StatusMessage
from registry.db import SessionFactory
from tests.alerts.helpers import Clock, Producer, at
from tests.alerts.storm import banner


def service(db: SessionFactory, clock: Clock, topology: Topology, policy: Policy) -> AlertService:
    built = AlertService(
        db, lambda: Engine(policy, topology), clock, gap_grace=timedelta(seconds=5)
    )
    built.load()
    return built


def producer_for(topology: Topology) -> Producer:
    return Producer(district_of={c.camera_id: c.district_code for c in topology.cameras.values()})


def count(db: SessionFactory, model: type, *where: object) -> int:
    with db() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_each_event_is_stored_once_and_counted_once(db: SessionFactory) -> None:
    topology, clock = banner(1, 50), Clock()
    svc, p = service(db, clock, topology, Policy(hold_s=0)), producer_for(topology)
    events = [
        p.event("health.fault", "T00C0001", at(i), code="BLURRED", value=1.0, threshold=2.0)
        for i in range(3)
    ]
    first = svc.process(events)
    again = svc.process(events[1:])  # redelivered after a lost PUBACK
    assert (first.stored, again.stored, again.duplicates) == (3, 0, 2)
    assert count(db, AlertEvent) == 3
    with db() as session:
        (row,) = session.scalars(select(AlertRow)).all()
    assert row.count == 3
    assert row.status == "firing"


def test_restart_in_the_middle_of_a_group(db: SessionFactory) -> None:
    topology, clock = banner(2, 100), Clock()
    policy = Policy(hold_s=120)
    svc, p = service(db, clock, topology, policy), producer_for(topology)
    rng = random.Random(3)
    down = sorted((rng.uniform(0, 180), c) for c in topology.cameras if c.startswith("T00"))
    half = len(down) // 2
    for t, camera in down[:half]:
        clock.now = at(t)
        svc.process([p.offline(camera, at(t))])
        svc.tick()
    group_fp = fingerprint(Kind.GROUP_OFFLINE, Scope.DISTRICT, "150402001")
    assert group_fp in svc.engine.alerts  # the group formed before the restart

    svc = service(db, clock, topology, policy)  # a new process: memory from the database
    assert svc.engine.alerts[group_fp].status is AlertStatus.FIRING
    for t, camera in down[half:]:
        clock.now = at(t)
        svc.process([p.offline(camera, at(t))])
        svc.tick()
        assert svc.engine.visible_singles() == 0
    clock.now = at(400)
    svc.tick()
    with db() as session:
        firing = session.scalars(
            select(AlertRow).where(
                AlertRow.status == "firing",
                AlertRow.inhibited_by.is_(None),
                AlertRow.silenced_by.is_(None),
            )
        ).all()
        group_id = svc.engine.alerts[group_fp].id
        inhibited = session.scalar(
            select(func.count()).select_from(AlertRow).where(AlertRow.inhibited_by == group_id)
        )
    assert [row.fingerprint for row in firing] == [group_fp]
    assert firing[0].members == 100
    assert inhibited is not None
    assert inhibited >= 100


def test_seq_gap_is_found_and_reconciled_from_retained_status(db: SessionFactory) -> None:
    topology, clock = banner(1, 20), Clock()
    svc, p = service(db, clock, topology, Policy(hold_s=0)), producer_for(topology)
    svc.process([p.offline("T00C0001", at(0))])
    svc.process([p.offline("T00C0002", at(1))])
    lost_online = p.online("T00C0001", at(2))  # never delivered
    lost_offline = p.offline("T00C0003", at(3))  # never delivered
    assert lost_online.seq + 1 == lost_offline.seq
    clock.now = at(4)
    svc.process([p.event("probe.failed", "T00C0009", at(4), code="timeout", detail="")])
    clock.now = at(6)
    assert svc.tick().gaps == []  # within the grace time a late delivery may fill it
    clock.now = at(10)
    (gap,) = svc.tick().gaps
    assert (gap[0], gap[1].first, gap[1].last) == ("w1", lost_online.seq, lost_offline.seq)
    assert count(db, SeqGap, SeqGap.reconciled_at.is_(None)) == 1

    statuses = [
        StatusMessage("T00C0001", "w1", at(2), {"status": "online", "since": None, "faults": {},
                      "last_failure": None, "consecutive_failures": 0}),
        StatusMessage("T00C0002", "w1", at(1), {"status": "offline", "since": None,
                      "faults": {}, "last_failure": "timeout", "consecutive_failures": 3}),
        StatusMessage("T00C0003", "w1", at(3), {"status": "offline", "since": None,
                      "faults": {}, "last_failure": "auth", "consecutive_failures": 3}),
    ]  # fmt: skip
    svc.reconcile(statuses)
    alerts = svc.engine.alerts
    assert not alerts[fingerprint(Kind.OFFLINE, Scope.CAMERA, "T00C0001")].active
    assert alerts[fingerprint(Kind.OFFLINE, Scope.CAMERA, "T00C0002")].count == 1
    assert alerts[fingerprint(Kind.AUTH, Scope.CAMERA, "T00C0003")].active
    assert count(db, SeqGap, SeqGap.reconciled_at.is_(None)) == 0


def test_a_gap_filled_late_is_no_gap(db: SessionFactory) -> None:
    topology, clock = banner(1, 20), Clock()
    svc, p = service(db, clock, topology, Policy(hold_s=0)), producer_for(topology)
    first, late, third = (p.offline(f"T00C000{i}", at(i)) for i in range(3))
    svc.process([first, third])
    svc.process([late])
    clock.now = at(60)
    assert svc.tick().gaps == []


def test_unusable_data_is_dead_lettered_and_the_rest_goes_on(db: SessionFactory) -> None:
    topology, clock = banner(1, 20), Clock()
    svc, p = service(db, clock, topology, Policy(hold_s=0)), producer_for(topology)
    bad = p.event("health.fault", "T00C0001", at(0), value=1.0)  # no code
    good = p.offline("T00C0002", at(1))
    outcome = svc.process([bad, good])
    assert (outcome.stored, outcome.rejected) == (1, 1)
    with db() as session:
        (letter,) = session.scalars(select(DeadLetterRow)).all()
    assert letter.reason == "bad_data"
    assert bad.event_id.encode() in letter.payload


def test_a_writer_that_fell_behind_gets_a_conflict_and_reloads(db: SessionFactory) -> None:
    topology, clock = banner(1, 20), Clock()
    svc, p = service(db, clock, topology, Policy(hold_s=0)), producer_for(topology)
    svc.process([p.offline("T00C0001", at(0))])
    other = service(db, clock, topology, Policy(hold_s=0))  # a second consumer
    other.process([p.online("T00C0001", at(10))])
    fp = fingerprint(Kind.OFFLINE, Scope.CAMERA, "T00C0001")
    stale = svc.engine.alerts[fp]  # still firing in the first consumer's memory
    with db() as session, pytest.raises(Conflict):
        write_alerts(session, [], [stale], at(11))
    svc.load()
    assert not svc.engine.alerts[fp].active


def test_consumers_sharing_a_stream_read_what_the_other_opened(db: SessionFactory) -> None:
    topology, clock = banner(1, 100), Clock()

    def shared() -> AlertService:
        built = AlertService(db, lambda: Engine(Policy(hold_s=60), topology), clock, shared=True)
        built.load()
        return built

    a, b, p = shared(), shared(), producer_for(topology)
    a.process([p.offline("T00C0001", at(0))])
    b.process([p.online("T00C0001", at(5))])  # b never saw it open
    with db() as session:
        (row,) = session.scalars(select(AlertRow)).all()
    assert row.status == "resolved"

    cameras = [c for c in topology.cameras if c != "T00C0001"]
    a.process([p.offline(c, at(10)) for c in cameras[:40]])  # a sees enough to group
    b.process([p.offline(c, at(11)) for c in cameras[40:45]])  # b holds five members
    clock.now = at(12)
    with pytest.raises(Conflict):  # a still held T00C0001 open: it lost that race
        a.tick()
    a.tick()  # reloaded (as the consumer does): now it knows, and groups
    b.tick()  # b takes a's group and inhibits its own members under it
    clock.now = at(80)
    b.tick()
    group = b.engine.groups["district:150402001"]
    assert group.id == a.engine.groups["district:150402001"].id
    assert b.engine.visible_singles() == 0
    assert all(
        b.engine.alerts[fingerprint(Kind.OFFLINE, Scope.CAMERA, c)].inhibited_by == group.id
        for c in cameras[40:45]
    )


def test_a_camera_that_recovers_and_fails_again_within_one_batch_is_stored(
    db: SessionFactory,
) -> None:
    """A backlog (the database was away, the broker kept the events) hands one batch a
    camera's recovery and its next failure: the open alert is resolved and a new one
    opened in one transaction. One open alert per fingerprint holds at every statement,
    so the resolution must reach the database before the new occurrence."""
    topology, clock = banner(1, 20), Clock()
    svc, p = service(db, clock, topology, Policy(hold_s=0)), producer_for(topology)
    svc.process([p.offline("T00C0001", at(0))])
    clock.now = at(30)
    outcome = svc.process([p.online("T00C0001", at(10)), p.offline("T00C0001", at(20))])
    assert outcome.stored == 2
    fp = fingerprint(Kind.OFFLINE, Scope.CAMERA, "T00C0001")
    with db() as session:
        rows = session.scalars(
            select(AlertRow).where(AlertRow.fingerprint == fp).order_by(AlertRow.started_at)
        ).all()
    assert [row.status for row in rows] == ["resolved", "firing"]
    assert rows[1].previous_id == rows[0].id
