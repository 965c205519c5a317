"""The lossless consumer: the bus `Subscriber` hands each message to a queue (the MQTT
callback stays cheap, so the broker never has to queue for us), one thread takes
batches (size or time, whichever first), commits them through `AlertService`, then
acknowledges every message of the batch, then notifies. Ticks run on the same thread.

Reconciliation from retained status runs at start (after our own restart anything
may have happened) and whenever the service reports a `seq` gap.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from alerts.service import AlertService, Outcome
from bus.client import MqttProtocol
from bus.messages import Message, decode_message
from bus.mqtt_url import MqttEndpoint
from bus.status import StatusMessage
from bus.subscriber import DeadLetter, Delivery, Subscriber, SubscriberOptions
from bus.topics import TopicKind, events_filter, kind_filter, shared_filter

log = logging.getLogger(__name__)
RETRY_MAX_S = 10.0
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ConsumerOptions:
    client_id: str
    prefix: str = "gridwatch"
    protocol: MqttProtocol = "3.1.1"
    share_group: str | None = None
    batch_size: int = 500
    batch_wait_s: float = 0.05
    tick_s: float = 1.0
    reconcile_at_start: bool = True

    def filters(self) -> tuple[str, ...]:
        plain = (events_filter(self.prefix), kind_filter(self.prefix, TopicKind.WORKERS))
        if self.share_group is None:
            return plain
        if self.protocol != "5":
            raise ValueError("a shared subscription needs MQTT 5 (set the protocol to 5)")
        return tuple(shared_filter(self.share_group, f) for f in plain)


Listener = Callable[[Outcome, Sequence[Message]], None]


class Consumer:
    def __init__(
        self,
        service: AlertService,
        endpoint: MqttEndpoint,
        options: ConsumerOptions,
        *,
        fetch_statuses: Callable[[], list[StatusMessage]] | None = None,
        on_outcome: Listener | None = None,
    ) -> None:
        self.service = service
        self.options = options
        self._fetch = fetch_statuses
        self._on_outcome = on_outcome
        self._queue: queue.Queue[tuple[Message, Delivery]] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alerts-batches", daemon=True)
        self._reconcile_wanted = threading.Event()
        self.batches = 0
        self.stored = 0
        self.duplicates = 0
        prefix = options.prefix
        self.subscriber: Subscriber[Message] = Subscriber(
            endpoint,
            SubscriberOptions(options.client_id, options.filters(), options.protocol, "manual"),
            decode=lambda topic, payload: decode_message(topic, payload, prefix=prefix),
            handle=self._enqueue,
            dead_letter=self._dead_letter,
            clock=service.clock,
        )

    def start(self, timeout: float = 30.0) -> Consumer:
        self.service.load()
        if self.options.reconcile_at_start:
            self._reconcile()
        self._thread.start()
        self.subscriber.start()
        if not self.subscriber.wait_subscribed(timeout):
            raise TimeoutError(f"no subscription on {self.subscriber.endpoint.display}")
        return self

    def stop(self) -> None:
        """Finish the batch in hand (committed and acknowledged), then disconnect; what is
        still queued is redelivered to the next session and de-duplicated there."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(30)
        self.subscriber.stop()

    def backlog(self) -> int:
        return self._queue.qsize()

    # -- network thread: cheap --------------------------------------------------------

    def _enqueue(self, message: Message, delivery: Delivery) -> None:
        self._queue.put((message, delivery))

    def _dead_letter(self, letter: DeadLetter) -> None:
        self.service.save_dead_letter(letter)

    # -- batch thread -------------------------------------------------------------------

    def _take(self, timeout: float) -> list[tuple[Message, Delivery]]:
        try:
            batch = [self._queue.get(timeout=timeout)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.options.batch_wait_s
        while len(batch) < self.options.batch_size:
            try:
                batch.append(self._queue.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        return batch

    def _run(self) -> None:
        next_tick = time.monotonic()
        while not self._stop.is_set():
            batch = self._take(max(0.0, min(next_tick - time.monotonic(), 0.2)))
            if batch:
                self._commit(batch)
            if time.monotonic() >= next_tick:
                next_tick = time.monotonic() + self.options.tick_s
                self._retrying(self._tick)
            if self._reconcile_wanted.is_set():
                self._reconcile_wanted.clear()
                self._retrying(self._reconcile)

    def _commit(self, batch: list[tuple[Message, Delivery]]) -> None:
        messages = [message for message, _ in batch]
        outcome = self._retrying(lambda: self.service.process(messages))
        if outcome is None:
            return  # stopping: not acknowledged, so redelivered
        for _, delivery in batch:
            delivery.ack()
        self.batches += 1
        self.stored += outcome.stored
        self.duplicates += outcome.duplicates
        if self._on_outcome is not None:
            self._on_outcome(outcome, messages)

    def _tick(self) -> None:
        outcome = self.service.tick()
        if outcome.gaps:
            self._reconcile_wanted.set()
        if self._on_outcome is not None:
            self._on_outcome(outcome, ())

    def _reconcile(self) -> None:
        if self._fetch is None:
            return
        statuses = self._fetch()
        outcome = self.service.reconcile(statuses)
        log.info("reconciled %d retained camera statuses", len(statuses))
        if self._on_outcome is not None:
            self._on_outcome(outcome, ())

    def _retrying(self, call: Callable[[], T]) -> T | None:
        delay = 0.2
        while True:
            try:
                return call()
            except Exception:
                log.exception("alert batch failed; retrying in %.1f s", delay)
                if self._stop.wait(delay):
                    return None
                delay = min(delay * 2, RETRY_MAX_S)
