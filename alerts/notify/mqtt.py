"""Alert notices on `{prefix}/v1/alerts/{district_code}/{alert_id}`: retained while the
alert fires, so a late subscriber sees what is firing; on resolve the notice goes out
unretained and the retained message is cleared (an empty retained payload). The same
client carries the case events (`publish`, for `alerts.case_feed`)."""

from __future__ import annotations

import logging

import paho.mqtt.client as mqtt

from alerts.notify.notices import Notice, NoticeKind, payload
from bus.client import MqttProtocol, connect_async, make_client
from bus.mqtt_url import MqttEndpoint
from bus.topics import alert_topic

log = logging.getLogger(__name__)


class Acknowledgement:
    """Whether the broker acknowledged one QoS 1 message (PUBACK).

    paho's own `is_published()` raises for a message published while disconnected (its
    `rc` stays `MQTT_ERR_NO_CONN`) even after paho sent it on reconnect and the broker
    acknowledged it; this reads the flag paho sets on the PUBACK instead.
    """

    def __init__(self, info: mqtt.MQTTMessageInfo) -> None:
        self._info = info

    def is_published(self) -> bool:
        info = self._info
        with info._condition:
            return bool(info._published)


class MqttNotifier:
    def __init__(
        self, endpoint: MqttEndpoint, client_id: str, prefix: str, protocol: MqttProtocol
    ) -> None:
        self.prefix = prefix
        self.endpoint = endpoint
        self.client: mqtt.Client = make_client(endpoint, client_id, protocol)
        self.client.max_queued_messages_set(0)
        self.client.max_inflight_messages_set(100)
        self.published = 0

    def start(self) -> MqttNotifier:
        """Connect in the background; paho queues what is published meanwhile (QoS 1,
        persistent session), so a broker restart loses no notice."""
        connect_async(self.client, self.endpoint, 30)
        self.client.loop_start()
        return self

    def send(self, notices: list[Notice]) -> None:
        for notice in notices:
            alert = notice.alert
            topic = alert_topic(self.prefix, alert.district_code, alert.id)
            body = payload(notice)
            if notice.kind is NoticeKind.RESOLVED:
                self.client.publish(topic, body, qos=1, retain=False)
                self.client.publish(topic, b"", qos=1, retain=True)
            else:
                self.client.publish(topic, body, qos=1, retain=True)
            self.published += 1

    def publish(self, topic: str, body: bytes) -> Acknowledgement:
        """One QoS 1 message, not retained (case events); `is_published()` on the answer
        turns true when the broker has acknowledged it."""
        info = self.client.publish(topic, body, qos=1, retain=False)
        self.published += 1
        return Acknowledgement(info)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
