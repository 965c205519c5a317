"""Read every camera's retained status message once (for reconciliation).

A throwaway clean-session client subscribes to `{prefix}/v1/status/#`; the broker
sends the retained messages at once, and we stop when none has come for `quiet_s`.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
import uuid
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bus.events import MalformedEvent
from bus.mqtt_url import MqttEndpoint
from bus.status import StatusMessage
from bus.topics import TopicKind, kind_filter

log = logging.getLogger(__name__)


def fetch_statuses(
    endpoint: MqttEndpoint,
    prefix: str,
    *,
    quiet_s: float = 0.5,
    timeout_s: float = 60.0,
    ca_file: str | None = None,
) -> list[StatusMessage]:
    from bus.messages import decode_message

    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"gridwatch-alerts-reconcile-{uuid.uuid4().hex[:12]}",
        clean_session=True,
        protocol=mqtt.MQTTv311,
    )
    if endpoint.tls:
        client.tls_set_context(ssl.create_default_context(cafile=ca_file))
    if endpoint.username is not None:
        client.username_pw_set(endpoint.username, endpoint.password)
    found: dict[str, StatusMessage] = {}
    subscribed = threading.Event()
    last = [time.monotonic()]
    lock = threading.Lock()

    def on_connect(c: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        c.subscribe(kind_filter(prefix, TopicKind.STATUS), qos=1)

    def on_subscribe(*args: Any) -> None:
        last[0] = time.monotonic()
        subscribed.set()

    def on_message(c: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        last[0] = time.monotonic()
        if not msg.payload:
            return
        try:
            message = decode_message(msg.topic, bytes(msg.payload), prefix=prefix)
        except MalformedEvent as exc:
            log.warning("retained status on %s is unusable: %s", msg.topic[:200], exc)
            return
        if isinstance(message, StatusMessage):
            with lock:
                found[message.camera_id] = message

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.connect(endpoint.host, endpoint.port, keepalive=30)
    client.loop_start()
    try:
        deadline = time.monotonic() + timeout_s
        if not subscribed.wait(timeout_s):
            raise TimeoutError(f"no subscription to retained status on {endpoint.display}")
        while time.monotonic() - last[0] < quiet_s and time.monotonic() < deadline:
            time.sleep(min(0.05, quiet_s / 5))
    finally:
        client.disconnect()
        client.loop_stop()
    with lock:
        return list(found.values())
