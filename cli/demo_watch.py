"""What the demo prints while it runs: the alert service's alert and case messages as they
come off the broker, each milestone the first time it is reached (with the seconds
since start), and the ingest worker's load now and then."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console

from bus.events import MalformedEvent, MalformedReason
from bus.mqtt_url import parse_mqtt_url
from bus.subscriber import Delivery, Subscriber, SubscriberOptions
from bus.topics import TopicKind, kind_filter

# Fault codes of `health.fault` by the words the issue and the console use.
FAULT_WORDS = {
    "FROZEN": "frozen",
    "OCCLUDED": "covered",
    "BLURRED": "blurred",
    "MOVED": "moved",
    "TOO_DARK": "black",
    "NO_SIGNAL": "black",
}
MILESTONES = (
    "offline",
    "frozen",
    "covered",
    "blurred",
    "moved",
    "black",
    "power cut",
    "wrong credentials",
    "case opened",
    "case routed",
    "yellow card",
    "red card",
)


@dataclass(frozen=True, slots=True)
class Note:
    topic: str
    body: dict[str, Any]


def _decode(topic: str, payload: bytes) -> Note:
    if not payload:  # a retained alert cleared when it resolved
        return Note(topic, {})
    try:
        body = json.loads(payload)
    except ValueError:
        raise MalformedEvent(MalformedReason.NOT_JSON, "not JSON") from None
    if not isinstance(body, dict):
        raise MalformedEvent(MalformedReason.NOT_OBJECT, "not an object")
    return Note(topic, body)


def alert_milestone(body: dict[str, Any]) -> str | None:
    """The milestone an alert notice reaches, if it shows in the queue."""
    if body.get("notice") != "changed" or not body.get("visible"):
        return None
    kind = body.get("kind")
    if kind == "group_offline" and body.get("scope") == "district":
        return "power cut"
    if kind == "offline":
        return "offline"
    if kind == "auth":
        return "wrong credentials"
    if kind == "fault":
        return FAULT_WORDS.get(str(body.get("code")))
    return None


def case_milestone(body: dict[str, Any]) -> str | None:
    action = body.get("action")
    if action == "open":
        return "case opened"
    if action == "assign":
        return "case routed"
    if action == "supervise":
        level = (body.get("data") or {}).get("level")
        return {"yellow": "yellow card", "red": "red card"}.get(str(level))
    return None


@dataclass
class Watch:
    """Subscribes to alerts and cases; `reached` holds each milestone's first time."""

    url: str
    prefix: str
    console: Console
    names: dict[str, str]
    started: float = field(default_factory=time.monotonic)
    reached: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _subscriber: Subscriber[Note] | None = None

    def start(self) -> Watch:
        filters = (
            kind_filter(self.prefix, TopicKind.ALERTS),
            kind_filter(self.prefix, TopicKind.CASES),
        )
        options = SubscriberOptions(
            client_id=f"gridwatch-demo-watch-{id(self):x}", filters=filters, persistent=False
        )
        self._subscriber = Subscriber(parse_mqtt_url(self.url), options, _decode, self._seen)
        self._subscriber.start()
        return self

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def _seen(self, note: Note, _delivery: Delivery) -> None:
        body = note.body
        is_case = f"/{TopicKind.CASES}/" in note.topic
        milestone = case_milestone(body) if is_case else alert_milestone(body)
        if milestone is None:
            return
        with self._lock:
            first = milestone not in self.reached
            if first:
                self.reached[milestone] = self.elapsed()
        if first:
            self.console.print(
                f"[bold green]+{self.elapsed():5.0f} s[/bold green]  "
                f"[bold]{milestone}[/bold]: {self._describe(is_case, body)}"
            )

    def _describe(self, is_case: bool, body: dict[str, Any]) -> str:
        where = self.names.get(str(body.get("district_code")), body.get("district_code"))
        if is_case:
            department = body.get("department_id")
            to = f" → {department}" if department else ""
            return f"case {body.get('case_id')} ({body.get('priority')}) in {where}{to}"
        summary = body.get("summary") or body.get("camera_id") or ""
        return f"{summary} in {where}, priority {body.get('priority')}"

    def missing(self) -> list[str]:
        with self._lock:
            return [m for m in MILESTONES if m not in self.reached]

    def stop(self) -> None:
        if self._subscriber is not None:
            self._subscriber.stop()


def every(seconds: float, job: Callable[[], None], stop: threading.Event) -> threading.Thread:
    """Run `job` every `seconds` on a daemon thread until `stop` is set."""

    def loop() -> None:
        while not stop.wait(seconds):
            job()

    thread = threading.Thread(target=loop, name="demo-every", daemon=True)
    thread.start()
    return thread
