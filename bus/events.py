"""The event contract, schema 1: `Event`, its JSON encoding and a strict decoder.

`decode` accepts exactly what `encode` produces (any UTC offset is normalized to
UTC) and raises `MalformedEvent` with a `MalformedReason` for anything else, so a
consumer can dead-letter the payload with a reason instead of guessing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from bus.event_ids import is_event_id
from bus.json_data import (
    BadJsonData,
    CredentialsInData,
    JsonObject,
    check_json_data,
    reject_credentials,
)
from bus.topics import InvalidTopicSegment, check_segment, event_topic, parse_event_topic

SCHEMA_VERSION = 1
MAX_PAYLOAD_BYTES = 64 * 1024
MAX_EVIDENCE_LENGTH = 1024


class EventType(StrEnum):
    MOTION_START = "motion.start"
    MOTION_END = "motion.end"
    HEALTH_FAULT = "health.fault"
    HEALTH_RECOVERED = "health.recovered"
    PROBE_FAILED = "probe.failed"
    CAMERA_OFFLINE = "camera.offline"
    CAMERA_ONLINE = "camera.online"


class MalformedReason(StrEnum):
    TOO_LARGE = "too_large"
    NOT_JSON = "not_json"
    NOT_OBJECT = "not_object"
    DUPLICATE_FIELD = "duplicate_field"
    MISSING_FIELD = "missing_field"
    EXTRA_FIELD = "extra_field"
    WRONG_TYPE = "wrong_type"
    UNKNOWN_SCHEMA = "unknown_schema"
    UNKNOWN_TYPE = "unknown_type"
    BAD_EVENT_ID = "bad_event_id"
    BAD_SEQ = "bad_seq"
    BAD_ID = "bad_id"
    BAD_TIMESTAMP = "bad_timestamp"
    NAIVE_TIMESTAMP = "naive_timestamp"
    BAD_DATA = "bad_data"
    CREDENTIALS = "credentials"
    BAD_TOPIC = "bad_topic"
    TOPIC_MISMATCH = "topic_mismatch"


class MalformedEvent(ValueError):
    """An event that breaks the contract. `reason` is a stable code for dead-lettering."""

    def __init__(self, reason: MalformedReason, detail: str) -> None:
        super().__init__(f"malformed event ({reason}): {detail}")
        self.reason = reason
        self.detail = detail


def _utc_ms(ts: datetime) -> datetime:
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise MalformedEvent(MalformedReason.NAIVE_TIMESTAMP, "ts has no UTC offset")
    utc = ts.astimezone(UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def format_ts(ts: datetime) -> str:
    """UTC ISO 8601 with milliseconds and `Z`, e.g. `2026-03-01T08:00:00.123Z`."""
    return _utc_ms(ts).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_ts(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise MalformedEvent(
            MalformedReason.BAD_TIMESTAMP, f"ts {text[:40]!r} is not ISO 8601"
        ) from None
    return _utc_ms(parsed)


@dataclass(frozen=True, slots=True)
class Event:
    """One event as it travels on `{prefix}/v1/events/{district_code}/{camera_id}/{type}`.

    `ts` is when the thing happened (UTC, millisecond precision after construction);
    `seq` counts this worker's events from 1 with no holes; `data` is JSON-ready and
    free of credentials; `evidence` names a stored snapshot, if any.
    """

    event_id: str
    type: EventType
    camera_id: str
    district_code: str
    ts: datetime
    worker_id: str
    seq: int
    data: JsonObject = field(default_factory=dict)
    evidence: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.event_id, str) or not is_event_id(self.event_id):
            raise MalformedEvent(MalformedReason.BAD_EVENT_ID, f"{self.event_id!r} is not an id")
        try:
            object.__setattr__(self, "type", EventType(self.type))
        except ValueError:
            raise MalformedEvent(
                MalformedReason.UNKNOWN_TYPE, f"unknown event type {self.type!r}"
            ) from None
        for name in ("camera_id", "district_code", "worker_id"):
            try:
                check_segment(name, getattr(self, name))
            except (InvalidTopicSegment, TypeError) as exc:
                raise MalformedEvent(MalformedReason.BAD_ID, str(exc)) from None
        if isinstance(self.seq, bool) or not isinstance(self.seq, int) or self.seq < 1:
            raise MalformedEvent(MalformedReason.BAD_SEQ, f"seq {self.seq!r} is not an int >= 1")
        if not isinstance(self.ts, datetime):
            raise MalformedEvent(MalformedReason.BAD_TIMESTAMP, "ts is not a datetime")
        object.__setattr__(self, "ts", _utc_ms(self.ts))
        object.__setattr__(self, "data", checked_data(self.data))
        if self.evidence is not None:
            _check_evidence(self.evidence)

    def topic(self, prefix: str) -> str:
        return event_topic(prefix, self.district_code, self.camera_id, self.type)


def checked_data(data: Mapping[str, Any]) -> JsonObject:
    try:
        return check_json_data(data)
    except CredentialsInData as exc:
        raise MalformedEvent(MalformedReason.CREDENTIALS, str(exc)) from None
    except BadJsonData as exc:
        raise MalformedEvent(MalformedReason.BAD_DATA, str(exc)) from None


def _check_evidence(evidence: str) -> None:
    if not evidence or len(evidence) > MAX_EVIDENCE_LENGTH:
        raise MalformedEvent(MalformedReason.BAD_DATA, "evidence must be 1-1024 characters")
    try:
        reject_credentials("evidence", evidence)
    except CredentialsInData as exc:
        raise MalformedEvent(MalformedReason.CREDENTIALS, str(exc)) from None


_FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "schema": int,
    "event_id": str,
    "type": str,
    "camera_id": str,
    "district_code": str,
    "ts": str,
    "worker_id": str,
    "seq": int,
    "data": dict,
    "evidence": (str, type(None)),
}
_REQUIRED = frozenset(_FIELD_TYPES) - {"evidence"}


def encode(event: Event) -> bytes:
    document = {
        "schema": SCHEMA_VERSION,
        "event_id": event.event_id,
        "type": str(event.type),
        "camera_id": event.camera_id,
        "district_code": event.district_code,
        "ts": format_ts(event.ts),
        "worker_id": event.worker_id,
        "seq": event.seq,
        "data": event.data,
        "evidence": event.evidence,
    }
    payload = json.dumps(
        document, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise MalformedEvent(
            MalformedReason.TOO_LARGE, f"{len(payload)} bytes, limit {MAX_PAYLOAD_BYTES}"
        )
    return payload


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise MalformedEvent(MalformedReason.DUPLICATE_FIELD, f"field {key!r} appears twice")
        document[key] = value
    return document


def _reject_constant(name: str) -> Any:
    raise MalformedEvent(MalformedReason.NOT_JSON, f"{name} is not JSON")


def _parse_json(payload: bytes | bytearray) -> dict[str, Any]:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise MalformedEvent(
            MalformedReason.TOO_LARGE, f"{len(payload)} bytes, limit {MAX_PAYLOAD_BYTES}"
        )
    try:
        document = json.loads(
            payload.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_reject_constant,
        )
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedEvent(MalformedReason.NOT_JSON, str(exc)) from None
    if not isinstance(document, dict):
        raise MalformedEvent(MalformedReason.NOT_OBJECT, "payload is not a JSON object")
    return document


def _check_fields(document: dict[str, Any]) -> None:
    missing = sorted(_REQUIRED - document.keys())
    if missing:
        raise MalformedEvent(MalformedReason.MISSING_FIELD, f"missing {', '.join(missing)}")
    extra = sorted(document.keys() - _FIELD_TYPES.keys())
    if extra:
        raise MalformedEvent(MalformedReason.EXTRA_FIELD, f"unexpected {', '.join(extra)}")
    for name, expected in _FIELD_TYPES.items():
        value = document.get(name)
        if name in document and (isinstance(value, bool) or not isinstance(value, expected)):
            raise MalformedEvent(MalformedReason.WRONG_TYPE, f"{name} is {type(value).__name__}")
    if document["schema"] != SCHEMA_VERSION:
        raise MalformedEvent(
            MalformedReason.UNKNOWN_SCHEMA,
            f"schema {document['schema']}, this decoder reads {SCHEMA_VERSION}",
        )


def decode(topic: str, payload: bytes | bytearray, *, prefix: str | None = None) -> Event:
    """The event in `payload`, checked against its `topic` (and `prefix` when given)."""
    parts = parse_event_topic(topic)
    if parts is None or (prefix is not None and parts.prefix != prefix):
        raise MalformedEvent(MalformedReason.BAD_TOPIC, f"{topic[:200]!r} is not an event topic")
    document = _parse_json(payload)
    _check_fields(document)
    event = Event(
        event_id=document["event_id"],
        type=document["type"],
        camera_id=document["camera_id"],
        district_code=document["district_code"],
        ts=parse_ts(document["ts"]),
        worker_id=document["worker_id"],
        seq=document["seq"],
        data=document["data"],
        evidence=document.get("evidence"),
    )
    seen = (parts.district_code, parts.camera_id, parts.type)
    if seen != (event.district_code, event.camera_id, str(event.type)):
        raise MalformedEvent(
            MalformedReason.TOPIC_MISMATCH,
            f"topic says {'/'.join(seen)}, payload says "
            f"{event.district_code}/{event.camera_id}/{event.type}",
        )
    return event
