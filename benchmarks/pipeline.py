"""`gridwatch bench pipeline`: events/s from a publisher through a real Mosquitto into the
alert store, lost and duplicated events counted, and publish → committed latency.

Three runs of the real `Consumer` + `AlertService` (the same code as `gridwatch
alerts`), each on a fresh set of alert tables:
1. baseline: a commit (and acknowledgement) per event;
2. batched: the consumer as configured (batches of up to `batch_size`), flat out;
3. latency: the batched consumer at a steady 1,000 events/s.
The publisher is a separate process. A Python (paho) publisher manages only ~1,600
QoS 1 messages/s here, slower than the consumer, so for runs 1 and 2 it publishes
everything into the consumer's persistent broker session while the consumer is away,
and the consumer's drain of that backlog is timed (start to last commit); run 3
publishes live at 1,000/s. A private Mosquitto runs with `max_inflight_messages` and
`max_queued_messages` as given (see docs/deployment.md for why they matter).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import select, text

from alerts.consumer import Consumer, ConsumerOptions
from alerts.engine import Engine
from alerts.models import AlertEvent
from alerts.policy import Policy
from alerts.service import AlertService, Outcome
from alerts.topology import Topology, build_topology
from bus.client import MqttProtocol
from bus.embedded_broker import free_port
from bus.event_ids import make_event_id
from bus.events import Event, EventType, encode
from bus.mqtt_url import parse_mqtt_url
from ingest.schedule.percentiles import percentile
from registry.db import make_engine, make_session_factory
from registry.migrate import upgrade
from registry.models import Base
from registry.scratch import scratch_database_url

Report = Callable[[str], None]
CAMERAS = 5000
WORKERS = 4
IDLE_TIMEOUT_S = 60.0


@contextmanager
def private_mosquitto(
    folder: Path, max_inflight: int | None, max_queued: int | None
) -> Iterator[str]:
    """A Mosquitto on a free port; None keeps the broker's default for that limit."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(binary).exists():
        raise RuntimeError("this benchmark needs Mosquitto (apt-get install mosquitto)")
    port = free_port()
    lines = [f"listener {port} 127.0.0.1", "allow_anonymous true", "persistence false"]
    if max_inflight is not None:
        lines.append(f"max_inflight_messages {max_inflight}")
    if max_queued is not None:
        lines.append(f"max_queued_messages {max_queued}")
    conf = folder / f"mosquitto-{port}.conf"
    conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
    process = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.3)
        yield f"mqtt://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def bench_topology(cameras: int = CAMERAS) -> Topology:
    districts = [("150400", "赤峰市", "150400/"), ("150402", "红山区", "150400/150402/")]
    rows: list[tuple[str, str, str | None, str, list[str] | None]] = []
    townships = max(1, cameras // 800)
    for t in range(townships):
        code = f"150402{t + 1:03d}"
        districts.append((code, f"乡镇{t + 1}", f"150400/150402/{code}/"))
    for i in range(cameras):
        town = f"150402{i % townships + 1:03d}"
        rows.append((f"CAM{i:06d}", town, f"NVR-{i // 16}", "public_security", []))
    return build_topology(rows, districts, group_level=3)


_MIX = (
    (EventType.PROBE_FAILED, {"code": "timeout", "detail": "no answer"}),
    (EventType.CAMERA_OFFLINE, {"code": "timeout", "consecutive_failures": 3,
                                "last_good_at": None}),
    (EventType.CAMERA_ONLINE, {"was_offline_since": None}),
    (EventType.HEALTH_FAULT, {"code": "FROZEN", "value": 0.1, "threshold": 0.5}),
    (EventType.HEALTH_RECOVERED, {"code": "FROZEN"}),
    (EventType.MOTION_START, {"area": 0.1, "boxes": [], "zones": []}),
)  # fmt: skip


def bench_event(n: int, at: datetime, cameras: int) -> Event:
    """Event number `n` (from 0) of the mix: cameras take turns, each cycling its states."""
    worker = f"bench-w{n % WORKERS}"
    kind, data = _MIX[(n // cameras) % len(_MIX)]
    camera = n % cameras
    townships = max(1, cameras // 800)
    seq = n // WORKERS + 1
    payload: dict[str, Any] = dict(data)
    return Event(make_event_id(at, worker, seq), kind, f"CAM{camera:06d}",
                 f"150402{camera % townships + 1:03d}", at, worker, seq, payload)  # fmt: skip


def _encoded(n: int, prefix: str, cameras: int) -> tuple[str, str, bytes]:
    event = bench_event(n, datetime.now(UTC), cameras)
    return event.event_id, event.topic(prefix), encode(event)


def _publish(url: str, prefix: str, events: int, rate: float | None, cameras: int,
             go: Any, results: Any) -> None:  # fmt: skip
    """Child process: publish `events` QoS 1 (at `rate`/s, or flat out); report ids and times."""
    endpoint = parse_mqtt_url(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(endpoint.host, endpoint.port)
    client.loop_start()
    # Flat out: encoded before the clock starts, so the publisher is not what is measured.
    ready = [] if rate is not None else [_encoded(n, prefix, cameras) for n in range(events)]
    go.wait()
    ids: list[str] = []
    infos = []
    started = time.time()
    for n in range(events):
        if rate is not None:
            delay = started + n / rate - time.time()
            if delay > 0:
                time.sleep(delay)
            event_id, topic, body = _encoded(n, prefix, cameras)
        else:
            event_id, topic, body = ready[n]
        ids.append(event_id)
        infos.append(client.publish(topic, body, qos=1))
        if len(infos) >= 5000:
            infos[0].wait_for_publish(60)
            infos = infos[-1000:]
    for info in infos:
        info.wait_for_publish(60)
    finished = time.time()
    client.disconnect()
    client.loop_stop()
    results.put({"ids": ids, "started": started, "finished": finished})


def _empty(engine: SqlEngine) -> None:
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name.startswith("alert"):
                connection.execute(text(f'DELETE FROM "{table.name}"'))


@dataclass
class Run:
    events_per_s: float
    lost: int
    duplicates: int
    p99_latency_s: float
    batches: int
    redelivered: int
    cpu_us_per_event: float


def _run(url: str, engine: SqlEngine, events: int, *, batch_size: int, rate: float | None,
         protocol: MqttProtocol, report: Report, label: str) -> Run:  # fmt: skip
    _empty(engine)
    factory = make_session_factory(engine)
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    topology = bench_topology()
    service = AlertService(factory, lambda: Engine(Policy(), topology),
                           lambda: datetime.now(UTC), prefix=prefix)  # fmt: skip
    latencies: list[float] = []
    last_commit = [0.0]

    def on_outcome(outcome: Outcome, messages: Any) -> None:
        now = time.time()
        if messages:
            last_commit[0] = now
        for message in messages:
            if isinstance(message, Event):
                latencies.append(now - message.ts.timestamp())

    options = ConsumerOptions(client_id=f"bench-{prefix}", prefix=prefix, protocol=protocol,
                              batch_size=batch_size, reconcile_at_start=False)  # fmt: skip
    endpoint = parse_mqtt_url(url)
    consumer = Consumer(service, endpoint, options, on_outcome=on_outcome).start()
    context = multiprocessing.get_context("spawn")
    go, results = context.Event(), context.Queue()
    publisher = context.Process(
        target=_publish, args=(url, prefix, events, rate, CAMERAS, go, results), daemon=True
    )
    publisher.start()
    time.sleep(1.0)  # the child connected
    backlog = rate is None
    if backlog:
        # Flat out, a Python publisher is slower than the consumer, so it would be what is
        # measured: the events wait in the consumer's broker session, then it drains them.
        consumer.stop()
        go.set()
        published = results.get(timeout=600)
        consumer = Consumer(service, endpoint, options, on_outcome=on_outcome)
        started = time.time()
        cpu_before = time.process_time()
        consumer.start()
    else:
        cpu_before = time.process_time()
        go.set()
    seen, idle_since = 0, time.monotonic()
    while consumer.stored + consumer.duplicates < events:
        time.sleep(0.05)
        total = consumer.stored + consumer.duplicates
        if total != seen:
            seen, idle_since = total, time.monotonic()
        elif time.monotonic() - idle_since > IDLE_TIMEOUT_S:
            report(f"  {label}: no progress for {IDLE_TIMEOUT_S:.0f} s at {total} events")
            break
    cpu = time.process_time() - cpu_before  # this process: the consumer's threads only
    if not backlog:
        published = results.get(timeout=120)
        started = published["started"]
    publisher.join(30)
    consumer.stop()
    with engine.connect() as connection:
        stored = list(connection.execute(select(AlertEvent.event_id)).scalars())
    wanted = set(published["ids"])
    lost = len(wanted - set(stored))
    duplicates = len(stored) - len(set(stored)) + len(set(stored) - wanted)
    elapsed = max(1e-9, last_commit[0] - started)
    result = Run(len(wanted & set(stored)) / elapsed, lost, duplicates,
                 percentile(latencies, 0.99), consumer.batches, consumer.duplicates,
                 cpu / max(1, len(stored)) * 1e6)  # fmt: skip
    publish_rate = events / max(1e-9, published["finished"] - published["started"])
    how = "drained from the broker" if backlog else "live"
    report(f"  {label}: {events} events, {result.events_per_s:,.0f}/s into the store ({how}; "
           f"published at {publish_rate:,.0f}/s), {result.batches} commits, lost {lost}, "
           f"duplicates {duplicates}, p99 publish→commit {result.p99_latency_s:.3f} s, "
           f"consumer CPU {result.cpu_us_per_event:.0f} µs/event "
           f"(= {1e6 / max(result.cpu_us_per_event, 1e-9):,.0f} events/s per core)")  # fmt: skip
    return result


def run(events: int, database_url: str | None, *, protocol: MqttProtocol = "3.1.1",
        batch_size: int = 500, max_inflight: int | None = 1000,
        max_queued: int | None = 1_000_000, report: Report = print) -> dict[str, Any]:  # fmt: skip
    baseline_events = max(500, min(5000, events // 10))
    latency_events = min(events, 10_000)
    with (
        tempfile.TemporaryDirectory() as folder,
        scratch_database_url(database_url, Path(folder), "bench_pipeline") as db_url,
    ):
        engine = make_engine(db_url)
        upgrade(engine)
        backend = engine.dialect.name
        limits = f"max_inflight_messages {max_inflight}, max_queued_messages {max_queued}"
        report(f"pipeline on {backend}, Mosquitto with {limits}, MQTT {protocol}")
        with private_mosquitto(Path(folder), max_inflight, max_queued) as url:
            common: dict[str, Any] = {"protocol": protocol, "report": report}
            base = _run(url, engine, baseline_events, batch_size=1, rate=None,
                        label="baseline, a commit per event", **common)  # fmt: skip
            batched = _run(url, engine, events, batch_size=batch_size, rate=None,
                           label=f"batched (≤ {batch_size})", **common)  # fmt: skip
            steady = _run(url, engine, latency_events, batch_size=batch_size, rate=1000.0,
                          label="steady 1,000 events/s", **common)  # fmt: skip
        engine.dispose()
    report(f"  batched / baseline: {batched.events_per_s / max(base.events_per_s, 1e-9):.1f}×")
    return {
        "bench": "pipeline",
        "database": backend,
        "events": events,
        "events_per_s": round(batched.events_per_s),
        "lost": batched.lost + steady.lost,
        "duplicates": batched.duplicates + steady.duplicates,
        "baseline_events_per_s": round(base.events_per_s),
        "baseline_lost": base.lost,
        "p99_latency_s": round(steady.p99_latency_s, 3),
        "commits": batched.batches,
        "consumer_cpu_us_per_event": round(batched.cpu_us_per_event),
        "baseline_cpu_us_per_event": round(base.cpu_us_per_event),
        "load_average": round(os.getloadavg()[0], 1),
        "max_inflight_messages": max_inflight,
        "max_queued_messages": max_queued,
        "protocol": protocol,
    }
