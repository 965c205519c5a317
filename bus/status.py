"""Retained messages beside the events: a camera's latest health state and worker presence."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bus.events import (
    SCHEMA_VERSION,
    MalformedEvent,
    MalformedReason,
    checked_data,
    format_ts,
    parse_ts,
)
from bus.json_data import JsonObject
from bus.topics import InvalidTopicSegment, check_segment


class WorkerPresence(StrEnum):
    """Payload of `{prefix}/v1/workers/{worker_id}`; `offline` is the broker-sent last will."""

    ONLINE = "online"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class StatusMessage:
    """Payload of `{prefix}/v1/status/{camera_id}`: the latest health state, retained."""

    camera_id: str
    worker_id: str
    ts: datetime
    state: JsonObject

    def __post_init__(self) -> None:
        for name in ("camera_id", "worker_id"):
            try:
                check_segment(name, getattr(self, name))
            except (InvalidTopicSegment, TypeError) as exc:
                raise MalformedEvent(MalformedReason.BAD_ID, str(exc)) from None
        object.__setattr__(self, "ts", parse_ts(format_ts(self.ts)))
        object.__setattr__(self, "state", checked_data(self.state))


def encode_status(status: StatusMessage) -> bytes:
    document = {
        "schema": SCHEMA_VERSION,
        "camera_id": status.camera_id,
        "worker_id": status.worker_id,
        "ts": format_ts(status.ts),
        "state": status.state,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode_status(payload: bytes | bytearray) -> StatusMessage:
    try:
        document: Any = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedEvent(MalformedReason.NOT_JSON, str(exc)) from None
    if not isinstance(document, Mapping) or document.get("schema") != SCHEMA_VERSION:
        raise MalformedEvent(MalformedReason.UNKNOWN_SCHEMA, "not a schema 1 status message")
    try:
        return StatusMessage(
            document["camera_id"],
            document["worker_id"],
            parse_ts(document["ts"]),
            document["state"],
        )
    except (KeyError, TypeError) as exc:
        raise MalformedEvent(MalformedReason.MISSING_FIELD, f"status lacks {exc}") from None
