"""The words of the contract: event data shapes and the codes they carry.

Every value here travels in events, retained status messages and alerts, and is
stored by consumers: add new members, never rename or remove one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypedDict


class CameraStatus(StrEnum):
    """A camera's reachability as the producer sees it (`status` in the retained message)."""

    UNKNOWN = "unknown"
    ONLINE = "online"
    DEGRADED = "degraded"
    OFFLINE = "offline"


class FaultCode(StrEnum):
    """What is wrong with a camera's picture (`code` of `health.fault` / `health.recovered`)."""

    NO_SIGNAL = "NO_SIGNAL"
    FROZEN = "FROZEN"
    TOO_DARK = "TOO_DARK"
    OVEREXPOSED = "OVEREXPOSED"
    BLURRED = "BLURRED"
    OCCLUDED = "OCCLUDED"
    MOVED = "MOVED"
    COLOR_CAST = "COLOR_CAST"
    NOISY = "NOISY"


class ProbeFailure(StrEnum):
    """Why a probe failed (`code` of `probe.failed` / `camera.offline`)."""

    DNS = "dns"
    """The camera's host name does not resolve."""
    REFUSED = "refused"
    """The host answered but nothing listens on the port."""
    UNREACHABLE = "unreachable"
    """No route to the host (it is down or its network is)."""
    TIMEOUT = "timeout"
    """No answer, or no data, within the configured time."""
    TLS = "tls"
    """TLS handshake failed: certificate not trusted, expired or for another name."""
    AUTH = "auth"
    """The camera refused the credentials (401/403): a configuration fault, not an outage."""
    NOT_FOUND = "not_found"
    """The snapshot or stream path does not exist (404)."""
    HTTP_ERROR = "http_error"
    """Any other unsuccessful HTTP/RTSP status."""
    NOT_AN_IMAGE = "not_an_image"
    """The answer is not a JPEG (wrong content type, an HTML page, no MJPEG parts)."""
    DECODE_ERROR = "decode_error"
    """Looked like an image or a stream but could not be decoded."""
    NO_VIDEO = "no_video"
    """The stream has no video track."""
    DISCONNECTED = "disconnected"
    """The connection closed or the stream ended while reading."""
    INTERNAL = "internal"
    """gridwatch itself failed while sampling or judging this camera (a bug, a broken
    analysis process, a full spool): never a statement about the camera."""


class FaultData(TypedDict):
    """`data` of `health.fault`: the reading that raised it."""

    code: str
    value: float
    threshold: float


class RecoveredData(TypedDict):
    """`data` of `health.recovered`."""

    code: str


class ProbeFailedData(TypedDict):
    """`data` of `probe.failed` (the first failure of a run)."""

    code: str
    detail: str


class OfflineData(TypedDict):
    """`data` of `camera.offline` (after K failures in a row)."""

    code: str
    consecutive_failures: int
    last_good_at: str | None


class OnlineData(TypedDict):
    """`data` of `camera.online`."""

    was_offline_since: str | None


class MotionData(TypedDict):
    """`data` of `motion.start` / `motion.end`: boxes as [x1, y1, x2, y2] frame fractions."""

    area: float
    boxes: list[list[float]]
    zones: list[str]


class StatusState(TypedDict):
    """`state` of the retained `{prefix}/v1/status/{camera_id}` message."""

    status: str
    since: str | None
    faults: dict[str, dict[str, object]]
    last_failure: str | None
    consecutive_failures: int
