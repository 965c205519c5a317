"""Building the paho-mqtt client the publisher drives: protocol, session, TLS, login."""

from __future__ import annotations

import ssl
from typing import Literal

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bus.mqtt_url import MqttEndpoint

MqttProtocol = Literal["3.1.1", "5"]
SESSION_EXPIRY_S = 7 * 24 * 3600


def client_id_for(worker_id: str) -> str:
    """A fixed client id per worker, so the broker keeps its session across reconnects."""
    return f"gridwatch-ingest-{worker_id}"


def make_client(
    endpoint: MqttEndpoint,
    client_id: str,
    protocol: MqttProtocol = "3.1.1",
    ca_file: str | None = None,
    *,
    persistent: bool = True,
) -> mqtt.Client:
    """A paho client, not connected; with a persistent session unless `persistent` is
    False (MQTT 3.1.1 clean_session; MQTT 5 sets clean_start in `connect_async`)."""
    if protocol == "5":
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    elif protocol == "3.1.1":
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=not persistent,
            protocol=mqtt.MQTTv311,
        )
    else:
        raise ValueError(f"MQTT protocol {protocol!r} is not supported; use '3.1.1' or '5'")
    if endpoint.tls:
        client.tls_set_context(ssl.create_default_context(cafile=ca_file))
    if endpoint.username is not None:
        client.username_pw_set(endpoint.username, endpoint.password)
    return client


def connect_async(
    client: mqtt.Client, endpoint: MqttEndpoint, keepalive_s: int, *, persistent: bool = True
) -> None:
    """Start connecting; MQTT 5 asks the broker to keep the session while we are away."""
    if client.protocol == mqtt.MQTTv5 and not persistent:
        client.connect_async(endpoint.host, endpoint.port, keepalive_s, clean_start=True)
    elif client.protocol == mqtt.MQTTv5:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = SESSION_EXPIRY_S
        client.connect_async(
            endpoint.host, endpoint.port, keepalive_s, clean_start=False, properties=properties
        )
    else:
        client.connect_async(endpoint.host, endpoint.port, keepalive_s)
