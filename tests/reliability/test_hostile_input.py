"""Scenario 6, the wire and the files: hostile MQTT payloads (malformed, oversized, wrong
schema, unknown type, an extra field, a replay) into the running alert consumer on the
real broker, and hostile import files (a GB18030 file, injection attempts, camera URLs
with bad schemes). The cameras' side (garbage snapshots, huge and tiny JPEGs, a PNG,
empty and endless bodies) is `test_hostile_cameras.py`. Each prints what was sent and
what was stored."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from alerts.models import AlertEvent, DeadLetterRow
from bus.events import MAX_PAYLOAD_BYTES, encode
from registry.db import SessionFactory
from registry.importer import ImportFailed, import_cameras, import_districts
from registry.models import Camera
from registry.records import UnreadableFile, read_records
from tests.alerts.test_consumer import Publisher, _clock, make_consumer, producer, stored
from tests.bus.mqtt_helpers import wait_until
from tests.registry.factories import DISTRICTS, camera, write_csv


def test_hostile_payloads_are_dead_lettered_and_the_consumer_keeps_going(
    db: SessionFactory, mqtt_url: str
) -> None:
    prefix = f"gwt{uuid.uuid4().hex[:10]}"
    publisher = Publisher(mqtt_url)
    consumer = make_consumer(db, mqtt_url, prefix, f"alerts-{prefix}").start()
    try:
        p = producer()
        first, last = (p.offline(f"T00C{i * 20:04d}", _clock()) for i in range(2))
        topic = first.topic(prefix)
        body = json.loads(encode(first))
        hostile = {
            "not_json": b"{not json",
            "too_large": b'{"pad": "' + b"x" * MAX_PAYLOAD_BYTES + b'"}',
            "unknown_schema": json.dumps({**body, "schema": 99}).encode(),
            "unknown_type": json.dumps({**body, "type": "camera.exploded"}).encode(),
            "extra_field": json.dumps({**body, "admin": True}).encode(),
        }
        publisher.send(topic, encode(first))
        for payload in hostile.values():
            publisher.send(topic, payload)
        publisher.send(topic, encode(first))  # replayed
        publisher.send(last.topic(prefix), encode(last))  # still consuming after all that
        wait_until(lambda: stored(db) == 2, 20, "the good events")
        wait_until(lambda: stored(db, DeadLetterRow) == len(hostile), 20, "the dead letters")
        wait_until(lambda: consumer.duplicates == 1, 10, "the replay seen as one")
    finally:
        consumer.stop()
        publisher.close()
    with db() as session:
        reasons = sorted(session.scalars(select(DeadLetterRow.reason)).all())
        ids = sorted(session.scalars(select(AlertEvent.event_id)).all())
    print(f"\n[reliability] sent 2 good, 1 replay, {len(hostile)} hostile; stored {len(ids)} "
          f"events, dead letters {reasons}")  # fmt: skip
    assert reasons == sorted(hostile)
    assert ids == sorted([first.event_id, last.event_id])


@pytest.fixture
def league(db: SessionFactory, tmp_path: Path) -> SessionFactory:
    import_districts(db, read_records(write_csv(tmp_path / "districts.csv", DISTRICTS), "d"))
    return db


def _cameras(db: SessionFactory) -> list[tuple[str, str]]:
    with db() as session:
        return sorted(session.execute(select(Camera.id, Camera.name)).tuples().all())


def test_a_gb18030_file_fails_whole_with_its_line_and_imports_nothing(
    league: SessionFactory, tmp_path: Path
) -> None:
    path = tmp_path / "cameras.csv"
    url = "http://10.0.0.1/snapshot.jpg"
    text = (
        "id,name,district_code,snapshot_url\n"
        f"cam-1,桥北镇一号,150402001001,{url}\ncam-2,桥北镇二号,150402001001,{url}\n"
    )
    path.write_bytes(text.encode("gb18030"))
    with pytest.raises(UnreadableFile) as failure:
        import_cameras(league, read_records(path, "cameras"))
    print(f"\n[reliability] GB18030 file: {failure.value}")
    assert "line 2 is not UTF-8" in str(failure.value)
    assert "CSV UTF-8" in str(failure.value)
    assert _cameras(league) == []
    path.write_bytes(text.encode("utf-8-sig"))  # the same file saved as Excel's CSV UTF-8
    import_cameras(league, read_records(path, "cameras"))
    assert _cameras(league) == [("cam-1", "桥北镇一号"), ("cam-2", "桥北镇二号")]


def test_bad_url_schemes_fail_with_their_lines_and_injections_stay_data(
    league: SessionFactory, tmp_path: Path
) -> None:
    injections = ["'; DROP TABLE cameras; --", "=cmd|' /C calc'!A0", "<script>alert(1)</script>"]
    rows = [camera(f"cam-{i}", name=name) for i, name in enumerate(injections)]
    rows += [
        camera("cam-file", snapshot_url="file:///etc/passwd"),  # line 5
        camera("cam-js", snapshot_url="javascript:alert(1)"),  # line 6
        camera("cam-gopher", main_url="gopher://10.0.0.1/"),  # line 7
    ]
    path = write_csv(tmp_path / "cameras.csv", rows)
    with pytest.raises(ImportFailed) as failure:
        import_cameras(league, read_records(path, "cameras"))
    lines = [error.line for error in failure.value.errors]
    print(f"\n[reliability] {len(rows)} rows, refused: {failure.value}")
    assert lines == [5, 6, 7]
    assert "scheme 'file'" in str(failure.value)
    assert _cameras(league) == []  # nothing half-imported
    good = write_csv(tmp_path / "good.csv", rows[: len(injections)])
    import_cameras(league, read_records(good, "cameras"))
    names = [name for _, name in _cameras(league)]
    assert names == injections  # stored as given: bound parameters, never SQL
    with league() as session:
        assert session.scalar(select(func.count()).select_from(Camera)) == len(injections)
