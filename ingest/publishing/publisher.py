"""The event publisher: spool first, then MQTT QoS 1, forget only on PUBACK.

Threads: callers append to the spool (`publish_event`, `publish_status`) and return
at once; a pump thread commits the spool in groups, hands committed messages to paho
(at most `max_inflight` unacknowledged) and deletes what the broker acknowledged;
paho's own thread keeps the connection, reconnecting with back-off. While the broker
is away the pump only commits, so the backlog waits on disk, not in memory; paho
re-sends what was in flight when the connection dropped.

Delivery is at least once: a message whose PUBACK was lost is sent again after a
reconnect or a restart, and consumers are idempotent on `event_id`.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode

from bus.client import MqttProtocol, client_id_for, connect_async, make_client
from bus.event_ids import make_event_id
from bus.events import Event, EventType, encode
from bus.mqtt_url import MqttEndpoint, parse_mqtt_url
from bus.status import StatusMessage, WorkerPresence, encode_status
from bus.topics import check_segment, status_topic, worker_topic
from config.clock import WallClock, utc_now
from ingest.publishing.spool import Spool

log = logging.getLogger(__name__)
QOS = 1
MAX_INFLIGHT = 32_000  # well below the 65,535 message ids an MQTT session can tell apart


@dataclass(frozen=True, slots=True)
class EventDraft:
    """What the runtime knows about an event; the publisher adds id, seq, worker and ts.

    `ts` is when it happened; left out, it is the publisher clock's time of publishing.
    """

    type: EventType
    camera_id: str
    district_code: str
    data: Mapping[str, Any] = field(default_factory=dict)
    evidence: str | None = None
    ts: datetime | None = None


@dataclass(frozen=True, slots=True)
class PublisherOptions:
    worker_id: str
    topic_prefix: str = "gridwatch"
    protocol: MqttProtocol = "3.1.1"
    max_inflight: int = 256
    keepalive_s: int = 30
    reconnect_min_s: int = 1
    reconnect_max_s: int = 30
    commit_interval_s: float = 0.005
    ca_file: str | None = None

    def __post_init__(self) -> None:
        check_segment("worker_id", self.worker_id)
        check_segment("topic prefix", self.topic_prefix)
        if not 1 <= self.max_inflight <= MAX_INFLIGHT:
            raise ValueError(f"max_inflight must be 1-{MAX_INFLIGHT}, not {self.max_inflight}")
        if not 1 <= self.reconnect_min_s <= self.reconnect_max_s:
            raise ValueError(
                "reconnect delays must satisfy 1 <= reconnect_min_s <= reconnect_max_s"
            )


@dataclass(frozen=True, slots=True)
class PublisherCounters:
    """For metrics. `published` counts hand-overs to the MQTT client (re-sends included)."""

    spooled: int
    published: int
    acked: int
    replayed: int
    pending: int
    refused: int
    rejected: int
    connects: int
    connected: bool
    fenced: int = 0
    """Messages dropped unsent because the worker's leases lapsed (see `fence`)."""


class Publisher:
    """`with Publisher(url, spool, PublisherOptions(worker_id=...)) as publisher: ...`"""

    def __init__(
        self,
        mqtt_url: str | MqttEndpoint,
        spool: Spool,
        options: PublisherOptions,
        *,
        clock: WallClock = utc_now,
        client: mqtt.Client | None = None,
    ) -> None:
        self.endpoint = mqtt_url if isinstance(mqtt_url, MqttEndpoint) else parse_mqtt_url(mqtt_url)
        self.options = options
        self._spool = spool
        self._clock = clock
        self._worker_topic = worker_topic(options.topic_prefix, options.worker_id)
        self._client = client or self._new_client()
        self._cond = threading.Condition()
        self._acks: list[int] = []
        self._dirty = True  # whatever a previous process left in the spool must go out
        self._connected = False
        self._stopping = False
        self._inflight: dict[int, int] = {}  # MQTT message id -> spool row id
        self._replay_until = spool.last_id
        self._published = self._acked = self._replayed = self._rejected = self._connects = 0
        self._pump_thread = threading.Thread(
            target=self._pump, name=f"publisher-{options.worker_id}", daemon=True
        )
        self._started = False
        self._fence_asked = self._return_asked = self._fenced = False
        self._leases_until: datetime | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def _new_client(self) -> mqtt.Client:
        options = self.options
        return make_client(
            self.endpoint, client_id_for(options.worker_id), options.protocol, options.ca_file
        )

    def start(self) -> Publisher:
        self._connect(self._client)
        self._pump_thread.start()
        self._started = True
        return self

    def _connect(self, client: mqtt.Client) -> None:
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.will_set(self._worker_topic, WorkerPresence.OFFLINE, qos=QOS, retain=True)
        client.reconnect_delay_set(self.options.reconnect_min_s, self.options.reconnect_max_s)
        client.max_inflight_messages_set(self.options.max_inflight + 1)  # +1: presence
        log.info("publishing to %s as %s", self.endpoint.display, self.options.worker_id)
        connect_async(client, self.endpoint, self.options.keepalive_s)
        client.loop_start()

    def leases_valid_until(self, until: datetime) -> None:
        """The worker renewed its leases until `until`. Past it, unrenewed, the publisher
        fences itself (`fence`); a renewal after a fence brings it back (`unfence`)."""
        with self._cond:
            self._leases_until = until
        self.unfence()

    def fence(self) -> None:
        """The worker's leases lapsed (no database for a lease period): another worker may
        probe its cameras now. Stop sending, and cut the connection so that nothing
        already written to a dead socket reaches the broker when the network heals."""
        with self._cond:
            self._fence_asked = True
            self._cond.notify_all()

    def unfence(self) -> None:
        """Leases renewed after a fence: drop what was spooled meanwhile (its cameras have
        been seen by another worker since; consumers see the `seq` gap and reconcile from
        the retained statuses), reconnect and publish again."""
        with self._cond:
            if self._fenced or self._fence_asked:
                self._return_asked = True
                self._cond.notify_all()

    @property
    def fenced(self) -> bool:
        with self._cond:
            return self._fenced or self._fence_asked

    def close(self, timeout: float = 5.0) -> None:
        """Say `offline` (a clean disconnect suppresses the will), stop, keep the rest spooled."""
        if not self._started:
            return
        self._started = False
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._pump_thread.join(timeout)
        if self.connected:
            info = self._client.publish(
                self._worker_topic, WorkerPresence.OFFLINE, qos=QOS, retain=True
            )
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError) as exc:  # the connection went away meanwhile
                log.warning("could not say offline on %s: %s", self.endpoint.display, exc)
        self._client.disconnect()
        self._client.loop_stop()
        self._spool.commit()

    def __enter__(self) -> Publisher:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- what the runtime calls ----------------------------------------------------------

    def publish_event(self, draft: EventDraft) -> Event:
        """Number, stamp and spool one event; it is sent as soon as the broker can take it.

        Raises `MalformedEvent` for a draft that breaks the contract and `SpoolFull` when
        the spool is at capacity; in both cases nothing was spooled and no seq was used.
        """
        at = self._clock()
        built: list[Event] = []

        def build(seq: int) -> tuple[str, bytes]:
            event = Event(
                event_id=make_event_id(at, self.options.worker_id, seq),
                type=draft.type,
                camera_id=draft.camera_id,
                district_code=draft.district_code,
                ts=draft.ts or at,
                worker_id=self.options.worker_id,
                seq=seq,
                data=dict(draft.data),
                evidence=draft.evidence,
            )
            built.append(event)
            return event.topic(self.options.topic_prefix), encode(event)

        self._spool.append_event(build)
        self._mark_dirty()
        return built[0]

    def publish_status(self, camera_id: str, state: Mapping[str, Any]) -> StatusMessage:
        """Spool the camera's latest health state (retained); it supersedes unsent older ones."""
        status = StatusMessage(camera_id, self.options.worker_id, self._clock(), dict(state))
        topic = status_topic(self.options.topic_prefix, camera_id)
        self._spool.append_status(camera_id, topic, encode_status(status))
        self._mark_dirty()
        return status

    def has_room(self, events: int) -> bool:
        """Would the spool take `events` more events now? The worker stops dispatching
        probes while it would not (back-pressure), so no camera's events are refused."""
        return self._spool.has_room(events)

    def flush(self, timeout: float) -> bool:
        """Wait until every spooled message is acknowledged. False if `timeout` ran out."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._spool.pending > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.1))
        return True

    @property
    def connected(self) -> bool:
        with self._cond:
            return self._connected

    def counters(self) -> PublisherCounters:
        spool = self._spool.counters()
        with self._cond:
            return PublisherCounters(
                spooled=spool.appended,
                published=self._published,
                acked=self._acked,
                replayed=self._replayed,
                pending=spool.pending,
                refused=spool.refused,
                rejected=self._rejected,
                connects=self._connects,
                connected=self._connected,
                fenced=spool.fenced,
            )

    # -- paho callbacks (paho's network thread) ------------------------------------------

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Any,
    ) -> None:
        if reason_code.is_failure:
            log.warning("broker %s refused the connection: %s", self.endpoint.display, reason_code)
            return
        client.publish(self._worker_topic, WorkerPresence.ONLINE, qos=QOS, retain=True)
        replay_until = self._spool.last_id
        with self._cond:
            self._connected = True
            self._connects += 1
            self._replay_until = max(self._replay_until, replay_until)
            self._dirty = True
            self._cond.notify_all()
        log.info(
            "connected to %s (session present: %s)", self.endpoint.display, flags.session_present
        )

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Any,
    ) -> None:
        with self._cond:
            was_connected, self._connected = self._connected, False
        if was_connected and not self._stopping:
            log.warning(
                "lost %s (%s); spooling until it is back", self.endpoint.display, reason_code
            )

    def _on_publish(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_code: ReasonCode,
        properties: Any,
    ) -> None:
        # Only queue the id: the pump may not have recorded this mid yet.
        with self._cond:
            if reason_code.is_failure:
                self._rejected += 1
                log.error("broker rejected message %d: %s; kept in the spool", mid, reason_code)
            else:
                self._acks.append(mid)
            self._cond.notify_all()

    # -- the pump ------------------------------------------------------------------------

    def _mark_dirty(self) -> None:
        with self._cond:
            self._dirty = True
            self._cond.notify_all()

    def _has_work(self) -> bool:
        room = len(self._inflight) < self.options.max_inflight
        asked = self._fence_asked or self._return_asked
        return (
            self._stopping
            or asked
            or bool(self._acks)
            or (self._dirty and (room or not self._connected))
        )

    def _pump(self) -> None:
        while True:
            started = time.monotonic()
            with self._cond:
                self._cond.wait_for(self._has_work, timeout=1.0)
                if self._stopping:
                    return
                acks, self._acks = self._acks, []
                dirty, self._dirty = self._dirty, False
                lapsed = self._leases_until is not None and self._clock() >= self._leases_until
                fence = self._fence_asked or (lapsed and not self._fenced)
                self._fence_asked = False
                back, self._return_asked = self._return_asked, False
                connected = self._connected and not self._fenced and not fence
            try:
                if fence:
                    self._cut()
                if back:
                    self._come_back()
                    continue
                self._pump_once(acks, dirty, connected)
            except Exception:
                # Unknown state: send everything unacknowledged again (duplicates, not losses).
                log.exception("publisher pump failed; re-sending the spool")
                self._spool.rewind()
                self._inflight.clear()
                with self._cond:
                    self._dirty = True
                    self._cond.wait(1.0)
                continue
            # Group commit: let appends and acks gather before the next commit.
            pause = self.options.commit_interval_s - (time.monotonic() - started)
            if pause > 0:
                with self._cond:
                    self._cond.wait_for(lambda: self._stopping, timeout=pause)

    def _cut(self) -> None:
        """Pump thread: close the connection at once (SO_LINGER 0: a reset that discards
        unsent bytes, where a normal close would still deliver them after a heal)."""
        client = self._client
        sock = client.socket()
        if isinstance(sock, socket.socket):  # plain or TLS (ssl.SSLSocket is one too)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.disconnect()
        client.loop_stop()
        with self._cond:
            self._fenced = True
            self._connected = False
            self._cond.notify_all()
        log.warning("leases lapsed: publishing stopped, connection cut")

    def _come_back(self) -> None:
        """Pump thread: drop what the fence kept, start a fresh connection."""
        if not self._fenced:
            self._cut()
        dropped = self._spool.discard_all()
        self._inflight.clear()
        self._client = self._new_client()
        with self._cond:
            self._fenced = False
            self._dirty = True
        log.warning(
            "leases renewed after they lapsed: %d spooled messages about cameras other "
            "workers have seen since were dropped; reconnecting",
            dropped,
        )
        self._connect(self._client)

    def _pump_once(self, acks: list[int], dirty: bool, connected: bool) -> None:
        if acks:
            done = [row for mid in acks if (row := self._inflight.pop(mid, None)) is not None]
            self._spool.ack(done)
            with self._cond:
                self._acked += len(done)
                self._cond.notify_all()
        self._spool.commit()
        if not (dirty and connected):
            return
        room = self.options.max_inflight - len(self._inflight)
        batch = self._spool.next_batch(room)
        for message in batch:
            info = self._client.publish(
                message.topic, message.payload, qos=QOS, retain=message.retain
            )
            self._inflight[info.mid] = message.id
        with self._cond:
            self._published += len(batch)
            self._replayed += sum(1 for message in batch if message.id <= self._replay_until)
            if len(batch) == room or self._spool.has_undispatched:
                self._dirty = True
            self._cond.notify_all()
