"""Users as administrators see and change them. Password hashes never leave the server."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from registry.auth_tables import Role


class UserOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "username": "ops-hongshan",
                    "display_name": "红山区值班员",
                    "role": "operator",
                    "district_code": "150402",
                    "department_id": None,
                    "disabled": False,
                    "created_at": "2026-11-26T08:00:00Z",
                }
            ]
        },
    )

    id: int
    username: str
    display_name: str
    role: Role
    district_code: str
    department_id: str | None
    disabled: bool
    created_at: datetime


class UserCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "username": "handler-qiaobei",
                    "password": "a long passphrase",
                    "role": "handler",
                    "district_code": "150402001",
                    "department_id": "qb-urban",
                    "display_name": "桥北镇城管",
                }
            ]
        },
    )

    username: str = Field(min_length=1, max_length=64, pattern=r"^\S+$")
    password: str = Field(min_length=10, max_length=1024)
    role: Role
    district_code: str = Field(min_length=1, max_length=24)
    department_id: str | None = Field(default=None, max_length=64)
    display_name: str = Field(default="", max_length=200)


class UserUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"disabled": True}, {"password": "a new passphrase"}]},
    )

    disabled: bool | None = None
    password: str | None = Field(
        default=None, min_length=10, max_length=1024, description="Reset; voids their tokens."
    )
    role: Role | None = None
    display_name: str | None = Field(default=None, max_length=200)
