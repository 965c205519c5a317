"""`gridwatch bench outage`: events published through a broker outage, every one counted.

A private Mosquitto (persistent sessions, no queue limit) is stopped for `outage_s`
while the publisher keeps producing events at a steady rate; the spool holds them
and replays them after the broker is back. A subscriber with a persistent session
counts every `seq`. Baseline in the same run: the same traffic sent at QoS 0
straight through paho, without the spool.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bus.embedded_broker import free_port
from bus.events import EventType
from ingest.publishing.publisher import EventDraft, Publisher, PublisherOptions
from ingest.publishing.spool import Spool

Report = Callable[[str], None]
PREFIX = "outagebench"


@contextmanager
def _mosquitto(folder: Path, port: int) -> Iterator[Callable[[bool], None]]:
    """Yields switch(on): start or stop one Mosquitto that keeps its sessions on disk."""
    binary = shutil.which("mosquitto")
    if binary is None:
        raise RuntimeError("the outage benchmark needs Mosquitto: apt-get install mosquitto")
    conf = folder / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
        f"persistence_location {folder}/\nautosave_interval 1\nmax_queued_messages 0\n"
        "max_inflight_messages 0\n",
        encoding="utf-8",
    )
    process: list[subprocess.Popen[bytes]] = []

    def switch(on: bool) -> None:
        if on and not process:
            process.append(subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.DEVNULL))
            time.sleep(0.3)  # a real server starting; the clients reconnect on their own
        elif not on and process:
            running = process.pop()
            running.terminate()
            running.wait(10)

    try:
        yield switch
    finally:
        switch(False)


@dataclass
class Counter:
    seqs: set[int]
    duplicates: int = 0


def _subscriber(port: int, name: str, counted: Counter, lock: threading.Lock) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=name, clean_session=False)

    def on_connect(c: mqtt.Client, *_: Any) -> None:
        c.subscribe(f"{PREFIX}/v1/events/#", qos=1)

    def on_message(_c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        seq = int(message.payload.split(b'"seq":', 1)[1].split(b",", 1)[0])
        with lock:
            if seq in counted.seqs:
                counted.duplicates += 1
            counted.seqs.add(seq)

    client.on_connect = on_connect
    client.on_message = on_message
    client.reconnect_delay_set(1, 1)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def _draft(n: int) -> EventDraft:
    return EventDraft(EventType.PROBE_FAILED, f"cam-{n % 500}", "150402", {"code": "timeout"})


def run(
    rate: float = 100.0, before_s: float = 10.0, outage_s: float = 30.0, after_s: float = 10.0,
    report: Report = print,
) -> dict[str, Any]:  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="gridwatch-outage-") as tmp:
        folder = Path(tmp)
        port = free_port()
        lock = threading.Lock()
        with _mosquitto(folder, port) as broker:
            broker(True)
            counted = Counter(set())
            subscriber = _subscriber(port, "outage-counter", counted, lock)
            spool = Spool(folder / "spool.sqlite")
            options = PublisherOptions(worker_id="outage-bench", topic_prefix=PREFIX)
            published = peak = 0
            with spool, Publisher(f"mqtt://127.0.0.1:{port}", spool, options) as publisher:
                total = before_s + outage_s + after_s
                start = time.monotonic()
                down = up = False
                while (elapsed := time.monotonic() - start) < total:
                    if not down and elapsed >= before_s:
                        broker(False)
                        down = True
                        report(f"broker stopped at {elapsed:.1f} s; {published} events so far")
                    if down and not up and elapsed >= before_s + outage_s:
                        broker(True)
                        up = True
                        report(f"broker back at {elapsed:.1f} s; {spool.pending} events spooled")
                    publisher.publish_event(_draft(published))
                    published += 1
                    peak = max(peak, spool.pending)
                    time.sleep(max(0.0, start + published / rate - time.monotonic()))
                replay_start = time.monotonic()
                flushed = publisher.flush(120)
                deadline = time.monotonic() + 60
                while len(counted.seqs) < published and time.monotonic() < deadline:
                    time.sleep(0.1)
                replay_s = time.monotonic() - replay_start
            subscriber.loop_stop()
            subscriber.disconnect()
            baseline_lost = _baseline(broker, port, rate, outage_s, report)
    lost = published - len(counted.seqs)
    report(
        f"{published} events over {total:.0f} s with a {outage_s:.0f} s outage: "
        f"{len(counted.seqs)} received, {lost} lost, {counted.duplicates} duplicates, "
        f"peak spool {peak}, drained {replay_s:.1f} s after the end (flushed: {flushed}); "
        f"baseline QoS 0 without spool lost {baseline_lost} of {int(rate * outage_s)}"
    )
    return {
        "bench": "outage",
        "events": published,
        "outage_s": outage_s,
        "received": len(counted.seqs),
        "lost": lost,
        "duplicates": counted.duplicates,
        "spool_peak": peak,
        "baseline_qos0_lost": baseline_lost,
    }


def _baseline(
    broker: Callable[[bool], None], port: int, rate: float, outage_s: float, report: Report
) -> int:
    """QoS 0 straight through paho during the same length of outage: what is lost."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="outage-baseline")
    client.reconnect_delay_set(1, 1)
    client.connect("127.0.0.1", port)
    client.loop_start()
    broker(False)
    sent = 0
    start = time.monotonic()
    while time.monotonic() - start < outage_s:
        info = client.publish(f"{PREFIX}/baseline", b"x", qos=0)
        sent += info.rc == mqtt.MQTT_ERR_SUCCESS
        time.sleep(1 / rate)
    broker(True)
    client.loop_stop()
    attempted = int(rate * outage_s)
    report(f"baseline: {attempted - sent} of {attempted} QoS 0 publishes refused while down")
    return attempted - sent
