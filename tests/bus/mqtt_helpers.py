"""Test-side MQTT parts: a recording subscriber, a private Mosquitto, bounded waits."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bus.mqtt_url import parse_mqtt_url

MOSQUITTO = shutil.which("mosquitto") or (
    "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
)


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition` until it holds; fail the test with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


class Recorder:
    """A subscriber that records every message it receives, with its retain flag."""

    def __init__(self, url: str, topic_filter: str, client_id: str = "", *, clean: bool = True):
        endpoint = parse_mqtt_url(url)
        self.messages: list[mqtt.MQTTMessage] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self._filter = topic_filter
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=clean,
            protocol=mqtt.MQTTv311,
        )
        if endpoint.username is not None:
            self.client.username_pw_set(endpoint.username, endpoint.password)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *args: self._subscribed.clear()
        self.client.on_subscribe = lambda *args: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 1)
        self.client.connect(endpoint.host, endpoint.port, keepalive=10)
        self.client.loop_start()
        wait_until(self._subscribed.is_set, 10, f"subscription to {topic_filter}")

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: Any, *args: object) -> None:
        if flags.session_present:
            # The broker kept our subscription. Subscribing again would replace it, and
            # Mosquitto can drop a message routed to it in between (seen: the first one
            # replayed after a restart), so a persistent consumer must not.
            self._subscribed.set()
            return
        self._subscribed.clear()
        client.subscribe(self._filter, qos=1)

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append(msg)

    @property
    def subscribed(self) -> bool:
        return self._subscribed.is_set()

    def wait_subscribed(self, timeout: float = 10) -> None:
        wait_until(self._subscribed.is_set, timeout, f"subscription to {self._filter}")

    def received(self, topic_part: str = "") -> list[mqtt.MQTTMessage]:
        with self._lock:
            return [m for m in self.messages if topic_part in m.topic]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class Mosquitto:
    """A private Mosquitto on 127.0.0.1:`port`, with its sessions persisted in `folder`."""

    def __init__(self, port: int, folder: Path) -> None:
        assert MOSQUITTO is not None
        self.binary = MOSQUITTO
        self.port = port
        self.url = f"mqtt://127.0.0.1:{port}"
        self.config = folder / "mosquitto.conf"
        self.config.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\n"
            f"persistence true\npersistence_location {folder}/\n"
            "log_dest none\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Mosquitto:
        self.process = subprocess.Popen([self.binary, "-c", str(self.config)])
        wait_until(self._listening, 10, f"mosquitto on port {self.port}")
        return self

    def _listening(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: mosquitto saves its persistence file
            self.process.wait(10)
        self.process = None
