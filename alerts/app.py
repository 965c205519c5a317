"""`gridwatch alerts` assembled: settings in, a running consumer with its notifiers out.

The one place that reads settings files (priorities, arming, receivers) and picks the
real clock; everything below gets them injected.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from alerts.arming import load_arming
from alerts.case_feed import CaseFeed
from alerts.case_work import CaseWork
from alerts.cases.workflow import Workflow, load_workflow
from alerts.consumer import Consumer, ConsumerOptions
from alerts.engine import Engine
from alerts.notify.mqtt import MqttNotifier
from alerts.notify.notices import notices_of
from alerts.notify.webhooks import WebhookNotifier, load_receivers
from alerts.policy import Policy
from alerts.priorities import load_rules
from alerts.retained import fetch_statuses
from alerts.service import AlertService, Outcome
from alerts.topology import Topology, load_topology
from bus.client import MqttProtocol
from bus.messages import Message
from bus.mqtt_url import parse_mqtt_url
from config.settings import Settings
from registry.db import SessionFactory

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
TOPOLOGY_REFRESH_S = 600.0


def utc_now() -> datetime:
    return datetime.now(UTC)


def protocol_of(settings: Settings) -> MqttProtocol:
    if settings.mqtt_protocol not in ("3.1.1", "5"):
        raise ValueError(f"GRIDWATCH_MQTT_PROTOCOL {settings.mqtt_protocol!r}: use 3.1.1 or 5")
    return "5" if settings.mqtt_protocol == "5" else "3.1.1"


@dataclass
class Running:
    consumer: Consumer
    mqtt: MqttNotifier
    webhooks: WebhookNotifier
    factory: SessionFactory
    settings: Settings
    holder: dict[str, Topology]
    """The topology engines are built with (a reload after a failure keeps the latest)."""
    cases: CaseWork
    listeners: list[Callable[[Outcome, Sequence[Message]], None]] = field(default_factory=list)

    def refresh_topology(self) -> None:
        with self.factory() as session:
            topology = load_topology(session, self.settings.alerts_group_district_level)
        self.holder["topology"] = topology
        self.consumer.service.engine.topology = topology

    def stop(self) -> None:
        self.consumer.stop()
        self.cases.stop()
        self.webhooks.stop()
        self.mqtt.stop()


def start_alerts(
    settings: Settings,
    factory: SessionFactory,
    mqtt_url: str,
    clock: Clock = utc_now,
    case_workflow: Callable[[], Workflow] | None = None,
) -> Running:
    """The consumer, its notifiers and the case side; `case_workflow` loads the case
    rules, SLA and calendar (default: from the settings' files, read again daily)."""
    protocol = protocol_of(settings)
    endpoint = parse_mqtt_url(mqtt_url)
    policy = Policy.from_settings(settings)
    rules = load_rules(settings.alerts_priorities_file, settings.command_center_tz)
    arming = load_arming(settings.alerts_arming_file, settings.command_center_tz)
    receivers = load_receivers(settings.alerts_receivers_file)
    load_case_workflow = case_workflow or (lambda: load_workflow(settings))
    load_case_workflow()  # a bad rules, SLA or calendar file stops the start here
    with factory() as session:
        topology = load_topology(session, policy.group_district_level)
    holder: dict[str, Topology] = {"topology": topology}

    def build_engine() -> Engine:
        return Engine(policy, holder["topology"], rules=rules, arming=arming)

    service = AlertService(
        factory,
        build_engine,
        clock,
        gap_grace=timedelta(seconds=settings.alerts_gap_grace_s),
        prefix=settings.topic_prefix,
        shared=settings.alerts_share_group is not None,
    )
    name = settings.alerts_consumer_id
    mqtt = MqttNotifier(endpoint, f"gridwatch-alerts-notify-{name}", settings.topic_prefix,
                        protocol).start()  # fmt: skip
    webhooks = WebhookNotifier(receivers, lambda: service.engine.topology).start()
    feed = CaseFeed(factory, mqtt.publish, settings.topic_prefix, name, clock)
    cases = CaseWork(factory, load_case_workflow, feed, clock, tick_s=settings.alerts_case_tick_s,
                     timezone=settings.command_center_tz)  # fmt: skip
    running_ref: list[Running] = []

    def on_outcome(outcome: Outcome, messages: Sequence[Message]) -> None:
        notices = notices_of(outcome)
        if notices:
            mqtt.send(notices)
            webhooks.send(notices)
        cases.offer(outcome, messages)
        for listener in running_ref[0].listeners if running_ref else ():
            listener(outcome, messages)

    options = ConsumerOptions(
        client_id=f"gridwatch-alerts-{name}",
        prefix=settings.topic_prefix,
        protocol=protocol,
        share_group=settings.alerts_share_group,
        batch_size=settings.alerts_batch_size,
        batch_wait_s=settings.alerts_batch_wait_s,
        tick_s=settings.alerts_tick_s,
    )
    consumer = Consumer(
        service,
        endpoint,
        options,
        fetch_statuses=lambda: fetch_statuses(endpoint, settings.topic_prefix),
        on_outcome=on_outcome,
    )
    running = Running(consumer, mqtt, webhooks, factory, settings, holder, cases)
    running_ref.append(running)
    consumer.start()
    cases.start()
    return running


def run_alerts(
    settings: Settings,
    factory: SessionFactory,
    mqtt_url: str,
    report: Callable[[str], None],
    stop: threading.Event,
) -> None:
    """Run until `stop` is set (the command sets it on SIGINT/SIGTERM)."""
    running = start_alerts(settings, factory, mqtt_url)
    engine = running.consumer.service.engine
    report(
        f"cases: opened from alerts by {settings.case_rules_file.name}, scheduler every "
        f"{settings.alerts_case_tick_s:g} s, events on {settings.topic_prefix}/v1/cases/#"
    )
    report(
        f"gridwatch alerts: {len(engine.topology.cameras)} cameras, "
        f"{len(engine.open_alerts())} open alerts; consuming "
        f"{', '.join(running.consumer.options.filters())}"
    )
    try:
        while not stop.wait(TOPOLOGY_REFRESH_S):
            running.refresh_topology()
    finally:
        running.stop()
        c = running.consumer
        report(f"stopped: {c.stored} events stored, {c.duplicates} duplicates, "
               f"{c.batches} batches")  # fmt: skip
