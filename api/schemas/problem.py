"""The RFC 9457 problem document every error answers with."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Problem(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "https://gridwatch.example/problems/not-found",
                    "title": "Not found",
                    "status": 404,
                    "detail": "camera not found",
                    "instance": "/api/v1/cameras/34020000001320000001",
                }
            ]
        },
    )

    type: str = Field(description="Stable URI naming the kind of error; switch on this.")
    title: str = Field(description="Short human summary of the type.")
    status: int = Field(description="The HTTP status code.")
    detail: str | None = Field(default=None, description="What went wrong this time.")
    instance: str | None = Field(default=None, description="The request path.")
