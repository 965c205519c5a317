"""The one way to consume the contract: a QoS 1 subscriber that never acknowledges early.

Rules it keeps, each learnt on a real broker:
- persistent session (MQTT 3.1.1 clean_session=False, MQTT 5 clean_start=False with a
  session expiry), so messages published while the consumer is away wait for it;
- it subscribes only when the broker has no session for it: re-subscribing over a
  present session replaces the subscription, and Mosquitto can drop a message routed
  to it in between;
- every decoded message is handed to `handle`; the PUBACK goes out only after `handle`
  returned (or, with `ack="manual"`, when the consumer calls `Delivery.ack()`, e.g.
  after its database commit), so a consumer killed in between gets the message again;
- `handle` raising is retried with back-off in place (the broker sees a slow consumer,
  not a lost message); `stop()` ends the retries;
- a payload that fails `decode` goes to the dead-letter hook with its reason and is
  then acknowledged: a poison message must not be redelivered forever;
- paho reconnects with back-off; `message_callback_add` is not used because it never
  fires for `$share/…` filters (paho issue 472): dispatch is on the real topic.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

import paho.mqtt.client as mqtt

from bus.client import MqttProtocol, connect_async, make_client
from bus.events import MalformedEvent
from bus.mqtt_url import MqttEndpoint
from config.clock import WallClock, utc_now

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_DEAD_LETTER_BYTES = 64 * 1024
QOS = 1


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A payload that broke the contract, kept for a person to read (bounded)."""

    topic: str
    payload: bytes
    reason: str
    detail: str
    received_at: datetime
    truncated: bool = False


@dataclass(slots=True)
class Delivery:
    """One received message. With `ack="manual"` the consumer calls `ack()` when its
    effect is durable; calling it twice is harmless."""

    topic: str
    payload: bytes
    retained: bool
    _ack: Callable[[], object] = field(repr=False)
    _acked: bool = field(default=False, repr=False)

    def ack(self) -> None:
        if not self._acked:
            self._acked = True
            self._ack()


@dataclass(frozen=True, slots=True)
class SubscriberOptions:
    client_id: str
    filters: tuple[str, ...]
    protocol: MqttProtocol = "3.1.1"
    ack: Literal["after_handle", "manual"] = "after_handle"
    keepalive_s: int = 30
    reconnect_min_s: float = 1.0
    reconnect_max_s: float = 30.0
    retry_min_s: float = 0.2
    retry_max_s: float = 10.0
    ca_file: str | None = None
    persistent: bool = True  # False only for tools that want nothing kept while away


class Subscriber(Generic[T]):
    """Consume `options.filters` at QoS 1; `decode(topic, payload)` turns bytes into a
    `T` (raising `MalformedEvent` for a bad payload) and `handle(value, delivery)` acts."""

    def __init__(
        self,
        endpoint: MqttEndpoint,
        options: SubscriberOptions,
        decode: Callable[[str, bytes], T],
        handle: Callable[[T, Delivery], None],
        *,
        dead_letter: Callable[[DeadLetter], None] | None = None,
        clock: WallClock = utc_now,
    ) -> None:
        if not options.filters:
            raise ValueError("a subscriber needs at least one topic filter")
        self.endpoint = endpoint
        self.options = options
        self._decode = decode
        self._handle = handle
        self._dead_letter = dead_letter
        self._clock = clock
        self._stopping = threading.Event()
        self._busy = threading.Lock()  # held while a message is handled and acknowledged
        self._subscribed = threading.Event()
        self._connected = threading.Event()
        self.session_present: bool | None = None
        self.handled = 0
        self.dead_letters = 0
        self.handler_failures = 0
        self.subscribe_requests = 0
        self.client = make_client(
            endpoint,
            options.client_id,
            options.protocol,
            options.ca_file,
            persistent=options.persistent,
        )
        self.client.manual_ack_set(True)
        self.client.reconnect_delay_set(
            max(1, round(options.reconnect_min_s)), max(1, round(options.reconnect_max_s))
        )
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> Subscriber[T]:
        connect_async(
            self.client, self.endpoint, self.options.keepalive_s, persistent=self.options.persistent
        )
        self.client.loop_start()
        return self

    def wait_subscribed(self, timeout: float = 10.0) -> bool:
        """True once the broker holds our subscription (acknowledged, or a present session)."""
        return self._subscribed.wait(timeout)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def stop(self, flush_s: float = 2.0) -> None:
        """Finish the message in hand, send the acknowledgements already given, disconnect.
        Messages not acknowledged by then are redelivered to the next session."""
        self._stopping.set()
        with self._busy:
            deadline = time.monotonic() + flush_s
            while self.client.want_write() and time.monotonic() < deadline:
                time.sleep(0.005)
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self) -> Subscriber[T]:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- paho callbacks (network thread) ---------------------------------------------

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: Any,
        reason: Any,
        properties: Any = None,
    ) -> None:
        if getattr(reason, "is_failure", False):
            log.warning("MQTT connect to %s refused: %s", self.endpoint.display, reason)
            return
        self._connected.set()
        self.session_present = bool(flags.session_present)
        if flags.session_present:
            self._subscribed.set()
            return
        self._subscribed.clear()
        self.subscribe_requests += 1
        client.subscribe([(topic_filter, QOS) for topic_filter in self.options.filters])

    def _on_disconnect(self, client: mqtt.Client, userdata: object, *args: object) -> None:
        self._connected.clear()

    def _on_subscribe(self, client: mqtt.Client, userdata: object, *args: object) -> None:
        self._subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        payload = bytes(msg.payload)
        mid, qos = msg.mid, msg.qos
        delivery = Delivery(msg.topic, payload, bool(msg.retain), lambda: client.ack(mid, qos))
        with self._busy:
            try:
                value = self._decode(msg.topic, payload)
            except MalformedEvent as exc:
                self._reject(delivery, str(exc.reason), exc.detail)
                return
            self._handle_with_retry(value, delivery)
            if self.options.ack == "after_handle":
                delivery.ack()

    # -- internals -------------------------------------------------------------------

    def _reject(self, delivery: Delivery, reason: str, detail: str) -> None:
        letter = DeadLetter(
            topic=delivery.topic[:1024],
            payload=delivery.payload[:MAX_DEAD_LETTER_BYTES],
            reason=reason,
            detail=detail[:1000],
            received_at=self._clock(),
            truncated=len(delivery.payload) > MAX_DEAD_LETTER_BYTES,
        )
        self.dead_letters += 1
        if self._dead_letter is None:
            log.warning("dead letter on %s (%s): %s", letter.topic, reason, letter.detail)
        else:
            self._handle_with_retry_call(lambda: self._dead_letter(letter))  # type: ignore[misc]
        delivery.ack()

    def _handle_with_retry(self, value: T, delivery: Delivery) -> None:
        self._handle_with_retry_call(lambda: self._handle(value, delivery))
        self.handled += 1

    def _handle_with_retry_call(self, call: Callable[[], None]) -> None:
        delay = self.options.retry_min_s
        while True:
            try:
                call()
                return
            except Exception:
                self.handler_failures += 1
                if self._stopping.is_set():
                    raise
                log.exception("consumer failed on a message; retrying in %.1f s", delay)
                if self._stopping.wait(delay):
                    raise
                delay = min(delay * 2, self.options.retry_max_s)


def raw_payload(topic: str, payload: bytes) -> bytes:
    """A `decode` for raw consumers (tools, tests): the payload as it came."""
    return payload
