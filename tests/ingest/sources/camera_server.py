"""An in-process HTTP camera for the source tests: snapshots, auth, faults and MJPEG.

Digest authentication is checked here by hand (RFC 7616 with MD5 and qop=auth, as
Hikvision and Dahua cameras do it), because aiohttp's server has none.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
import cv2
import numpy as np
from aiohttp import web

USER = "admin"
PASSWORD = "S3cret:p@ss/word"
REALM = "IP Camera(C1234)"


def camera_jpeg(width: int = 1280, height: int = 720, level: int = 0, quality: int = 85) -> bytes:
    """A test picture: horizontal ramp with a bright square whose position depends on `level`."""
    ramp = np.linspace(0, 255, width, dtype=np.float32)[None, :].repeat(height, axis=0)
    image = np.stack([ramp * 0.5, ramp * 0.75, ramp], axis=2).astype(np.uint8)
    side = height // 4
    x = (level * side) % max(1, width - side)
    image[side : 2 * side, x : x + side] = (40, 200, 250)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return bytes(encoded)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - the Digest scheme is MD5


def _digest_fields(header: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in header.removeprefix("Digest ").split(","):
        key, _, value = part.strip().partition("=")
        fields[key.lower()] = value.strip().strip('"')
    return fields


@dataclass
class CameraState:
    """What the test camera saw, for assertions."""

    requests: Counter[str] = field(default_factory=Counter)
    client_ports: set[int] = field(default_factory=set)
    challenges: int = 0
    nonces: set[str] = field(default_factory=set)
    mjpeg_variant: str = "standard"
    mjpeg_frames: int = 5
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    all_sent: asyncio.Event = field(default_factory=asyncio.Event)
    body_bytes_sent: int = 0


class CameraApp:
    def __init__(self) -> None:
        self.state = CameraState()
        self.snapshot = camera_jpeg()
        self.app = web.Application()
        routes = [
            ("/snapshot.jpg", self.open_snapshot),
            ("/basic/snapshot.jpg", self.basic_snapshot),
            ("/digest/snapshot.jpg", self.digest_snapshot),
            ("/forbidden.jpg", self.forbidden),
            ("/error.jpg", self.server_error),
            ("/page.html", self.html_page),
            ("/octet.jpg", self.octet_snapshot),
            ("/not-a-jpeg.jpg", self.not_a_jpeg),
            ("/corrupt.jpg", self.corrupt_jpeg),
            ("/slow.jpg", self.slow),
            ("/mjpeg", self.mjpeg),
            ("/digest/mjpeg", self.digest_mjpeg),
        ]
        for path, handler in routes:
            self.app.router.add_get(path, handler)

    def _count(self, request: web.Request) -> None:
        self.state.requests[request.path] += 1
        peer = request.transport.get_extra_info("peername") if request.transport else None
        if peer is not None:
            self.state.client_ports.add(peer[1])

    async def open_snapshot(self, request: web.Request) -> web.Response:
        self._count(request)
        return web.Response(body=self.snapshot, content_type="image/jpeg")

    async def octet_snapshot(self, request: web.Request) -> web.Response:
        self._count(request)
        return web.Response(body=self.snapshot, content_type="application/octet-stream")

    async def basic_snapshot(self, request: web.Request) -> web.Response:
        self._count(request)
        header = request.headers.get("Authorization", "")
        try:
            auth = aiohttp.BasicAuth.decode(header) if header else None
        except ValueError:
            auth = None
        if auth is None or (auth.login, auth.password) != (USER, PASSWORD):
            self.state.challenges += 1
            raise web.HTTPUnauthorized(headers={"WWW-Authenticate": f'Basic realm="{REALM}"'})
        return web.Response(body=self.snapshot, content_type="image/jpeg")

    def _digest_ok(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Digest "):
            return False
        fields = _digest_fields(header)
        if fields.get("nonce") not in self.state.nonces or fields.get("username") != USER:
            return False
        ha1 = _md5(f"{USER}:{REALM}:{PASSWORD}")
        ha2 = _md5(f"{request.method}:{fields.get('uri', '')}")
        expected = _md5(
            f"{ha1}:{fields['nonce']}:{fields.get('nc', '')}:{fields.get('cnonce', '')}:"
            f"{fields.get('qop', '')}:{ha2}"
        )
        return secrets.compare_digest(expected, fields.get("response", ""))

    def _digest_challenge(self) -> web.HTTPUnauthorized:
        self.state.challenges += 1
        nonce = secrets.token_hex(16)
        self.state.nonces.add(nonce)
        challenge = f'Digest realm="{REALM}", qop="auth", nonce="{nonce}", algorithm=MD5'
        return web.HTTPUnauthorized(headers={"WWW-Authenticate": challenge})

    async def digest_snapshot(self, request: web.Request) -> web.Response:
        self._count(request)
        if not self._digest_ok(request):
            raise self._digest_challenge()
        return web.Response(body=self.snapshot, content_type="image/jpeg")

    async def forbidden(self, request: web.Request) -> web.Response:
        raise web.HTTPForbidden()

    async def server_error(self, request: web.Request) -> web.Response:
        raise web.HTTPServiceUnavailable()

    async def html_page(self, request: web.Request) -> web.Response:
        return web.Response(text="<html><body>login</body></html>", content_type="text/html")

    async def not_a_jpeg(self, request: web.Request) -> web.Response:
        return web.Response(body=b"GIF89a" + bytes(100), content_type="image/jpeg")

    async def corrupt_jpeg(self, request: web.Request) -> web.Response:
        body = b"\xff\xd8\xff\xdb" + secrets.token_bytes(2000)
        return web.Response(body=body, content_type="image/jpeg")

    async def slow(self, request: web.Request) -> web.Response:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def digest_mjpeg(self, request: web.Request) -> web.StreamResponse:
        if not self._digest_ok(request):
            raise self._digest_challenge()
        return await self.mjpeg(request)

    async def mjpeg(self, request: web.Request) -> web.StreamResponse:
        """A finite MJPEG stream; `variant` picks how its multipart framing is written."""
        self._count(request)
        variant = request.query.get("variant", self.state.mjpeg_variant)
        frames = int(request.query.get("frames", self.state.mjpeg_frames))
        declared, delimiter, newline, with_length = {
            "standard": ("frame", b"--frame", b"\r\n", True),
            "no-length": ("frame", b"--frame", b"\r\n", False),
            "dashed-declared": ("--myboundary", b"--myboundary", b"\r\n", True),
            "lf-only": ('"quoted"', b"--quoted", b"\n", False),
            "undeclared": ("", b"--whatever", b"\r\n", True),
            "wrong-length": ("frame", b"--frame", b"\r\n", "wrong"),
        }[variant]
        response = web.StreamResponse()
        content_type = "multipart/x-mixed-replace"
        if declared:
            content_type += f";boundary={declared}"
        response.headers["Content-Type"] = content_type
        await response.prepare(request)
        for index in range(frames):
            jpeg = camera_jpeg(640, 360, level=index)
            headers = b"Content-Type: image/jpeg" + newline
            if with_length is True:
                headers += b"Content-Length: %d" % len(jpeg) + newline
            elif with_length == "wrong":
                headers += b"Content-Length: %d" % (len(jpeg) - 7) + newline
            part = delimiter + newline + headers + newline + jpeg + newline
            # Split each part across writes to exercise the incremental parser.
            middle = len(part) // 2
            await response.write(part[:middle])
            await response.write(part[middle:])
            self.state.body_bytes_sent += len(part)
            if index == 0 and request.query.get("gate"):
                await self.state.gate.wait()
        if request.query.get("end") == "close":
            await response.write(delimiter + b"--" + newline)
        elif request.query.get("end") == "hang":
            await asyncio.sleep(3600)
        await response.write_eof()
        self.state.all_sent.set()
        return response


@asynccontextmanager
async def serve(app: web.Application, ssl_context: object | None = None) -> AsyncIterator[str]:
    """Run `app` on 127.0.0.1 on a free port; yields its base URL."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)  # type: ignore[arg-type]
    await site.start()
    port = runner.addresses[0][1]
    scheme = "https" if ssl_context is not None else "http"
    try:
        yield f"{scheme}://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
