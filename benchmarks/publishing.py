"""`gridwatch bench publishing`: event throughput through the spool and a real broker.

End to end: `publish_event` on one thread until a subscriber on the broker has seen
every seq and the spool is empty. Baseline in the same run: the same publisher over a
spool that commits (and so syncs) once per event. A second pair measures the spool
alone (append, dispatch, ack) with group commit and with a commit per event.
"""

from __future__ import annotations

import multiprocessing
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bus.embedded_broker import EmbeddedBroker
from bus.events import EventType, decode
from bus.mqtt_url import parse_mqtt_url
from bus.topics import events_filter
from ingest.publishing.publisher import EventDraft, Publisher, PublisherOptions
from ingest.publishing.spool import Spool

Report = Callable[[str], None]
TIMEOUT_S = 120.0


def _subscribe(url: str, topic_filter: str, expected: int, ready: Any, results: Any) -> None:
    """Child process: count distinct seqs until all `expected` arrived; report when the last did.

    A process of its own, so the subscriber does not compete with the publisher for the GIL.
    """
    endpoint = parse_mqtt_url(url)
    received: list[tuple[str, bytes]] = []
    last_at = 0.0
    complete = threading.Event()

    # Only store here: a slow subscriber makes the broker drop messages (Mosquitto's
    # max_queued_messages), which would measure the subscriber, not the publisher.
    def on_message(client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        nonlocal last_at
        received.append((msg.topic, bytes(msg.payload)))
        last_at = time.monotonic()  # one clock for all processes on Linux
        if len(received) >= expected:
            complete.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    if endpoint.username is not None:
        client.username_pw_set(endpoint.username, endpoint.password)
    client.on_connect = lambda client, *_: client.subscribe(topic_filter, qos=1)
    client.on_subscribe = lambda *_: ready.set()
    client.on_message = on_message
    client.connect(endpoint.host, endpoint.port)
    client.loop_start()
    deadline = time.monotonic() + TIMEOUT_S
    while True:  # duplicates count towards `expected`: decode, and wait on if seqs are missing
        complete.wait(max(0.0, deadline - time.monotonic()))
        complete.clear()
        seqs = {decode(topic, payload).seq for topic, payload in list(received)}
        if len(seqs) >= expected or time.monotonic() >= deadline:
            break
    client.disconnect()
    client.loop_stop()
    lost = len(set(range(1, expected + 1)) - seqs)
    results.put({"lost": lost, "duplicates": len(received) - len(seqs), "last_at": last_at})


def _wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)
    return True


def _end_to_end(url: str, folder: Path, events: int, commit_every: int) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    options = PublisherOptions(
        worker_id=f"bench-{run}",
        topic_prefix=f"bench{run}",
        commit_interval_s=0.005 if commit_every > 1 else 0.0,
    )
    processes = multiprocessing.get_context("spawn")
    ready, results = processes.Event(), processes.Queue()
    subscriber = processes.Process(
        target=_subscribe,
        args=(url, events_filter(options.topic_prefix), events, ready, results),
        daemon=True,
    )
    subscriber.start()
    if not ready.wait(30):
        subscriber.kill()
        raise TimeoutError("the benchmark subscriber did not subscribe")
    spool = Spool(folder / f"e2e-{run}.sqlite", commit_every=commit_every)
    publisher = Publisher(url, spool, options).start()
    try:
        if not _wait(lambda: publisher.connected, 10):
            raise TimeoutError(f"publisher could not connect to {publisher.endpoint.display}")
        start = time.monotonic()
        for i in range(events):
            publisher.publish_event(
                EventDraft(EventType.MOTION_START, f"cam-{i % 1000}", "150102", {"area": 0.02})
            )
        publish_s = time.monotonic() - start
        publisher.flush(TIMEOUT_S)
        drained_at = time.monotonic()
        received = results.get(timeout=TIMEOUT_S + 10)
        unacked = publisher.counters().pending
    finally:
        publisher.close()
        spool.close()
        subscriber.join(10)
    elapsed = max(drained_at, received["last_at"]) - start
    return {
        "events_per_s": round(events / elapsed, 1),
        "publish_call_us": round(publish_s / events * 1e6, 1),
        "lost": received["lost"],
        "duplicates": received["duplicates"],
        "unacked": unacked,
    }


def _spool_only(folder: Path, events: int, commit_every: int) -> float:
    """Events/s of append + dispatch + ack of 300-byte messages.

    Group commit: like the pump, a batch is dispatched (one commit) every 64 appends.
    Baseline (`commit_every=1`): every append and every ack is its own commit.
    """
    batch = 64 if commit_every > 1 else 1
    with Spool(folder / f"spool-{uuid.uuid4().hex[:8]}.sqlite", commit_every=commit_every) as spool:
        start = time.perf_counter()
        for i in range(events):
            spool.append_event(lambda seq: ("bench/t", b"x" * 300))
            if i % batch == batch - 1:
                spool.ack([message.id for message in spool.next_batch(batch)])
        spool.ack([message.id for message in spool.next_batch(events)])
        spool.commit()
        return events / (time.perf_counter() - start)


@contextmanager
def _broker(mqtt_url: str | None) -> Iterator[tuple[str, str]]:
    if mqtt_url:
        yield mqtt_url, parse_mqtt_url(mqtt_url).display
        return
    with EmbeddedBroker() as broker:
        yield broker.url, "embedded amqtt"


def run(events: int, mqtt_url: str | None = None, report: Report | None = None) -> dict[str, Any]:
    """Measure; `mqtt_url` None starts an embedded broker. Returns the numbers as a dict."""
    say = report or (lambda line: None)
    baseline_events = max(1, min(events, 2000))
    with (
        tempfile.TemporaryDirectory(prefix="gridwatch-bench-") as tmp,
        _broker(mqtt_url) as (
            url,
            shown,
        ),
    ):
        folder = Path(tmp)
        say(f"broker {shown}: {events} events, group commit")
        grouped = _end_to_end(url, folder, events, commit_every=512)
        say(f"baseline: {baseline_events} events, one commit per event")
        naive = _end_to_end(url, folder, baseline_events, commit_every=1)
        say("spool alone: append + ack")
        spool_grouped = _spool_only(folder, events, commit_every=512)
        spool_naive = _spool_only(folder, baseline_events, commit_every=1)
    return {
        "bench": "publishing",
        "broker": shown,
        "events": events,
        "events_per_s": grouped["events_per_s"],
        "baseline_events": baseline_events,
        "baseline_events_per_s": naive["events_per_s"],
        "speedup": round(grouped["events_per_s"] / naive["events_per_s"], 2),
        "publish_call_us": grouped["publish_call_us"],
        "spool_events_per_s": round(spool_grouped, 1),
        "spool_baseline_events_per_s": round(spool_naive, 1),
        "spool_speedup": round(spool_grouped / spool_naive, 2),
        "lost": grouped["lost"] + naive["lost"],
        "duplicates": grouped["duplicates"] + naive["duplicates"],
        "unacked": grouped["unacked"] + naive["unacked"],
    }
