"""Liveness and readiness answers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Live(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: str = "ok"


class Ready(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "ready", "checks": {"database": "ok", "broker": "not configured"}}
            ]
        }
    )

    status: str = Field(description="ready or not ready")
    checks: dict[str, str] = Field(description="Each dependency: ok, not configured, or why not.")
