"""`no_live_worker`: raised when every known ingest worker has been offline for the hold,
cleared by the first worker back; decided from stored presences, so a restarted
consumer and a second consumer on a shared subscription agree (virtual time, real
database)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from alerts.domain import AlertStatus, Kind
from alerts.engine import Engine
from alerts.fleet import FINGERPRINT, Presence, no_live_worker_signal
from alerts.models import AlertRow
from alerts.policy import Policy
from alerts.priorities import load_rules
from alerts.service import AlertService
from bus.messages import PresenceMessage
from bus.status import WorkerPresence
from config.settings import Settings
from registry.db import SessionFactory
from tests.alerts.helpers import Clock, at
from tests.alerts.storm import banner

HOLD = timedelta(seconds=60)
ROOT = "150400"


def test_nothing_to_judge_without_workers() -> None:
    assert no_live_worker_signal({}, ROOT, at(0), HOLD) is None


def test_one_worker_online_clears_even_if_others_are_gone() -> None:
    presences = {"a": Presence(False, at(0)), "b": Presence(True, at(5))}
    signal = no_live_worker_signal(presences, ROOT, at(600), HOLD)
    assert signal is not None
    assert not signal.firing
    assert signal.ts == at(5)


def test_all_offline_fires_only_after_the_hold_from_the_last_one_gone() -> None:
    presences = {"a": Presence(False, at(0)), "b": Presence(False, at(30))}
    assert no_live_worker_signal(presences, ROOT, at(89), HOLD) is None
    signal = no_live_worker_signal(presences, ROOT, at(90), HOLD)
    assert signal is not None
    assert signal.firing
    assert signal.ts == at(30), "the moment the last worker left: every consumer agrees"
    assert signal.detail == {"workers_known": 2, "workers_online": 0}


def presence(worker: str, online: bool) -> PresenceMessage:
    return PresenceMessage(worker, WorkerPresence.ONLINE if online else WorkerPresence.OFFLINE)


def service(db: SessionFactory, clock: Clock, *, shared: bool = False) -> AlertService:
    topology, settings = banner(1, 10), Settings()
    rules = load_rules(settings.alerts_priorities_file, settings.command_center_tz)  # shipped
    built = AlertService(
        db, lambda: Engine(Policy(no_worker_hold_s=60), topology, rules), clock, shared=shared
    )
    built.load()
    return built


def fleet_alerts(db: SessionFactory) -> list[AlertRow]:
    with db() as session:
        return list(session.scalars(select(AlertRow).where(AlertRow.fingerprint == FINGERPRINT)))


def test_the_whole_fleet_gone_raises_one_critical_alert_and_a_worker_back_resolves_it(
    db: SessionFactory,
) -> None:
    clock = Clock(at(0))
    svc = service(db, clock)
    svc.process([presence("a", True), presence("b", True)])
    clock.now = at(10)
    svc.process([presence("a", False)])  # one last will: its shards move to b
    clock.now = at(200)
    svc.tick()
    assert fleet_alerts(db) == [], "b is alive: every shard has a live worker"
    svc.process([presence("b", False)])
    clock.now = at(259)
    svc.tick()
    assert fleet_alerts(db) == [], "held: a worker restarting comes back within the hold"
    clock.now = at(260)
    svc.tick()
    (row,) = fleet_alerts(db)
    assert (row.status, row.kind, row.severity) == ("firing", str(Kind.NO_LIVE_WORKER), "critical")
    assert row.started_at == at(200)
    assert "no camera is being probed" in row.summary
    clock.now = at(300)
    svc.process([presence("b", True)])
    svc.tick()
    (row,) = fleet_alerts(db)
    assert row.status == str(AlertStatus.RESOLVED)


def test_a_restarted_consumer_still_knows_the_fleet(db: SessionFactory) -> None:
    clock = Clock(at(0))
    first = service(db, clock)
    first.process([presence("a", True)])
    clock.now = at(5)
    first.process([presence("a", False)])  # and then the consumer restarts
    clock.now = at(100)
    second = service(db, clock)
    second.tick()
    (row,) = fleet_alerts(db)
    assert row.status == "firing"


def test_two_consumers_on_a_shared_stream_open_one_alert(db: SessionFactory) -> None:
    clock = Clock(at(0))
    a, b = service(db, clock, shared=True), service(db, clock, shared=True)
    a.process([presence("w1", True)])
    b.process([presence("w2", True)])
    clock.now = at(10)
    a.process([presence("w2", False)])  # each hears one last will
    b.process([presence("w1", False)])
    clock.now = at(120)
    a.tick()
    b.tick()
    (row,) = fleet_alerts(db)
    assert row.status == "firing"
    assert row.started_at == at(10)
