"""The production broker recipe (config/mosquitto/): a private Mosquitto started with the
shipped configuration and ACL proves each permission and each denial, over MQTT 5 so the
broker says "not authorized" instead of dropping silently."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from bus.embedded_broker import free_port
from tests.bus.mqtt_helpers import MOSQUITTO, wait_until

RECIPE = Path(__file__).resolve().parents[2] / "config" / "mosquitto"
PASSWD = shutil.which("mosquitto_passwd")
USERS = {"ingest": "ingest-pw", "alerts": "alerts-pw", "integration": "integration-pw"}
NOT_AUTHORIZED = 135


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[int]:
    if MOSQUITTO is None or PASSWD is None:
        message = "mosquitto and mosquitto_passwd are needed (apt-get install mosquitto)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    port = free_port()
    passwd = tmp_path / "gridwatch.passwd"
    for user, password in USERS.items():
        create = [] if passwd.exists() else ["-c"]
        subprocess.run([PASSWD, *create, "-b", str(passwd), user, password], check=True)
    acl = tmp_path / "gridwatch.acl"
    shutil.copy(RECIPE / "gridwatch.acl", acl)
    config = (RECIPE / "gridwatch.conf").read_text()
    config = re.sub(r"(?m)^listener 1883 127\.0\.0\.1$", f"listener {port} 127.0.0.1", config)
    config = config.replace("/etc/mosquitto/gridwatch.passwd", str(passwd))
    config = config.replace("/etc/mosquitto/gridwatch.acl", str(acl))
    config = config.replace("/var/lib/mosquitto/", f"{tmp_path}/")
    assert f"listener {port}" in config
    # As root, Mosquitto drops to its own user, which cannot read pytest's private folder.
    run_as = "user root\n" if os.geteuid() == 0 else ""
    (tmp_path / "mosquitto.conf").write_text(config + "log_dest none\n" + run_as)
    process = subprocess.Popen([MOSQUITTO, "-c", str(tmp_path / "mosquitto.conf")])

    def listening() -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    try:
        wait_until(listening, 10, "the private mosquitto")
        yield port
    finally:
        process.terminate()
        process.wait(10)


@dataclass
class Client:
    """An MQTT 5 client that records connect, subscribe and publish outcomes."""

    port: int
    user: str | None
    password: str | None = None
    received: list[tuple[str, bytes]] = field(default_factory=list)
    connect_reason: ReasonCode | None = None
    granted: list[ReasonCode] = field(default_factory=list)
    published: dict[int, ReasonCode] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"acl-{time.time_ns()}", protocol=mqtt.MQTTv5
        )
        if self.user is not None:
            self.client.username_pw_set(self.user, self.password)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_publish = self._on_publish
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", self.port)
        self.client.loop_start()
        wait_until(lambda: self.connect_reason is not None, 10, f"CONNACK for {self.user}")

    def _on_connect(
        self, client: mqtt.Client, u: object, f: object, reason: ReasonCode, p: object
    ) -> None:
        self.connect_reason = reason

    def _on_subscribe(
        self, client: mqtt.Client, u: object, mid: int, reasons: list[ReasonCode], p: object
    ) -> None:
        self.granted = list(reasons)
        self._subscribed.set()

    def _on_publish(
        self, client: mqtt.Client, u: object, mid: int, reason: ReasonCode, p: object
    ) -> None:
        with self._lock:
            self.published[mid] = reason

    def _on_message(self, client: mqtt.Client, u: object, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.received.append((message.topic, bytes(message.payload)))

    def subscribe(self, topic_filter: str) -> bool:
        """True when the broker granted the subscription."""
        self._subscribed.clear()
        self.client.subscribe(topic_filter, qos=1)
        assert self._subscribed.wait(10), f"no SUBACK for {topic_filter}"
        return all(not reason.is_failure for reason in self.granted)

    def publish(self, topic: str, payload: bytes = b"x") -> bool:
        """True when the broker accepted the message (PUBACK without a failure code)."""
        info = self.client.publish(topic, payload, qos=1)
        info.wait_for_publish(10)
        wait_until(lambda: info.mid in self.published, 10, f"PUBACK for {topic}")
        return not self.published[info.mid].is_failure

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def clients(broker: int) -> Iterator[dict[str, Client]]:
    made = {user: Client(broker, user, password) for user, password in USERS.items()}
    yield made
    for client in made.values():
        client.close()


def test_each_role_can_do_its_job_and_nothing_else(clients: dict[str, Client]) -> None:
    ingest, alerts, integration = clients["ingest"], clients["alerts"], clients["integration"]
    # Mosquitto grants any subscription and enforces `read` on delivery: the denial of a
    # read shows as nothing delivered, checked below.
    assert alerts.subscribe("$share/alerts/gridwatch/v1/events/#")
    assert alerts.subscribe("gridwatch/v1/status/#")
    integration.subscribe("gridwatch/v1/alerts/#")
    integration.subscribe("gridwatch/v1/cases/#")
    integration.subscribe("gridwatch/v1/events/#")
    integration.subscribe("gridwatch/v1/status/#")
    ingest.subscribe("gridwatch/v1/#")  # a worker never reads what others publish
    # Who may publish what: a denied publish is answered "not authorized" (MQTT 5).
    event = "gridwatch/v1/events/150402001001/cam-1/camera.offline"
    assert ingest.publish(event, b"event")
    assert ingest.publish("gridwatch/v1/status/cam-1", b"status")
    assert ingest.publish("gridwatch/v1/workers/w1", b"online")
    assert not ingest.publish("gridwatch/v1/alerts/150402/a-1", b"forged by a worker")
    assert not ingest.publish("gridwatch/v1/cases/150402/c-1", b"forged by a worker")
    assert alerts.publish("gridwatch/v1/alerts/150402/a-1", b"alert")
    assert alerts.publish("gridwatch/v1/cases/150402/c-1", b"case")
    assert not alerts.publish(event, b"forged by the alert service")
    assert not integration.publish("gridwatch/v1/alerts/150402/a-2", b"forged alert")
    assert not integration.publish(event, b"forged event")
    wait_until(lambda: len(integration.received) >= 2, 10, "the alert and case at the integration")
    wait_until(lambda: len(alerts.received) >= 2, 10, "the event and status at the service")
    time.sleep(0.3)  # a denied message that slipped through would have arrived by now
    assert sorted(integration.received) == [
        ("gridwatch/v1/alerts/150402/a-1", b"alert"), ("gridwatch/v1/cases/150402/c-1", b"case")
    ]  # fmt: skip
    assert sorted(payload for _, payload in alerts.received) == [b"event", b"status"]
    assert ingest.received == []
    assert {r.value for r in ingest.published.values() if r.is_failure} == {NOT_AUTHORIZED}


def test_anonymous_and_wrong_passwords_are_refused(broker: int) -> None:
    for user, password in ((None, None), ("ingest", "wrong"), ("nobody", "x")):
        client = Client(broker, user, password)
        try:
            assert client.connect_reason is not None
            assert client.connect_reason.is_failure, user
        finally:
            client.close()
