"""SLA limits by priority × category × district level, from the shipped settings file."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.cases.sla import SlaFileError, load_sla, parse_sla

REPO = Path(__file__).resolve().parents[3]
DAY = 7.5 * 3600


def test_shipped_file_most_specific_policy_wins() -> None:
    sla = load_sla(REPO / "config" / "sla.yaml", DAY)
    assert sla.yellow_fraction == 0.8
    assert sla.red_fraction == 1.0
    assert sla.limit_s("handle", priority="P3", category="other", level=3) == 5 * DAY
    assert sla.limit_s("handle", priority="P3", category="camera_fault", level=3) == 2 * DAY
    assert sla.limit_s("handle", priority="P3", category="camera_fault", level=4) == 3 * DAY
    assert sla.limit_s("accept", priority="P1", category="camera_fault", level=4) == 1800
    # On equal specificity the later policy wins: camera_fault (later) over P1.
    assert sla.limit_s("handle", priority="P1", category="camera_fault", level=3) == 2 * DAY
    assert sla.limit_s("handle", priority="P4", category="other", level=2) == 15 * DAY


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({}, "needs a `default`"),
        ({"default": {"accept": "2h"}}, "default lacks"),
        ({"default": {"accept": "two hours"}}, "not a duration"),
        ({"default": {"handover": "2h"}}, "unknown stages"),
        (
            {
                "default": dict.fromkeys(
                    ("accept", "sign_for", "handle", "verify", "check_in"), "1h"
                ),
                "policies": [{"match": {"colour": "red"}, "stages": {}}],
            },
            "`match` must use only",
        ),
        (
            {
                "default": dict.fromkeys(
                    ("accept", "sign_for", "handle", "verify", "check_in"), "1h"
                ),
                "supervision": {"yellow": 1.0, "red": 0.9},
            },
            "0 < yellow < red",
        ),
    ],
)
def test_bad_sla_file_is_refused_clearly(document: object, message: str) -> None:
    with pytest.raises(SlaFileError, match=message):
        parse_sla(document, DAY)
