"""Camera health now and per day (ingest's tables, read only)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class HealthNow(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "camera_id": "15040200011320000001",
                    "status": "degraded",
                    "faults": {"BLURRED": {"since": "2026-11-26T01:00:00Z"}},
                    "status_since": "2026-11-26T01:00:00Z",
                    "last_probe_at": "2026-11-26T02:00:00Z",
                    "last_good_at": "2026-11-26T02:00:00Z",
                    "last_failure": None,
                    "consecutive_failures": 0,
                }
            ]
        }
    )

    camera_id: str
    status: str = Field(description="online, degraded, offline or unknown.")
    faults: dict[str, Any] = Field(description="Active fault codes with their details.")
    status_since: datetime | None
    last_probe_at: datetime | None
    last_good_at: datetime | None
    last_failure: str | None
    consecutive_failures: int


class HealthDay(BaseModel):
    day: date
    probes: int
    online: int
    faulty: int
    rate: float | None


class HealthHistory(BaseModel):
    camera_id: str
    days: list[HealthDay]


class FaultyCamera(BaseModel):
    camera_id: str
    name: str
    district_code: str
    status: str
    faults: dict[str, Any]
    status_since: datetime
    last_failure: str | None
