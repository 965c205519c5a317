"""Live-view decisions, free of I/O: who may join, which viewers and upstreams to end."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

LIVE_SCHEMES = ("rtsp", "rtsps", "http", "https")


@dataclass(frozen=True, slots=True)
class ViewerLimits:
    per_camera: int
    per_server: int


@dataclass(frozen=True, slots=True)
class Refusal:
    limit: str  # "camera" or "server"
    detail: str


def admit(limits: ViewerLimits, camera_viewers: int, server_viewers: int) -> Refusal | None:
    """None when one more viewer may join, else why not (for the person waiting)."""
    if camera_viewers >= limits.per_camera:
        return Refusal(
            "camera",
            f"this camera already has {camera_viewers} live viewers, the most allowed "
            f"({limits.per_camera}); close a view of it elsewhere or watch its snapshots",
        )
    if server_viewers >= limits.per_server:
        return Refusal(
            "server",
            f"the server is showing {server_viewers} live views, the most it allows "
            f"({limits.per_server}); try again when a view closes or watch snapshots",
        )
    return None


def live_url(sub_url: str | None, main_url: str | None) -> str | None:
    """The stream to relay: the sub-stream (cheaper to re-encode per viewer), else the main."""
    for url in (sub_url, main_url):
        if url and urlsplit(url).scheme.lower() in LIVE_SCHEMES:
            return url
    return None


@dataclass(frozen=True, slots=True)
class ViewerState:
    viewer_id: str
    joined_at: datetime
    connected: bool


def viewers_to_drop(
    viewers: Iterable[ViewerState], now: datetime, connect_timeout_s: float
) -> list[str]:
    """Viewers whose connection never came up in time (an offer nobody completed)."""
    return [
        v.viewer_id
        for v in viewers
        if not v.connected and (now - v.joined_at).total_seconds() >= connect_timeout_s
    ]


def upstream_expired(idle_since: datetime | None, now: datetime, linger_s: float) -> bool:
    """Whether an upstream without viewers since `idle_since` should close now."""
    return idle_since is not None and (now - idle_since).total_seconds() >= linger_s
