"""Alerts and cases together, as `gridwatch alerts` runs them (`start_alerts`): events on
the real broker, the real database, the case side on its own thread, in virtual time
(the scheduler's passes are asked for with `run_now(tick)` after moving the clock)."""

from __future__ import annotations

import gc
import json
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from sqlalchemy import func, select

from alerts.app import Running, start_alerts
from alerts.cases.commands import act, get_case
from alerts.cases.models import Case, CaseAlert, CaseEvent, CaseFlag
from alerts.cases.vocabulary import CaseAction
from alerts.domain import Kind, Scope, fingerprint
from alerts.models import AlertEvent, AlertRow
from bus.events import Event, encode
from registry.db import SessionFactory
from tests.alerts.helpers import Clock, Producer, small_topology
from tests.alerts.hub import KEY_SITE, build_registry, settings, workflow
from tests.alerts.test_consumer import Publisher
from tests.bus.mqtt_helpers import Recorder, wait_until

WORKFLOW = workflow()
MINUTE = 60.0


class Hub:
    """One running alert service on a virtual clock, a publisher and a case subscriber."""

    def __init__(self, db: SessionFactory, mqtt_url: str, **extra: Any) -> None:
        self.db, self.url = db, mqtt_url
        self.prefix = f"gwh{uuid.uuid4().hex[:10]}"
        self.settings = settings(topic_prefix=self.prefix, alerts_consumer_id=self.prefix,
                                 alerts_case_tick_s=3600, alerts_tick_s=0.1, **extra)  # fmt: skip
        self.clock = Clock()
        self.ticks = 0
        self.consumed = 0
        self.published_before = 0
        districts = {c.camera_id: c.district_code for c in small_topology().cameras.values()}
        self.producer = Producer(district_of=districts)
        self.publisher = Publisher(mqtt_url)
        self.cases_seen = Recorder(mqtt_url, f"{self.prefix}/v1/cases/#")
        self.running: Running = self.start()

    def start(self) -> Running:
        if hasattr(self, "running"):  # a restart: what the last process published
            self.published_before += self.running.cases.feed.published
        self.running = start_alerts(self.settings, self.db, self.url, self.clock, lambda: WORKFLOW)
        self.running.listeners.append(self._count_ticks)
        return self.running

    def send(self, *events: Event, settle: bool = True) -> None:
        before, consumed = self.count(AlertEvent), self.consumed
        for event in events:
            self.publisher.send(event.topic(self.prefix), encode(event))
        wait_until(lambda: self.count(AlertEvent) == before + len(events), 30, "events stored")
        wait_until(lambda: self.consumed >= consumed + len(events), 30, "the case side told")
        if settle:
            self.running.cases.settle()

    def offline(self, camera: str) -> None:
        self.send(self.producer.offline(camera, self.clock()))

    def online(self, camera: str) -> None:
        self.send(self.producer.online(camera, self.clock()))

    def advance(self, seconds: float) -> None:
        """Move the clock, let the consumer's (real-time) tick see it, run a case tick."""
        self.clock.advance(seconds)
        seen = self.ticks
        wait_until(lambda: self.ticks >= seen + 2, 10, "the consumer's tick at the new time")
        self.running.cases.settle()  # what that tick changed
        self.running.cases.run_now(self.running.cases.tick)
        self.running.cases.settle()

    def _count_ticks(self, _outcome: object, messages: Sequence[object]) -> None:
        """A listener, called after the case side was offered the outcome."""
        if messages:
            self.consumed += len(messages)
        else:
            self.ticks += 1

    def count(self, model: type, *where: object) -> int:
        with self.db() as session:
            return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    def alert(self, fp: str) -> AlertRow:
        with self.db() as session:
            row = session.scalars(
                select(AlertRow)
                .where(AlertRow.fingerprint == fp)
                .order_by(AlertRow.started_at.desc())
            ).first()
            assert row is not None, fp
            return row

    def messages(self) -> list[dict[str, Any]]:
        self.running.cases.settle()
        wait_until(lambda: self.running.cases.feed.pending() == 0, 10, "case events acknowledged")
        sent = self.published_before + self.running.cases.feed.published
        wait_until(lambda: len(self.cases_seen.received()) >= sent, 10, "case events received")
        return [json.loads(m.payload) for m in self.cases_seen.received()]

    def close(self) -> None:
        self.running.stop()
        self.publisher.close()
        self.cases_seen.close()
        gc.collect()  # finalizers now, not in the middle of a later import


@pytest.fixture
def hub(db: SessionFactory, mqtt_url: str) -> Iterator[Hub]:
    build_registry(db)
    running = Hub(db, mqtt_url, alerts_hold_s=0)
    yield running
    running.close()


def case_of(hub: Hub, fp: str) -> Case:
    row = hub.alert(fp)
    assert row.case_id is not None, f"no case for {fp}"
    return get_case(hub.db, int(row.case_id))


def test_offline_camera_case_opens_routes_resolves_and_closes_verified(hub: Hub) -> None:
    fp = fingerprint(Kind.OFFLINE, Scope.CAMERA, KEY_SITE)
    hub.offline(KEY_SITE)
    assert hub.alert(fp).status == "firing"
    assert hub.count(Case) == 0  # a key-site camera down waits 15 minutes (case_rules.yaml)
    hub.advance(14 * MINUTE)
    assert hub.count(Case) == 0
    hub.advance(1 * MINUTE)
    case = case_of(hub, fp)
    assert (case.status, case.department_id, case.opened_by) == (
        "assigned",
        "maint-150402",
        "system",
    )
    assert case.opened_at == hub.clock()
    act(hub.db, WORKFLOW, case.id, CaseAction.SIGN_FOR, actor="li", now=hub.clock())
    hub.advance(20 * MINUTE)
    hub.online(KEY_SITE)
    assert hub.alert(fp).status == "resolved"
    act(hub.db, WORKFLOW, case.id, CaseAction.RESOLVE, actor="li", now=hub.clock(),
        reason="replaced the PoE switch")  # fmt: skip
    hub.advance(29 * MINUTE)
    assert get_case(hub.db, case.id).status == "resolved"  # not yet 30 minutes resolved
    hub.advance(1 * MINUTE)
    closed = get_case(hub.db, case.id)
    assert (closed.status, closed.closed_at) == ("closed", hub.clock())
    actions = [(m["case_id"], m["action"], m["actor"]) for m in hub.messages()]
    assert actions == [
        (case.id, "open", "system"),
        (case.id, "accept", "system"),
        (case.id, "assign", "system"),
        (case.id, "sign_for", "li"),
        (case.id, "resolve", "li"),
        (case.id, "verified_close", "system"),
    ]
    topics = {m.topic for m in hub.cases_seen.received()}
    assert topics == {f"{hub.prefix}/v1/cases/150402001001/{case.id}"}
    assert all(not m.retained for m in hub.cases_seen.received())


def test_fault_back_returns_the_case_to_in_progress(hub: Hub) -> None:
    fp = fingerprint(Kind.OFFLINE, Scope.CAMERA, KEY_SITE)
    hub.offline(KEY_SITE)
    hub.advance(15 * MINUTE)
    case = case_of(hub, fp)
    act(hub.db, WORKFLOW, case.id, CaseAction.SIGN_FOR, actor="li", now=hub.clock())
    hub.online(KEY_SITE)
    act(hub.db, WORKFLOW, case.id, CaseAction.RESOLVE, actor="li", now=hub.clock(),
        reason="rebooted")  # fmt: skip
    hub.advance(5 * MINUTE)
    hub.offline(KEY_SITE)  # it did not hold
    again = hub.alert(fp)
    assert (again.status, again.case_id) == ("firing", str(case.id))  # linked at once
    hub.advance(10 * MINUTE)  # the verification grace after the handler's resolve
    back = get_case(hub.db, case.id)
    assert back.status == "in_progress"
    assert hub.count(Case) == 1
    assert [m["action"] for m in hub.messages()][-2:] == ["resolve", "check_failed"]


@pytest.fixture
def storm_hub(db: SessionFactory, mqtt_url: str) -> Iterator[Hub]:
    build_registry(db)
    running = Hub(db, mqtt_url)  # the default holds: a storm groups before it shows
    yield running
    running.close()


def test_a_township_storm_opens_one_case_with_its_cameras_linked(storm_hub: Hub) -> None:
    hub = storm_hub
    township = [c for c in small_topology().cameras if c.startswith(("C00", "C01"))]
    hub.send(*(hub.producer.offline(camera, hub.clock()) for camera in township))
    group_fp = fingerprint(Kind.GROUP_OFFLINE, Scope.DISTRICT, "150402001")
    wait_until(lambda: hub.count(AlertRow, AlertRow.fingerprint == group_fp) == 1, 10, "group")
    hub.advance(MINUTE)  # the group's hold
    assert hub.alert(group_fp).status == "firing"
    hub.advance(MINUTE)  # the cameras' hold: they show as the group's members
    assert hub.count(Case) == 0  # a storm waits 5 minutes from when it started
    hub.advance(3 * MINUTE)
    (case_id,) = hub.db().scalars(select(Case.id)).all()
    case = get_case(hub.db, case_id)
    assert (case.fingerprint, case.is_group, case.kind) == (group_fp, True, "camera.group_offline")
    assert case.cameras_affected == len(township)
    with hub.db() as session:
        rows = session.scalars(select(AlertRow).where(AlertRow.status != "resolved")).all()
        linked = set(session.scalars(select(CaseAlert.alert_id)).all())
    cameras = [r for r in rows if r.scope == "camera"]
    assert len(cameras) == len(township)
    assert all(r.inhibited_by is not None for r in cameras)
    assert {r.id for r in rows} == linked  # the group, its uplink groups and every camera
    assert {r.case_id for r in rows} == {str(case_id)}
    opened = [m for m in hub.messages() if m["action"] == "open"]
    assert len(opened) == 1  # links are not published, one opening is


def test_escalate_from_an_alert_publishes_the_operator_opening(hub: Hub) -> None:
    from alerts.actions import escalate

    hub.offline("C00003")
    alert = hub.alert(fingerprint(Kind.OFFLINE, Scope.CAMERA, "C00003"))
    case_id = escalate(hub.db, "op-zhang", alert.id, "crowd at the gate", hub.clock(),
                       workflow=WORKFLOW)  # fmt: skip
    hub.advance(60 * MINUTE)  # the rule's own wait passes: nothing is opened twice
    assert hub.count(Case) == 1
    assert hub.alert(alert.fingerprint).case_id == str(case_id)
    (opened, *_) = hub.messages()
    assert (opened["action"], opened["actor"], opened["reason"], opened["case_id"]) == (
        "open", "op-zhang", "crowd at the gate", case_id
    )  # fmt: skip


def test_supervision_yellow_then_red_published_to_a_subscriber(hub: Hub) -> None:
    hub.offline(KEY_SITE)
    hub.advance(15 * MINUTE)
    case = case_of(hub, fingerprint(Kind.OFFLINE, Scope.CAMERA, KEY_SITE))
    assert case.yellow_at is not None
    assert case.red_at is not None
    hub.advance((case.yellow_at - hub.clock()).total_seconds())
    assert get_case(hub.db, case.id).supervision == "yellow"
    hub.advance((case.red_at - hub.clock()).total_seconds())
    assert get_case(hub.db, case.id).supervision == "red"
    cards = [m for m in hub.messages() if m["action"] == "supervise"]
    assert [c["data"]["level"] for c in cards] == ["yellow", "red"]
    red = cards[1]
    with hub.db() as session:
        flag = session.scalars(select(CaseFlag).where(CaseFlag.level == "red")).one()
    assert red["data"]["escalated_to"] == flag.escalated_to == "cc-150402001"
    assert red["department_id"] == flag.department_id == "maint-150402"
    assert red["supervision"] == "red"


def test_a_restarted_service_opens_nothing_twice(hub: Hub) -> None:
    hub.offline(KEY_SITE)
    hub.offline("C00005")
    hub.advance(15 * MINUTE)  # the key site opens; C00005 (public security) too
    published = len(hub.messages())
    hub.running.cases.stop()  # the case side dies: a change reaches no case thread
    hub.send(hub.producer.offline("C00007", hub.clock()), settle=False)
    cases, links, audit = hub.count(Case), hub.count(CaseAlert), hub.count(CaseEvent)
    assert cases == 2
    hub.running.stop()
    hub.clock.advance(20 * MINUTE)  # down for a while; C00007's wait ran out meanwhile
    hub.start()  # a new process on the same database and broker session
    hub.running.cases.settle()  # its first pass at start has run
    assert hub.count(Case) == cases + 1  # C00007, caught up by the sweep at start
    late = case_of(hub, fingerprint(Kind.OFFLINE, Scope.CAMERA, "C00007"))
    hub.advance(MINUTE)
    hub.running.cases.run_now(hub.running.cases.tick)
    assert hub.count(Case) == cases + 1
    assert hub.count(CaseAlert) == links + 1
    new_audit = hub.db().scalars(select(CaseEvent.action).where(CaseEvent.id > 0)).all()
    assert len(new_audit) == audit + 4  # C00007: open, link_alert, accept, assign
    messages = hub.messages()
    assert len(messages) == published + 3  # its open, accept, assign; nothing again
    assert {m["case_id"] for m in messages[published:]} == {late.id}


def test_stop_leaves_queued_case_work_after_its_timeout_to_the_next_start(hub: Hub) -> None:
    """A stop waits for the queued work up to its timeout, then finishes the job in hand
    and leaves the rest to the next start's sweep: the thread never outlives the stop."""
    cases = hub.running.cases
    ran: list[int] = []

    def slow(n: int) -> None:
        time.sleep(0.2)
        ran.append(n)

    for n in range(20):  # 4 s of work
        cases._jobs.put(lambda n=n: slow(n))
    started = time.monotonic()
    cases.stop(timeout=0.5)
    took = time.monotonic() - started
    assert not cases._thread.is_alive()
    assert 2 <= len(ran) <= 4, ran  # what fitted in 0.5 s, plus the job in hand
    assert ran == list(range(len(ran)))  # in order
    assert took < 1.0
