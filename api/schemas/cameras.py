"""Cameras as the API shows and takes them. Credentials go in, never out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

_EXAMPLE: dict[str, Any] = {
    "id": "15040200011320000001",
    "name": "桥北镇政府东门",
    "district_code": "150402001",
    "device_type": "132",
    "main_url": "rtsp://10.2.0.17:554/Streaming/Channels/101",
    "sub_url": "rtsp://10.2.0.17:554/Streaming/Channels/102",
    "snapshot_url": "http://10.2.0.17/ISAPI/Streaming/channels/101/picture",
    "lat": 42.27,
    "lon": 118.95,
    "use": "public_security",
    "owner_department_id": "qb-urban",
    "maintainer": "赤峰移动",
    "uplink": "NVR-QB-01",
    "tags": ["gate"],
    "enabled": True,
}


class CameraOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_EXAMPLE,
                    "has_credentials": True,
                    "status": "online",
                    "created_at": "2026-11-26T08:00:00Z",
                    "updated_at": "2026-11-26T08:00:00Z",
                }
            ]
        }
    )

    id: str
    name: str
    district_code: str
    device_type: str | None
    main_url: str | None
    sub_url: str | None
    snapshot_url: str | None
    lat: float | None
    lon: float | None
    use: str
    owner_department_id: str | None
    maintainer: str | None
    uplink: str | None
    tags: list[str]
    enabled: bool
    has_credentials: bool = Field(description="Whether credentials are stored (never shown).")
    status: str = Field(description="Current health status; unknown before the first probe.")
    created_at: datetime
    updated_at: datetime


class CameraPage(BaseModel):
    total: int
    items: list[CameraOut]


class CameraFields(BaseModel):
    """Fields as the import file names them; validated by the importer's rules."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    district_code: str | None = Field(default=None, max_length=24)
    main_url: str | None = Field(default=None, max_length=2000)
    sub_url: str | None = Field(default=None, max_length=2000)
    snapshot_url: str | None = Field(default=None, max_length=2000)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    use: str | None = Field(default=None, max_length=32)
    owner_department: str | None = Field(default=None, max_length=64)
    maintainer: str | None = Field(default=None, max_length=200)
    uplink: str | None = Field(default=None, max_length=64)
    tags: list[str] | None = Field(default=None, max_length=50)
    enabled: bool | None = None
    username: str | None = Field(default=None, max_length=200, description="Write only.")
    password: SecretStr | None = Field(
        default=None, max_length=200, description="Write only; stored encrypted."
    )


class CameraCreate(CameraFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{**_EXAMPLE, "username": "admin", "password": "…"}]},
    )

    id: str = Field(min_length=1, max_length=64)


class CameraUpdate(CameraFields):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"enabled": False}, {"name": "东门"}]}
    )


class ImportRowError(BaseModel):
    line: int
    reason: str


class ImportResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"added": 10, "updated": 2, "unchanged": 88, "skipped": []}]
        }
    )

    added: int
    updated: int
    unchanged: int
    skipped: list[ImportRowError] = Field(description="Rows left out (with skip_invalid only).")
