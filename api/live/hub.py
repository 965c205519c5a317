"""Live view: one upstream per camera, relayed to each viewer's WebRTC connection.

The first viewer of a camera opens its stream (`CameraTrack`); every viewer gets an
unbuffered `MediaRelay` proxy of it, so a slow viewer only misses frames and never holds
the others back. When the last viewer leaves, the upstream closes after `live_linger_s`
(0: at once). A viewer whose connection is not up within `live_connect_timeout_s` is
dropped; a camera whose stream fails ends every view of it. Decisions live in
`api.live.admission`; this module does the I/O, on the API's event loop only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay

from api.context import Clock
from api.live.admission import (
    Refusal,
    ViewerLimits,
    ViewerState,
    admit,
    upstream_expired,
    viewers_to_drop,
)
from api.live.upstream import CameraTrack
from config.settings import Settings
from ingest.sources.credentials import Credentials

log = logging.getLogger(__name__)
REAP_EVERY_S = 1.0

TrackOpener = Callable[[str, Credentials | None], CameraTrack]


class LiveRefused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.detail)
        self.refusal = refusal


@dataclass(eq=False)
class Viewer:
    viewer_id: str
    user_id: int
    camera_id: str
    pc: RTCPeerConnection
    joined_at: datetime
    connected: bool = False


@dataclass(eq=False)
class Upstream:
    camera_id: str
    district_path: str
    track: CameraTrack
    relay: MediaRelay
    opened_at: datetime
    viewers: dict[str, Viewer] = field(default_factory=dict)
    idle_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class UpstreamStatus:
    camera_id: str
    district_path: str
    viewers: int
    opened_at: datetime
    frames_decoded: int


class LiveHub:
    def __init__(self, settings: Settings, clock: Clock, opener: TrackOpener | None = None) -> None:
        self._settings = settings
        self._clock = clock
        self._limits = ViewerLimits(settings.live_max_viewers_per_camera, settings.live_max_viewers)
        self._opener = opener or self._open_track
        self._upstreams: dict[str, Upstream] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._reserved = 0  # viewers admitted whose connection is still being set up
        self._reaper: asyncio.Task[None] | None = None
        self.upstreams_opened = 0

    def _open_track(self, url: str, credentials: Credentials | None) -> CameraTrack:
        return CameraTrack(
            url,
            credentials,
            open_timeout_s=self._settings.live_open_timeout_s,
            read_timeout_s=self._settings.live_open_timeout_s,
        )

    # -- what is open -------------------------------------------------------------------

    def viewer_count(self) -> int:
        return sum(len(u.viewers) for u in self._upstreams.values())

    def status(self) -> list[UpstreamStatus]:
        return [
            UpstreamStatus(
                u.camera_id, u.district_path, len(u.viewers), u.opened_at, u.track.frames_decoded
            )
            for u in self._upstreams.values()
        ]

    def track_of(self, camera_id: str) -> CameraTrack | None:
        upstream = self._upstreams.get(camera_id)
        return upstream.track if upstream else None

    def owner_of(self, viewer_id: str) -> int | None:
        for upstream in self._upstreams.values():
            viewer = upstream.viewers.get(viewer_id)
            if viewer is not None:
                return viewer.user_id
        return None

    # -- joining and leaving ------------------------------------------------------------

    async def join(
        self,
        camera_id: str,
        district_path: str,
        url: str,
        credentials: Credentials | None,
        user_id: int,
        offer: RTCSessionDescription,
    ) -> tuple[str, RTCSessionDescription]:
        """Answer a viewer's offer with the camera's video; raises `LiveRefused` at a limit
        and `ProbeError` when the camera's stream cannot be opened."""
        self._start_reaper()
        async with self._locks[camera_id]:
            upstream = self._upstreams.get(camera_id)
            refusal = admit(
                self._limits,
                len(upstream.viewers) if upstream else 0,
                self.viewer_count() + self._reserved,
            )
            if refusal is not None:
                raise LiveRefused(refusal)
            self._reserved += 1
            try:
                if upstream is None:
                    upstream = await self._open(camera_id, district_path, url, credentials)
                return await self._connect(upstream, user_id, offer)
            finally:
                self._reserved -= 1

    async def _open(
        self, camera_id: str, district_path: str, url: str, credentials: Credentials | None
    ) -> Upstream:
        track = self._opener(url, credentials)
        await track.open()
        # Not idle yet: its first viewer is being connected (the reaper must wait for it).
        upstream = Upstream(camera_id, district_path, track, MediaRelay(), self._clock())
        self._upstreams[camera_id] = upstream
        self.upstreams_opened += 1
        log.info("live: opened the stream of camera %s (%s)", camera_id, track.description)
        return upstream

    async def _connect(
        self, upstream: Upstream, user_id: int, offer: RTCSessionDescription
    ) -> tuple[str, RTCSessionDescription]:
        ice = [RTCIceServer(url) for url in self._settings.live_ice_servers]
        pc = RTCPeerConnection(RTCConfiguration(iceServers=ice))
        viewer = Viewer(secrets.token_hex(8), user_id, upstream.camera_id, pc, self._clock())
        try:
            await pc.setRemoteDescription(offer)
            pc.addTrack(upstream.relay.subscribe(upstream.track, buffered=False))
            await pc.setLocalDescription(await pc.createAnswer())
        except BaseException:
            await pc.close()
            if not upstream.viewers:
                upstream.idle_since = self._clock()
            raise
        upstream.viewers[viewer.viewer_id] = viewer
        upstream.idle_since = None

        @pc.on("connectionstatechange")
        async def changed() -> None:
            if pc.connectionState == "connected":
                viewer.connected = True
            elif pc.connectionState in ("failed", "closed"):
                await self.leave(viewer.viewer_id)

        return viewer.viewer_id, pc.localDescription

    async def leave(self, viewer_id: str) -> bool:
        for upstream in list(self._upstreams.values()):
            viewer = upstream.viewers.pop(viewer_id, None)
            if viewer is None:
                continue
            await viewer.pc.close()
            if not upstream.viewers:
                upstream.idle_since = self._clock()
                await self.reap()
            return True
        return False

    # -- ending what is no longer watched -------------------------------------------------

    async def reap(self) -> None:
        """Drop viewers that never connected, and close failed or unwatched upstreams."""
        now = self._clock()
        for upstream in list(self._upstreams.values()):
            states = [
                ViewerState(v.viewer_id, v.joined_at, v.connected)
                for v in upstream.viewers.values()
            ]
            for viewer_id in viewers_to_drop(states, now, self._settings.live_connect_timeout_s):
                viewer = upstream.viewers.pop(viewer_id)
                await viewer.pc.close()
                if not upstream.viewers:
                    upstream.idle_since = now
            failed = upstream.track.failed is not None or upstream.track.readyState != "live"
            if failed or upstream_expired(upstream.idle_since, now, self._settings.live_linger_s):
                await self._close(upstream, "the stream failed" if failed else "nobody watches")

    async def _close(self, upstream: Upstream, why: str) -> None:
        if self._upstreams.get(upstream.camera_id) is not upstream:
            return
        del self._upstreams[upstream.camera_id]
        for viewer in list(upstream.viewers.values()):
            await viewer.pc.close()
        upstream.viewers.clear()
        upstream.track.stop()
        log.info("live: closed the stream of camera %s (%s)", upstream.camera_id, why)

    def _start_reaper(self) -> None:
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.create_task(self._reap_forever(), name="live reaper")

    async def _reap_forever(self) -> None:
        while True:
            await asyncio.sleep(REAP_EVERY_S)
            try:
                await self.reap()
            except Exception:
                log.exception("live: reaping failed")

    async def aclose(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        for upstream in list(self._upstreams.values()):
            await self._close(upstream, "the server stops")
            await upstream.track.wait_closed(self._settings.live_open_timeout_s)
