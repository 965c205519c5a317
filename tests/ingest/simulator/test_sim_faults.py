"""Fault rules: parsing with clear errors, schedule files, and which rules hit a camera when."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.simulator.faultbook import HEALTHY, FaultBook, resolve
from ingest.simulator.faults import (
    FaultKind,
    FaultRule,
    FaultSpecError,
    OfflineMode,
    load_schedule,
    parse_rule,
    parse_rules,
)


def test_parse_rule_reads_every_field() -> None:
    rule = parse_rule(
        {"kind": "covered", "district": "150402", "start": 10, "end": 20.5, "fraction": 0.4,
         "opacity": 0.7, "side": "bottom"}
    )  # fmt: skip
    assert rule == FaultRule(
        FaultKind.COVERED, district="150402", start_s=10.0, end_s=20.5, fraction=0.4,
        opacity=0.7, side="bottom",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"kind": "melted", "camera": "c1"}, "`kind` must be one of"),
        ({"kind": "black"}, "exactly one of `camera` or `district`"),
        ({"kind": "black", "camera": "c1", "district": "15"}, "exactly one of"),
        ({"kind": "black", "camera": "c1", "start": 20, "end": 10}, "start < end"),
        ({"kind": "slow", "camera": "c1", "delay_s": "lots"}, "`delay_s` must be a number"),
        ({"kind": "covered", "camera": "c1", "fraction": 1.5}, "`fraction` must be within"),
        ({"kind": "offline", "camera": "c1", "mode": "explode"}, "`mode` must be one of"),
        ({"kind": "black", "camera": "c1", "colour": "red"}, "unknown field(s) colour"),
        ({"kind": "color_cast", "camera": "c1", "gains": [1, 2]}, "`gains` must be three"),
    ],
)
def test_bad_rules_name_the_problem(raw: dict[str, object], message: str) -> None:
    with pytest.raises(FaultSpecError, match="fault") as caught:
        parse_rule(raw)
    assert message in str(caught.value)


def test_parse_rules_accepts_list_mapping_and_wrapper() -> None:
    one = {"kind": "black", "camera": "c1"}
    assert parse_rules(one) == parse_rules([one]) == parse_rules({"faults": [one]})
    with pytest.raises(FaultSpecError, match=r"faults\[1\]"):
        parse_rules([one, {"kind": "nope", "camera": "c"}])


def test_schedule_files_in_yaml_and_json(tmp_path: Path) -> None:
    yaml_file = tmp_path / "faults.yaml"
    yaml_file.write_text(
        "faults:\n"
        "  - {kind: offline, district: '150402', start: 60, mode: hang}\n"
        "  - {kind: slow, camera: '15040201001321000001', delay_s: 0.5}\n",
        encoding="utf-8",
    )
    json_file = tmp_path / "faults.json"
    json_file.write_text(json.dumps([{"kind": "frozen", "camera": "c9", "end": 30}]))
    rules = load_schedule(yaml_file)
    assert [r.kind for r in rules] == [FaultKind.OFFLINE, FaultKind.SLOW]
    assert rules[0].mode is OfflineMode.HANG
    assert rules[0].start_s == 60
    assert load_schedule(json_file)[0].end_s == 30
    (tmp_path / "empty.yaml").write_text("")
    assert load_schedule(tmp_path / "empty.yaml") == []


def test_schedule_file_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(FaultSpecError, match="cannot read fault schedule"):
        load_schedule(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(FaultSpecError, match="not valid json"):
        load_schedule(broken)


def test_resolve_combines_rules_active_at_the_time() -> None:
    rules = [
        FaultRule(FaultKind.SLOW, camera="c", delay_s=1.0),
        FaultRule(FaultKind.SLOW, camera="c", delay_s=0.5, start_s=10),
        FaultRule(FaultKind.BLACK, camera="c", end_s=5),
        FaultRule(FaultKind.BLURRED, camera="c", start_s=3),
        FaultRule(FaultKind.HTTP_ERROR, camera="c", start_s=100, end_s=200),
    ]
    early = resolve(rules, 4.0)
    assert early.delay_s == 1.0
    assert early.image is not None
    assert early.image.kind is FaultKind.BLURRED
    later = resolve(rules, 150.0)
    assert later.delay_s == 1.5
    assert later.http_error
    assert later.image is not None
    assert resolve(rules[4:], 200.0) is HEALTHY  # end is exclusive


def test_faultbook_matches_cameras_and_district_prefixes() -> None:
    book = FaultBook()
    assert book.for_camera("c1", "150402001", 0.0) is HEALTHY
    (district_rule, camera_rule) = book.add(
        [
            FaultRule(FaultKind.AUTH, district="150402"),
            FaultRule(FaultKind.OFFLINE, camera="c2"),
        ]
    )
    assert book.for_camera("c1", "150402001002", 0.0).refuse_auth
    assert book.for_camera("c1", "150403001002", 0.0) is HEALTHY
    both = book.for_camera("c2", "150402001", 0.0)
    assert both.refuse_auth
    assert both.offline is not None
    assert book.remove(camera_rule)
    assert not book.remove(camera_rule)
    assert book.for_camera("c2", "150499", 0.0) is HEALTHY
    assert book.remove(district_rule)
    assert len(book) == 0
    book.add([FaultRule(FaultKind.BLACK, camera="c3")] * 2)
    assert book.clear() == 2
    assert book.items() == []


def test_image_key_shares_pictures_between_equal_rules() -> None:
    a = FaultRule(FaultKind.COVERED, camera="a", fraction=0.5, start_s=3)
    b = FaultRule(FaultKind.COVERED, district="15", fraction=0.5, end_s=9)
    c = FaultRule(FaultKind.COVERED, district="15", fraction=0.6)
    assert a.image_key() == b.image_key() != c.image_key()


@pytest.mark.parametrize(
    "rule",
    [
        FaultRule(FaultKind.OFFLINE, district="1504", mode=OfflineMode.HANG, start_s=3, end_s=9),
        FaultRule(FaultKind.COLOR_CAST, camera="c", gains=(0.5, 1.0, 2.0)),
        FaultRule(FaultKind.COVERED, camera="c", fraction=0.3, opacity=0.4, side="top-left"),
        FaultRule(FaultKind.MOVED, camera="c", dx=-0.1, dy=0.05, degrees=-3),
        FaultRule(FaultKind.SLOW, camera="c", delay_s=0.25),
    ],
)
def test_rules_round_trip_through_their_json_form(rule: FaultRule) -> None:
    assert parse_rule(json.loads(json.dumps(rule.to_json()))) == rule
