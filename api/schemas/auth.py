"""Login, token refresh, logout, the current user and API tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.auth.permissions import Permission


class LoginRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"username": "ops-hongshan", "password": "correct horse"}]},
    )

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class TokenPair(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiJ9.e30.c2ln",
                    "token_type": "bearer",
                    "expires_in": 900,
                    "refresh_token": "gwr_3f2a9c1d0b7e6a5f.Zm9vYmFy",
                }
            ]
        }
    )

    access_token: str = Field(description="JWT for `Authorization: Bearer …`.")
    token_type: str = "bearer"  # noqa: S105 - the OAuth 2 token type, not a secret
    expires_in: int = Field(description="Seconds the access token stays valid.")
    refresh_token: str = Field(description="One use: trade it for a new pair at /auth/refresh.")


class RefreshRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"refresh_token": "gwr_3f2a9c1d0b7e6a5f.Zm9vYmFy"}]},
    )

    refresh_token: str = Field(min_length=1, max_length=200)


class Me(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "username": "ops-hongshan",
                    "display_name": "红山区值班员",
                    "role": "operator",
                    "district_code": "150402",
                    "department_id": None,
                    "permissions": ["cameras:read", "districts:read"],
                    "via": "access_token",
                }
            ]
        }
    )

    id: int
    username: str
    display_name: str
    role: str
    district_code: str
    department_id: str | None
    permissions: list[Permission]
    via: str = Field(description="access_token or api_token")


class ApiTokenCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "big screen", "scopes": ["cameras:read", "health:read"], "ttl_days": 90}
            ]
        },
    )

    name: str = Field(min_length=1, max_length=200)
    scopes: list[Permission] = Field(
        min_length=1, description="What the token may do; at most what its owner's role may."
    )
    ttl_days: int | None = Field(default=None, ge=1, le=3650, description="Empty: no expiry.")


class ApiTokenOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "3f2a9c1d0b7e6a5f",
                    "name": "big screen",
                    "scopes": ["cameras:read"],
                    "created_at": "2026-11-26T08:00:00Z",
                    "expires_at": None,
                    "revoked_at": None,
                    "last_used_at": None,
                }
            ]
        }
    )

    id: str
    name: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiTokenCreated(ApiTokenOut):
    token: str = Field(description="The token itself. Shown this once; only its hash is kept.")
