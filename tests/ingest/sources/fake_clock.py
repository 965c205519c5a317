"""A clock for the sources under test: one second later at each reading."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class FakeClock:
    """Advances one second per reading, so every sample has its own known time."""

    def __init__(self) -> None:
        self.readings = 0

    def __call__(self) -> datetime:
        self.readings += 1
        return START + timedelta(seconds=self.readings)
