"""MQTT topic names of the event contract (version 1), built and parsed in one place.

{prefix}/v1/events/{district_code}/{camera_id}/{type}   QoS 1, not retained
{prefix}/v1/status/{camera_id}                          QoS 1, retained
{prefix}/v1/workers/{worker_id}                         QoS 1, retained, online/offline
{prefix}/v1/alerts/{district_code}/{alert_id}           QoS 1, retained while firing
{prefix}/v1/cases/{district_code}/{case_id}             QoS 1, not retained
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

CONTRACT_VERSION = "v1"
MAX_SEGMENT_LENGTH = 128

# Printable, no separators or wildcards, no leading `$` (reserved for broker topics).
_SEGMENT = re.compile(r"^(?!\$)[^/#+\s\x00-\x1f\x7f]+$")


class TopicKind(StrEnum):
    EVENTS = "events"
    STATUS = "status"
    WORKERS = "workers"
    ALERTS = "alerts"
    CASES = "cases"


class InvalidTopicSegment(ValueError):
    """An id that cannot be one level of an MQTT topic (empty, `/`, `#`, `+`, blanks, too long)."""

    def __init__(self, field: str, value: str) -> None:
        shown = value if len(value) <= 40 else value[:40] + "…"
        super().__init__(
            f"{field} {shown!r} cannot be a topic level: it must be 1-{MAX_SEGMENT_LENGTH} "
            "printable characters without '/', '#', '+', blanks or a leading '$'"
        )
        self.field = field


def check_segment(field: str, value: str) -> str:
    """Return `value` if it is a valid single topic level, else raise `InvalidTopicSegment`."""
    if len(value) > MAX_SEGMENT_LENGTH or not _SEGMENT.match(value):
        raise InvalidTopicSegment(field, value)
    return value


def event_topic(prefix: str, district_code: str, camera_id: str, event_type: str) -> str:
    check_segment("topic prefix", prefix)
    check_segment("district_code", district_code)
    check_segment("camera_id", camera_id)
    check_segment("type", event_type)
    return f"{prefix}/{CONTRACT_VERSION}/events/{district_code}/{camera_id}/{event_type}"


def status_topic(prefix: str, camera_id: str) -> str:
    check_segment("topic prefix", prefix)
    check_segment("camera_id", camera_id)
    return f"{prefix}/{CONTRACT_VERSION}/status/{camera_id}"


def worker_topic(prefix: str, worker_id: str) -> str:
    check_segment("topic prefix", prefix)
    check_segment("worker_id", worker_id)
    return f"{prefix}/{CONTRACT_VERSION}/workers/{worker_id}"


def alert_topic(prefix: str, district_code: str, alert_id: str) -> str:
    check_segment("topic prefix", prefix)
    check_segment("district_code", district_code)
    check_segment("alert_id", alert_id)
    return f"{prefix}/{CONTRACT_VERSION}/alerts/{district_code}/{alert_id}"


def case_topic(prefix: str, district_code: str, case_id: str) -> str:
    check_segment("topic prefix", prefix)
    check_segment("district_code", district_code)
    check_segment("case_id", case_id)
    return f"{prefix}/{CONTRACT_VERSION}/cases/{district_code}/{case_id}"


def kind_filter(prefix: str, kind: TopicKind) -> str:
    """Subscription filter for every message of one kind, e.g. `gridwatch/v1/events/#`."""
    return f"{check_segment('topic prefix', prefix)}/{CONTRACT_VERSION}/{kind}/#"


def events_filter(prefix: str) -> str:
    """Subscription filter for every event of the contract version."""
    return kind_filter(prefix, TopicKind.EVENTS)


def shared_filter(group: str, topic_filter: str) -> str:
    """`$share/{group}/{filter}`: the broker hands each message to one member of the group
    (MQTT 5 on Mosquitto and EMQX; amqtt does not know it, so use the plain filter there)."""
    return f"$share/{check_segment('share group', group)}/{topic_filter}"


def topic_kind(topic: str) -> TopicKind | None:
    """The kind of a contract topic (`…/v1/{kind}/…`), or None for anything else."""
    parts = topic.split("/", 3)
    if len(parts) < 4 or parts[1] != CONTRACT_VERSION:
        return None
    try:
        return TopicKind(parts[2])
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class EventTopic:
    prefix: str
    district_code: str
    camera_id: str
    type: str


def parse_event_topic(topic: str) -> EventTopic | None:
    """The parts of an event topic, or None when `topic` is not a v1 event topic."""
    parts = topic.split("/")
    if len(parts) != 6 or parts[1] != CONTRACT_VERSION or parts[2] != TopicKind.EVENTS:
        return None
    prefix, _, _, district_code, camera_id, event_type = parts
    try:
        for field, value in (
            ("topic prefix", prefix),
            ("district_code", district_code),
            ("camera_id", camera_id),
            ("type", event_type),
        ):
            check_segment(field, value)
    except InvalidTopicSegment:
        return None
    return EventTopic(prefix, district_code, camera_id, event_type)
