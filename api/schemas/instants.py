"""Instants as the API takes them: with an offset (naive times are refused), kept as UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the instant is out of range once taken to UTC") from None


Instant = Annotated[AwareDatetime, AfterValidator(_utc)]
"""An ISO 8601 date-time with its offset, e.g. `2026-11-26T10:00:00+08:00`."""
