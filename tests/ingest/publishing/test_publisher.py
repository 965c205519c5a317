"""The publisher against a real broker (the `mqtt_url` fixture: Mosquitto in CI)."""

from __future__ import annotations

import logging
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bus.client import client_id_for, make_client
from bus.embedded_broker import free_port
from bus.events import EventType, MalformedEvent, decode
from bus.mqtt_url import parse_mqtt_url
from bus.status import decode_status
from bus.topics import events_filter, status_topic, worker_topic
from ingest.publishing.publisher import EventDraft, Publisher, PublisherOptions
from ingest.publishing.spool import Spool
from tests.bus.mqtt_helpers import Recorder, wait_until


@pytest.fixture
def worker() -> str:
    """A fresh worker id (and topic prefix) per test: the CI broker is shared and retains."""
    return f"w{uuid.uuid4().hex[:10]}"


@pytest.fixture
def spool(tmp_path: Path) -> Iterator[Spool]:
    with Spool(tmp_path / "spool.sqlite") as opened:
        yield opened


def options(worker: str, max_inflight: int = 256) -> PublisherOptions:
    return PublisherOptions(
        worker_id=worker,
        topic_prefix=f"gw{worker}",
        reconnect_min_s=1,
        reconnect_max_s=1,
        max_inflight=max_inflight,
    )


def draft(i: int) -> EventDraft:
    return EventDraft(EventType.MOTION_START, f"cam-{i % 5}", "150102", {"area": i / 100})


def event_seqs(recorder: Recorder) -> list[int]:
    return sorted(decode(m.topic, m.payload).seq for m in recorder.received("/events/"))


def test_events_arrive_once_each_and_leave_the_spool(
    mqtt_url: str, spool: Spool, worker: str
) -> None:
    opts = options(worker, max_inflight=8)
    with (
        Recorder(mqtt_url, events_filter(opts.topic_prefix)) as recorder,
        Publisher(mqtt_url, spool, opts) as publisher,
    ):
        sent = [publisher.publish_event(draft(i)) for i in range(300)]
        assert publisher.flush(15)
        wait_until(lambda: len(event_seqs(recorder)) >= 300, 10, "300 events")
        counters = publisher.counters()
    assert event_seqs(recorder) == list(range(1, 301))
    first = recorder.received("/events/")[0]
    assert decode(first.topic, first.payload) in sent
    assert not first.retained
    assert spool.pending == 0
    assert (counters.spooled, counters.acked, counters.pending) == (300, 300, 0)


def test_concurrent_callers_get_distinct_contiguous_seqs(
    mqtt_url: str, spool: Spool, worker: str
) -> None:
    opts = options(worker)
    seqs: list[int] = []
    lock = threading.Lock()

    def produce() -> None:
        for i in range(100):
            seq = publisher.publish_event(draft(i)).seq
            with lock:
                seqs.append(seq)

    with (
        Recorder(mqtt_url, events_filter(opts.topic_prefix)) as recorder,
        Publisher(mqtt_url, spool, opts) as publisher,
    ):
        threads = [threading.Thread(target=produce) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert publisher.flush(15)
        wait_until(lambda: len(event_seqs(recorder)) >= 400, 10, "400 events")
    assert sorted(seqs) == list(range(1, 401))
    assert event_seqs(recorder) == list(range(1, 401))


def test_status_and_presence_are_retained(mqtt_url: str, spool: Spool, worker: str) -> None:
    opts = options(worker)
    with Publisher(mqtt_url, spool, opts) as publisher:
        publisher.publish_status("cam-1", {"status": "degraded", "faults": ["blur"]})
        publisher.publish_status("cam-1", {"status": "online", "faults": []})
        assert publisher.flush(10)
        with Recorder(mqtt_url, f"{opts.topic_prefix}/v1/#") as late:
            status = status_topic(opts.topic_prefix, "cam-1")
            presence = worker_topic(opts.topic_prefix, worker)
            wait_until(lambda: len(late.received(status)) >= 1, 10, "the retained status")
            wait_until(lambda: len(late.received(presence)) >= 1, 10, "retained presence")
            retained = late.received(status)[-1]
            assert retained.retained
            assert decode_status(retained.payload).state == {"status": "online", "faults": []}
            assert late.received(presence)[-1].payload == b"online"
    with Recorder(mqtt_url, worker_topic(opts.topic_prefix, worker)) as after:
        wait_until(lambda: len(after.received()) >= 1, 10, "presence after close")
        assert after.received()[-1].payload == b"offline"


def test_last_will_says_offline_when_the_socket_dies(
    mqtt_url: str, spool: Spool, worker: str
) -> None:
    opts = options(worker)
    client = make_client(parse_mqtt_url(mqtt_url), client_id_for(worker))
    publisher = Publisher(mqtt_url, spool, opts, client=client).start()
    try:
        wait_until(lambda: publisher.connected, 10, "the connection")
        client.loop_stop()  # no DISCONNECT packet will ever be sent
        sock = client.socket()
        assert isinstance(sock, socket.socket)
        sock.shutdown(socket.SHUT_RDWR)
        sock.close()
        with Recorder(mqtt_url, worker_topic(opts.topic_prefix, worker)) as watcher:
            wait_until(
                lambda: [m.payload for m in watcher.received()][-1:] == [b"offline"],
                15,
                "the broker to publish the last will",
            )
            assert watcher.received()[-1].retained
    finally:
        publisher.close(timeout=1)


def test_a_restart_replays_the_spool_and_continues_seq(
    mqtt_url: str, tmp_path: Path, worker: str
) -> None:
    opts = options(worker)
    path = tmp_path / "spool.sqlite"
    nobody = f"mqtt://127.0.0.1:{free_port()}"
    with Spool(path) as spool, Publisher(nobody, spool, opts) as offline:
        for i in range(5):
            offline.publish_event(draft(i))
        assert not offline.flush(0.05)
    with Recorder(mqtt_url, events_filter(opts.topic_prefix)) as recorder:
        with Spool(path) as spool, Publisher(mqtt_url, spool, opts) as online:
            assert online.publish_event(draft(5)).seq == 6
            assert online.flush(10)
            replayed = online.counters().replayed
        wait_until(lambda: len(event_seqs(recorder)) >= 6, 10, "six events")
    assert event_seqs(recorder) == [1, 2, 3, 4, 5, 6]
    assert replayed >= 5


def test_a_bad_draft_is_refused_without_using_a_seq(spool: Spool, worker: str) -> None:
    nobody = f"mqtt://127.0.0.1:{free_port()}"
    with Publisher(nobody, spool, options(worker)) as publisher:
        with pytest.raises(MalformedEvent):
            publisher.publish_event(EventDraft(EventType.MOTION_START, "cam/1", "150102"))
        with pytest.raises(MalformedEvent):
            publisher.publish_event(
                EventDraft(EventType.PROBE_FAILED, "cam-1", "150102", {"url": "rtsp://a:b@h/"})
            )
        assert publisher.publish_event(draft(0)).seq == 1
        assert spool.pending == 1


def test_broker_password_never_reaches_logs_or_reprs(
    spool: Spool, worker: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"mqtt://gridwatch:s3cret-pw@127.0.0.1:{free_port()}"
    caplog.set_level(logging.DEBUG)
    with Publisher(url, spool, options(worker)) as publisher:
        publisher.publish_event(draft(0))
        shown = f"{publisher.endpoint!r} {publisher.endpoint.display} {publisher.options!r}"
    assert "s3cret-pw" not in shown
    assert "s3cret-pw" not in caplog.text
    assert "127.0.0.1" in caplog.text


def test_a_fence_stops_sending_and_the_return_drops_what_it_kept(
    mqtt_url: str, spool: Spool, worker: str
) -> None:
    """Leases lapsed: nothing spooled from then reaches the broker, not even after the
    return (other workers have seen those cameras since); the seq numbering goes on, so
    consumers see the gap and reconcile; publishing resumes on a fresh connection."""
    opts = options(worker)
    with (
        Recorder(mqtt_url, events_filter(opts.topic_prefix)) as recorder,
        Publisher(mqtt_url, spool, opts) as publisher,
    ):
        for i in range(5):
            publisher.publish_event(draft(i))
        assert publisher.flush(10)
        publisher.fence()
        wait_until(lambda: not publisher.connected, 10, "the connection cut")
        assert publisher.fenced
        for i in range(5, 12):
            publisher.publish_event(draft(i))
        assert not publisher.flush(1.0), "nothing is sent while fenced"
        assert spool.pending == 7
        publisher.unfence()
        wait_until(lambda: publisher.connected and not publisher.fenced, 15, "the return")
        for i in range(12, 15):
            publisher.publish_event(draft(i))
        assert publisher.flush(10)
        wait_until(lambda: len(event_seqs(recorder)) >= 8, 10, "events after the return")
        counters = publisher.counters()
    assert event_seqs(recorder) == [1, 2, 3, 4, 5, 13, 14, 15]
    assert counters.fenced == 7
    assert spool.pending == 0
