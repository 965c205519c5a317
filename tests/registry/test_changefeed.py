"""The change feed's ordering rules: deliver up to the first gap, wait for a gap to fill."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from registry.changefeed import FeedBounds, deliverable, needs_resync

T0 = datetime(2026, 11, 26, tzinfo=UTC)
WAIT = timedelta(seconds=5)


def test_contiguous_ids_are_delivered_at_once() -> None:
    assert deliverable(10, [11, 12, 13], {}, T0, WAIT) == 13


def test_a_gap_holds_back_later_ids_until_it_fills() -> None:
    first_seen: dict[int, datetime] = {}
    assert deliverable(10, [11, 13, 14], first_seen, T0, WAIT) == 11
    assert deliverable(11, [12, 13, 14], first_seen, T0 + timedelta(seconds=1), WAIT) == 14
    assert first_seen == {}


def test_a_gap_that_never_fills_is_a_rolled_back_transaction() -> None:
    first_seen: dict[int, datetime] = {}
    assert deliverable(10, [12], first_seen, T0, WAIT) == 10
    assert deliverable(10, [12], first_seen, T0 + timedelta(seconds=4), WAIT) == 10
    assert deliverable(10, [12, 13], first_seen, T0 + timedelta(seconds=5), WAIT) == 13


def test_from_an_empty_feed_the_first_id_is_not_a_gap() -> None:
    assert deliverable(0, [7, 8], {}, T0, WAIT) == 8


def test_resync_when_the_client_is_behind_the_retained_window() -> None:
    bounds = FeedBounds(oldest_id=100, newest_id=150)
    assert not needs_resync(99, bounds)
    assert needs_resync(98, bounds)
    assert not needs_resync(150, bounds)
    assert needs_resync(151, bounds)  # ahead of the feed: another database
