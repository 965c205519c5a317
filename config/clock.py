"""The two clock types every part injects, so tests run in virtual time.

`WallClock` answers an aware UTC datetime (event times, leases, deadlines); `Seconds`
answers float seconds (`time.monotonic` for intervals, `time.time` for the simulator's
frame clock). Nothing reads the time itself where a test needs another one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

WallClock = Callable[[], datetime]
Seconds = Callable[[], float]


def utc_now() -> datetime:
    return datetime.now(UTC)
