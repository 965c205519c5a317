"""Live view requests and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class LiveOffer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["offer"]
    sdp: str = Field(min_length=1, max_length=100_000, description="The browser's SDP offer.")


class LiveAnswer(BaseModel):
    type: Literal["answer"] = "answer"
    sdp: str = Field(description="The server's SDP answer (its ICE candidates included).")
    viewer_id: str = Field(description="Send DELETE …/live/{viewer_id} when the view closes.")


class LiveUpstream(BaseModel):
    camera_id: str
    viewers: int
    opened_at: datetime
    frames_decoded: int = Field(description="Frames decoded from the camera since it opened.")
