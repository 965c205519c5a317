"""The district tree with per-node roll-ups, and online rate per day."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class DistrictNode(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "150402001",
                    "name": "桥北镇",
                    "level": 3,
                    "parent_code": "150402",
                    "cameras": 120,
                    "online": 112,
                    "faulty": 4,
                    "offline": 6,
                    "unknown": 2,
                    "online_rate_today": 0.94,
                    "open_alerts": 3,
                    "open_cases": 1,
                }
            ]
        }
    )

    code: str
    name: str
    level: int
    parent_code: str | None
    cameras: int = Field(description="Cameras at this node and below.")
    online: int = Field(description="Reachable now (online or degraded).")
    faulty: int = Field(description="Reachable but with an active picture fault (degraded).")
    offline: int
    unknown: int = Field(description="Never probed yet, or no health row.")
    online_rate_today: float | None = Field(
        description="Online probes / probes today (command-center day); null without probes."
    )
    open_alerts: int | None = Field(
        default=None, description="Firing alerts here and below (a storm group counts once)."
    )
    open_cases: int | None = Field(
        default=None,
        description="Cases here and below not yet closed (closed, followed up, "
        "archived are finished).",
    )


class OnlineRateDay(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"day": "2026-11-25", "probes": 1440, "online": 1402, "rate": 0.9736}]
        }
    )

    day: date
    probes: int
    online: int
    faulty: int
    rate: float | None


class OnlineRate(BaseModel):
    district_code: str
    days: list[OnlineRateDay]
