"""The event contract: round trip, and one test per reason `decode` can refuse a payload."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bus.event_ids import event_id_ms, is_event_id, make_event_id
from bus.events import (
    MAX_PAYLOAD_BYTES,
    Event,
    EventType,
    MalformedEvent,
    MalformedReason,
    decode,
    encode,
    format_ts,
)
from bus.topics import InvalidTopicSegment, event_topic, status_topic, worker_topic

T0 = datetime(2026, 3, 1, 8, 0, 0, 123000, tzinfo=UTC)
PREFIX = "gridwatch"


def make_event(**changes: Any) -> Event:
    fields: dict[str, Any] = {
        "event_id": make_event_id(T0, "w1", 7),
        "type": EventType.HEALTH_FAULT,
        "camera_id": "15010200001320000001",
        "district_code": "150102",
        "ts": T0,
        "worker_id": "w1",
        "seq": 7,
        "data": {"faults": ["black"], "mean_luma": 3.5},
        "evidence": "snapshots/2026/03/01/15010200001320000001-0800.jpg",
    }
    fields.update(changes)
    return Event(**fields)


def document(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(encode(make_event()))
    doc.update(changes)
    return doc


def raw(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()


TOPIC = event_topic(PREFIX, "150102", "15010200001320000001", "health.fault")


def reason_of(topic: str, payload: bytes) -> MalformedReason:
    with pytest.raises(MalformedEvent) as caught:
        decode(topic, payload)
    return caught.value.reason


def test_round_trip_keeps_every_field() -> None:
    event = make_event()
    assert decode(event.topic(PREFIX), encode(event), prefix=PREFIX) == event


def test_encoding_is_compact_json_with_utc_milliseconds() -> None:
    doc = json.loads(encode(make_event()))
    assert doc["ts"] == "2026-03-01T08:00:00.123Z"
    assert doc["schema"] == 1
    assert list(doc) == [
        "schema", "event_id", "type", "camera_id", "district_code",
        "ts", "worker_id", "seq", "data", "evidence",
    ]  # fmt: skip


def test_other_offsets_are_normalized_to_utc() -> None:
    beijing = timezone(timedelta(hours=8))
    event = decode(TOPIC, raw(document(ts="2026-03-01T16:00:00.123+08:00")))
    assert event.ts == T0
    assert make_event(ts=T0.astimezone(beijing)).ts.tzinfo is UTC


ids = st.text(
    alphabet=st.characters(blacklist_characters="/#+$", blacklist_categories=("Cc", "Cs", "Z")),
    min_size=1,
    max_size=30,
)
json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.text(max_size=20),
    st.floats(allow_nan=False, allow_infinity=False),
)
json_values = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
safe_data = st.dictionaries(
    st.sampled_from(["area", "boxes", "fault", "value", "since", "note"]), json_values, max_size=5
)


# The machine is shared; generation speed is not what this test is about.
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    camera_id=ids,
    district_code=ids,
    worker_id=ids,
    seq=st.integers(1, 2**40),
    ts=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2999, 1, 1), timezones=st.just(UTC)
    ),
    event_type=st.sampled_from(list(EventType)),
    data=safe_data,
)
def test_round_trip_property(
    camera_id: str,
    district_code: str,
    worker_id: str,
    seq: int,
    ts: datetime,
    event_type: EventType,
    data: dict[str, Any],
) -> None:
    try:
        event = Event(
            make_event_id(ts, worker_id, seq), event_type, camera_id, district_code, ts,
            worker_id, seq, data,
        )  # fmt: skip
    except MalformedEvent as refused:  # hypothesis may write "password=x" into a string
        reason: MalformedReason | None = refused.reason
    else:
        reason = None
    if reason is not None:
        assert reason == MalformedReason.CREDENTIALS
        return
    assert decode(event.topic(PREFIX), encode(event)) == event


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xff\xfe", MalformedReason.NOT_JSON),
        (b'{"schema": 1,', MalformedReason.NOT_JSON),
        (b"[1, 2]", MalformedReason.NOT_OBJECT),
        (b'{"schema": 1, "schema": 1}', MalformedReason.DUPLICATE_FIELD),
        (b"x" * (MAX_PAYLOAD_BYTES + 1), MalformedReason.TOO_LARGE),
    ],
)
def test_payloads_that_are_not_an_event_object(payload: bytes, reason: MalformedReason) -> None:
    assert reason_of(TOPIC, payload) == reason


def test_nan_is_not_json() -> None:
    payload = encode(make_event()).replace(b'"mean_luma":3.5', b'"mean_luma":NaN')
    assert reason_of(TOPIC, payload) == MalformedReason.NOT_JSON


def test_missing_and_extra_fields() -> None:
    missing = document()
    del missing["seq"]
    assert reason_of(TOPIC, raw(missing)) == MalformedReason.MISSING_FIELD
    assert reason_of(TOPIC, raw(document(priority=3))) == MalformedReason.EXTRA_FIELD
    no_evidence = document()
    del no_evidence["evidence"]
    assert decode(TOPIC, raw(no_evidence)).evidence is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seq", "7"),
        ("seq", True),
        ("seq", 7.0),
        ("schema", "1"),
        ("data", [1]),
        ("camera_id", 15010200001320000001),
        ("evidence", 5),
        ("ts", 1772352000),
    ],
)
def test_mistyped_fields(field: str, value: Any) -> None:
    assert reason_of(TOPIC, raw(document(**{field: value}))) == MalformedReason.WRONG_TYPE


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"schema": 2}, MalformedReason.UNKNOWN_SCHEMA),
        ({"type": "motion.sideways"}, MalformedReason.UNKNOWN_TYPE),
        ({"event_id": "not-an-id"}, MalformedReason.BAD_EVENT_ID),
        ({"event_id": "01ARZ3NDEKTSV4RRFFQ69G5FAI"}, MalformedReason.BAD_EVENT_ID),
        ({"seq": 0}, MalformedReason.BAD_SEQ),
        ({"worker_id": "w/1"}, MalformedReason.BAD_ID),
        ({"worker_id": ""}, MalformedReason.BAD_ID),
        ({"ts": "yesterday"}, MalformedReason.BAD_TIMESTAMP),
        ({"ts": "2026-03-01T08:00:00.123"}, MalformedReason.NAIVE_TIMESTAMP),
        ({"data": {"luma": 1e400}}, MalformedReason.NOT_JSON),
        ({"data": {"boxes": [[[[[[[[[[1]]]]]]]]]]}}, MalformedReason.BAD_DATA),
        ({"data": {"url": "rtsp://admin:hunter2@10.0.0.9/live"}}, MalformedReason.CREDENTIALS),
        ({"data": {"password": "x"}}, MalformedReason.CREDENTIALS),
        ({"evidence": "http://u:p@nvr/snap.jpg"}, MalformedReason.CREDENTIALS),
        ({"evidence": ""}, MalformedReason.BAD_DATA),
    ],
)
def test_values_that_break_the_contract(changes: dict[str, Any], reason: MalformedReason) -> None:
    assert reason_of(TOPIC, raw(document(**changes))) == reason


def test_credentials_are_not_repeated_in_the_error() -> None:
    with pytest.raises(MalformedEvent) as caught:
        decode(TOPIC, raw(document(data={"err": "rtsp://admin:hunter2@10.0.0.9/"})))
    assert "hunter2" not in str(caught.value)
    with pytest.raises(MalformedEvent):
        make_event(data={"note": "login with password=hunter2"})


@pytest.mark.parametrize(
    "topic",
    [
        "gridwatch/v1/events/150102/15010200001320000001",
        "gridwatch/v2/events/150102/15010200001320000001/health.fault",
        "gridwatch/v1/status/150102/15010200001320000001/health.fault",
        "gridwatch/v1/events/150102/cam+1/health.fault",
    ],
)
def test_topics_that_are_not_event_topics(topic: str) -> None:
    assert reason_of(topic, encode(make_event())) == MalformedReason.BAD_TOPIC


def test_prefix_is_checked_when_given() -> None:
    with pytest.raises(MalformedEvent) as caught:
        decode(TOPIC, encode(make_event()), prefix="other")
    assert caught.value.reason == MalformedReason.BAD_TOPIC


@pytest.mark.parametrize(
    "topic",
    [
        event_topic(PREFIX, "150103", "15010200001320000001", "health.fault"),
        event_topic(PREFIX, "150102", "15010200001320000002", "health.fault"),
        event_topic(PREFIX, "150102", "15010200001320000001", "health.recovered"),
    ],
)
def test_topic_that_disagrees_with_the_payload(topic: str) -> None:
    assert reason_of(topic, encode(make_event())) == MalformedReason.TOPIC_MISMATCH


@pytest.mark.parametrize("bad", ["", "a/b", "a#", "a+b", "$SYS", "with space", "x" * 129])
def test_ids_must_be_single_topic_levels(bad: str) -> None:
    with pytest.raises(InvalidTopicSegment):
        status_topic(PREFIX, bad)
    with pytest.raises(InvalidTopicSegment):
        worker_topic(PREFIX, bad)
    with pytest.raises(MalformedEvent) as caught:
        make_event(camera_id=bad)
    assert caught.value.reason == MalformedReason.BAD_ID


def test_naive_timestamp_is_refused_at_construction() -> None:
    with pytest.raises(MalformedEvent) as caught:
        make_event(ts=datetime(2026, 3, 1, 8, 0))
    assert caught.value.reason == MalformedReason.NAIVE_TIMESTAMP


def test_data_is_copied_not_shared() -> None:
    data: dict[str, Any] = {"boxes": [(1, 2, 3, 4)]}
    event = make_event(data=data)
    data["boxes"].append((5, 6, 7, 8))
    assert event.data == {"boxes": [[1, 2, 3, 4]]}


def test_event_ids_sort_by_time_then_seq() -> None:
    stamps = [T0 + timedelta(milliseconds=ms) for ms in (0, 0, 1, 5, 1000)]
    made = [make_event_id(at, "w1", seq) for seq, at in enumerate(stamps, start=1)]
    assert made == sorted(made)
    assert len(set(made)) == len(made)
    assert all(is_event_id(i) and len(i) == 26 for i in made)
    assert event_id_ms(made[-1]) == int((T0 + timedelta(seconds=1)).timestamp() * 1000)
    assert make_event_id(T0, "w1", 1) != make_event_id(T0, "w2", 1)


def test_format_ts_always_has_milliseconds() -> None:
    assert format_ts(datetime(2026, 3, 1, tzinfo=UTC)) == "2026-03-01T00:00:00.000Z"
