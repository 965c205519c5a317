"""Decode any message of the contract by its topic: an event, a camera status or a
worker's presence. What a consumer subscribed to `…/v1/#`-style filters hands to its
`Subscriber`; anything else is a `MalformedEvent` (dead-lettered, never guessed at)."""

from __future__ import annotations

from dataclasses import dataclass

from bus.events import Event, MalformedEvent, MalformedReason, decode
from bus.status import StatusMessage, WorkerPresence, decode_status
from bus.topics import CONTRACT_VERSION, TopicKind, check_segment, topic_kind


@dataclass(frozen=True, slots=True)
class PresenceMessage:
    """`{prefix}/v1/workers/{worker_id}`: `online`, or the broker-sent last will `offline`."""

    worker_id: str
    presence: WorkerPresence

    @property
    def online(self) -> bool:
        return self.presence is WorkerPresence.ONLINE


Message = Event | StatusMessage | PresenceMessage


def _topic_id(topic: str, prefix: str | None, kind: TopicKind) -> str:
    parts = topic.split("/")
    if len(parts) != 4 or (prefix is not None and parts[0] != prefix):
        raise MalformedEvent(MalformedReason.BAD_TOPIC, f"{topic[:200]!r} is not a {kind} topic")
    try:
        return check_segment("id", parts[3])
    except ValueError as exc:
        raise MalformedEvent(MalformedReason.BAD_TOPIC, str(exc)) from None


def decode_message(topic: str, payload: bytes, *, prefix: str | None = None) -> Message:
    """The message on `topic`, strictly checked; raises `MalformedEvent` with a reason."""
    kind = topic_kind(topic)
    if kind is TopicKind.EVENTS:
        return decode(topic, payload, prefix=prefix)
    if kind is TopicKind.STATUS:
        camera_id = _topic_id(topic, prefix, kind)
        status = decode_status(payload)
        if status.camera_id != camera_id:
            raise MalformedEvent(
                MalformedReason.TOPIC_MISMATCH,
                f"topic says camera {camera_id}, payload says {status.camera_id}",
            )
        return status
    if kind is TopicKind.WORKERS:
        worker_id = _topic_id(topic, prefix, kind)
        try:
            presence = WorkerPresence(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise MalformedEvent(
                MalformedReason.NOT_OBJECT, "worker presence must be 'online' or 'offline'"
            ) from None
        return PresenceMessage(worker_id, presence)
    raise MalformedEvent(
        MalformedReason.BAD_TOPIC,
        f"{topic[:200]!r} is not an events, status or workers topic of {CONTRACT_VERSION}",
    )
