"""The latest picture of a camera, fetched by the server with the camera's credentials.

Credentials are decrypted here, handed to the ingest snapshot source, and never leave
the server. Each camera may be fetched once per `snapshot_min_interval_s` per API
process: a browser wall of many viewers must not hammer a small camera.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from api.context import Clock
from ingest.sources.credentials import Credentials
from ingest.sources.http_client import HttpClient, HttpLimits, HttpTimeouts
from ingest.sources.snapshot import HttpSnapshotSource


@dataclass(slots=True)
class SnapshotLimiter:
    """At most one fetch per camera per `min_interval_s` (decision only; no I/O)."""

    min_interval_s: float
    last: dict[str, datetime] = field(default_factory=dict)

    def admit(self, camera_id: str, now: datetime) -> float:
        """0 when the fetch may go ahead (and is counted), else seconds to wait."""
        previous = self.last.get(camera_id)
        if previous is not None:
            waited = (now - previous).total_seconds()
            if waited < self.min_interval_s:
                return self.min_interval_s - waited
        self.last[camera_id] = now
        return 0.0


class SnapshotFetcher:
    """One HTTP connection pool for the process, made on first use inside its event loop."""

    def __init__(self, clock: Clock, timeouts: HttpTimeouts) -> None:
        self._clock = clock
        self._timeouts = timeouts
        self._client: HttpClient | None = None

    async def fetch(self, url: str, credentials: Credentials | None) -> bytes:
        if self._client is None:
            self._client = HttpClient(HttpLimits(max_connections=64, per_host=2))
        source = HttpSnapshotSource(
            self._client, url, clock=self._clock, credentials=credentials, timeouts=self._timeouts
        )
        return await source.fetch_jpeg()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
