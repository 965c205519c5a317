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

from bus.mqtt_url import parse_mqtt_url
from bus.subscriber import Delivery, Subscriber, SubscriberOptions, raw_payload

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
    """A `bus` Subscriber that records every message it receives, with its retain flag."""

    def __init__(self, url: str, topic_filter: str, client_id: str = "", *, clean: bool = True):
        self.messages: list[Delivery] = []
        self._lock = threading.Lock()
        self._filter = topic_filter
        options = SubscriberOptions(
            client_id=client_id or f"recorder-{time.time_ns()}",
            filters=(topic_filter,),
            persistent=not clean,
            reconnect_min_s=1,
            reconnect_max_s=1,
            keepalive_s=10,
        )
        self.subscriber = Subscriber(parse_mqtt_url(url), options, raw_payload, self._record)
        self.subscriber.start()
        self.wait_subscribed()

    def _record(self, payload: bytes, delivery: Delivery) -> None:
        with self._lock:
            self.messages.append(delivery)

    @property
    def subscribed(self) -> bool:
        return self.subscriber.connected and self.subscriber.wait_subscribed(0)

    def wait_subscribed(self, timeout: float = 10) -> None:
        wait_until(lambda: self.subscribed, timeout, f"subscription to {self._filter}")

    def received(self, topic_part: str = "") -> list[Delivery]:
        with self._lock:
            return [m for m in self.messages if topic_part in m.topic]

    def close(self) -> None:
        self.subscriber.stop()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class Mosquitto:
    """A private Mosquitto on 127.0.0.1:`port` (and on `more_hosts`, each on the same
    port), with its sessions persisted in `folder`."""

    def __init__(self, port: int, folder: Path, more_hosts: tuple[str, ...] = ()) -> None:
        assert MOSQUITTO is not None
        self.binary = MOSQUITTO
        self.port = port
        self.url = f"mqtt://127.0.0.1:{port}"
        self.config = folder / "mosquitto.conf"
        listeners = "".join(f"listener {port} {host}\n" for host in ("127.0.0.1", *more_hosts))
        self.config.write_text(
            f"{listeners}allow_anonymous true\n"
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
