"""The camera simulator's HTTP server: every inventory camera on one port, one process.

`GET /cam/{id}/snapshot.jpg` and `GET /cam/{id}/mjpeg` per camera, with scripted
faults; `/control/...` to script faults at run time and read counters (control.py).
Built on aiohttp's low-level server (no router, no middleware): measured well
above the 850 snapshots/s that 50,000 cameras probed once a minute need.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from config.clock import Seconds
from ingest.simulator import control
from ingest.simulator.catalog import SimCamera, load_cameras, scene_slot
from ingest.simulator.faultbook import ActiveFaults, FaultBook
from ingest.simulator.faults import FaultKind, FaultRule, OfflineMode
from ingest.simulator.httpauth import AuthScheme, NonceSigner, authorized, challenges
from ingest.simulator.pool import FramePool, PoolConfig, build_pool
from ingest.simulator.renderer import BackgroundRenderer
from ingest.simulator.stats import Outcome, ProberLog, ServeStats
from ingest.sources.http_client import worker_of

BOUNDARY = "gridwatchframe"
_SNAPSHOT = "snapshot.jpg"
_MJPEG = "mjpeg"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    pool: PoolConfig = field(default_factory=PoolConfig)
    mjpeg_fps: float = 2.0
    auth: AuthScheme = AuthScheme.BASIC
    hang_s: float = 120.0  # how long an `offline` camera in `hang` mode holds a request

    def __post_init__(self) -> None:
        if not 0 < self.mjpeg_fps <= 30:
            raise ValueError("mjpeg_fps must be within (0, 30]")


@dataclass(frozen=True, slots=True)
class _Slot:
    camera: SimCamera
    scene: int
    phase: int


def _part_head(length: int) -> bytes:
    return f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {length}\r\n\r\n".encode()


def _reset(request: web.BaseRequest, mode: OfflineMode) -> None:
    transport = request.transport
    if transport is None:
        return
    if mode is OfflineMode.RESET:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # Linger 0: close sends RST, as a dead camera's NAT or a crashed stack does.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()


class CameraSimulator:
    """Serves `cameras` from `pool`; `clock` returns seconds (Unix time) and drives everything."""

    def __init__(
        self,
        cameras: dict[str, SimCamera],
        pool: FramePool,
        *,
        clock: Seconds,
        config: SimulatorConfig | None = None,
        faults: list[FaultRule] | None = None,
    ) -> None:
        self.config = config or SimulatorConfig()
        self.pool = pool
        self.clock = clock
        self.started_at = clock()
        frames = pool.config.frames_per_scene
        self._slots = {
            cid: _Slot(cam, *scene_slot(cid, pool.scene_count, frames))
            for cid, cam in cameras.items()
        }
        self.faults = FaultBook()
        self.stats = ServeStats()
        self.probers = ProberLog()
        self.renderer = BackgroundRenderer(pool)
        self._signer = NonceSigner()
        self._stopping = asyncio.Event()
        self._runner: web.ServerRunner | None = None
        self._socket: socket.socket | None = None
        if faults:
            self.add_faults(faults)

    @property
    def camera_count(self) -> int:
        return len(self._slots)

    def elapsed(self) -> float:
        return self.clock() - self.started_at

    def add_faults(self, rules: list[FaultRule]) -> list[int]:
        ids = self.faults.add(rules)
        self.renderer.warm(rules)
        return ids

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 8780) -> None:
        server = web.Server(
            self._handle, handler_cancellation=True, access_log=None, keepalive_timeout=75
        )
        self._runner = web.ServerRunner(server, handle_signals=False, shutdown_timeout=2.0)
        await self._runner.setup()
        self._socket = socket.create_server((host, port), backlog=2048, reuse_port=False)
        await web.SockSite(self._runner, self._socket).start()
        log.info("simulator: %d cameras on %s", self.camera_count, self.url)

    @property
    def port(self) -> int:
        if self._socket is None:
            raise RuntimeError("simulator not started")
        return int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        host = self._socket.getsockname()[0] if self._socket else "127.0.0.1"
        return f"http://{host}:{self.port}"

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.renderer.close()

    # -- requests --------------------------------------------------------------------------

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        path = request.path
        if path.startswith("/cam/"):
            camera_id, _, what = path[5:].partition("/")
            slot = self._slots.get(camera_id)
            if slot is None or what not in (_SNAPSHOT, _MJPEG):
                self.stats.record("unknown", 404)
                return web.Response(status=404, text="no such camera\n")
            return await self._camera(request, slot, what)
        if path.startswith("/control/") or path == "/":
            self.stats.control_requests += 1
            return await control.handle(request, self)
        self.stats.record("unknown", 404)
        return web.Response(status=404, text="not found\n")

    async def _camera(self, request: web.BaseRequest, slot: _Slot, what: str) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            self.stats.record(what, 405)
            return web.Response(status=405, headers={"Allow": "GET, HEAD"})
        camera = slot.camera
        now = self.clock()
        self.probers.note(camera.camera_id, worker_of(request.headers.get("User-Agent", "")), now)
        active = self.faults.for_camera(
            camera.camera_id, camera.district_code, now - self.started_at
        )
        if active.offline is not None:
            return await self._offline(request, active.offline.mode, what)
        if active.delay_s > 0:
            await asyncio.sleep(active.delay_s)
            now = self.clock()
        ok = authorized(
            request.headers.get("Authorization"),
            camera,
            method=request.method,
            path=request.raw_path,
            scheme=self.config.auth,
            signer=self._signer,
            now=now,
        )
        if not ok or active.refuse_auth:
            self.stats.record(what, 401)
            headers = [
                ("WWW-Authenticate", v) for v in challenges(self.config.auth, self._signer, now)
            ]
            return web.Response(status=401, headers=headers, text="unauthorized\n")
        if active.http_error:
            self.stats.record(what, 500)
            return web.Response(status=500, text="internal error\n")
        if what == _MJPEG:
            return await self._mjpeg(request, slot)
        jpeg = await self._picture(slot, active, now)
        self.stats.record(what, 200, len(jpeg))
        return web.Response(
            body=jpeg, content_type="image/jpeg", headers={"Cache-Control": "no-store"}
        )

    async def _offline(
        self, request: web.BaseRequest, mode: OfflineMode, what: str
    ) -> web.Response:
        if mode is OfflineMode.HANG:
            self.stats.record(what, Outcome.HANG)
            await asyncio.sleep(self.config.hang_s)
            mode = OfflineMode.CLOSE
        else:
            self.stats.record(what, Outcome.RESET if mode is OfflineMode.RESET else Outcome.CLOSED)
        _reset(request, mode)
        # Nothing reaches the client: the transport is gone before aiohttp writes this.
        return web.Response(status=503)

    async def _picture(self, slot: _Slot, active: ActiveFaults, now: float) -> bytes:
        rule = active.image
        shown_at = now
        if rule is not None and rule.kind is FaultKind.FROZEN:
            shown_at = self.started_at + rule.start_s
            rule = None
        index = self.pool.frame_index(slot.phase, shown_at)
        body = await self.renderer.body(slot.scene, index, rule)
        return self.pool.assemble(body, now)

    async def _mjpeg(self, request: web.BaseRequest, slot: _Slot) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={
                "Content-Type": f"multipart/x-mixed-replace; boundary={BOUNDARY}",
                "Cache-Control": "no-store",
            }
        )
        await response.prepare(request)
        self.stats.mjpeg_open += 1
        sent = 0
        camera = slot.camera
        period = 1.0 / self.config.mjpeg_fps
        try:
            while not self._stopping.is_set():
                now = self.clock()
                active = self.faults.for_camera(
                    camera.camera_id, camera.district_code, now - self.started_at
                )
                if active.offline is not None:
                    _reset(request, active.offline.mode)
                    break
                if active.refuse_auth or active.http_error:
                    break
                jpeg = await self._picture(slot, active, now)
                await response.write(_part_head(len(jpeg)) + jpeg + b"\r\n")
                sent += len(jpeg)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=period + active.delay_s)
        except ConnectionError:
            pass  # the viewer went away
        finally:
            self.stats.mjpeg_open -= 1
            self.stats.record(_MJPEG, 200, sent)
        return response


def build_simulator(
    inventory_dir: Path,
    *,
    clips_dir: Path | None,
    clock: Seconds,
    config: SimulatorConfig | None = None,
    faults: list[FaultRule] | None = None,
) -> CameraSimulator:
    """Load an inventory and the scenes, encode the pool: ready to `start()`."""
    config = config or SimulatorConfig()
    cameras = load_cameras(inventory_dir)
    pool = build_pool(clips_dir, config.pool)
    return CameraSimulator(cameras, pool, clock=clock, config=config, faults=faults)
