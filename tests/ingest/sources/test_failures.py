"""ProbeFailure classification, each code from a real failure where one can be made here."""

from __future__ import annotations

import errno
import socket
import ssl
from pathlib import Path

import aiohttp
import av
import pytest

from bus.vocabulary import ProbeFailure
from ingest.sources.failures import (
    ProbeError,
    classify,
    describe,
    failure_for_status,
    probe_error,
)
from tests.ingest.sources.camera_server import CameraApp, serve
from tests.ingest.sources.servers import closed_port, tcp_server
from tests.ingest.sources.tls import self_signed_server_context

pytestmark = pytest.mark.anyio
FAST = aiohttp.ClientTimeout(total=2, sock_read=0.3)


async def _aiohttp_error(url: str, *, raise_for_status: bool = False) -> BaseException:
    async with aiohttp.ClientSession(timeout=FAST, raise_for_status=raise_for_status) as session:
        try:
            async with session.get(url) as response:
                await response.read()
        except Exception as exc:
            return exc
    raise AssertionError(f"GET {url} did not fail")


def _av_error(url: str) -> BaseException:
    try:
        av.open(url, options={"rtsp_transport": "tcp"}, timeout=(1, 1)).close()
    except Exception as exc:
        return exc
    raise AssertionError(f"opening {url} did not fail")


async def test_refused_from_a_closed_port() -> None:
    port = closed_port()
    assert classify(await _aiohttp_error(f"http://127.0.0.1:{port}/")) is ProbeFailure.REFUSED
    assert classify(_av_error(f"rtsp://127.0.0.1:{port}/x")) is ProbeFailure.REFUSED
    with pytest.raises(ConnectionRefusedError) as raised:
        socket.create_connection(("127.0.0.1", port), timeout=1)
    assert classify(raised.value) is ProbeFailure.REFUSED


async def test_dns_from_an_unresolvable_host() -> None:
    assert classify(await _aiohttp_error("http://camera.invalid/")) is ProbeFailure.DNS
    with pytest.raises(socket.gaierror) as raised:
        socket.getaddrinfo("camera.invalid", 80)
    assert classify(raised.value) is ProbeFailure.DNS


async def test_timeout_from_a_server_that_never_answers() -> None:
    async with tcp_server("silent") as port:
        error = await _aiohttp_error(f"http://127.0.0.1:{port}/")
    assert isinstance(error, TimeoutError)
    assert classify(error) is ProbeFailure.TIMEOUT


async def test_tls_from_a_self_signed_server(tmp_path: Path) -> None:
    async with serve(CameraApp().app, self_signed_server_context(tmp_path)) as base_url:
        error = await _aiohttp_error(f"{base_url}/snapshot.jpg")
    assert isinstance(error, aiohttp.ClientConnectorCertificateError)
    assert classify(error) is ProbeFailure.TLS
    assert classify(ssl.SSLError("handshake")) is ProbeFailure.TLS


async def test_status_codes_from_a_real_server() -> None:
    async with serve(CameraApp().app) as base_url:
        cases = {
            "/basic/snapshot.jpg": ProbeFailure.AUTH,
            "/forbidden.jpg": ProbeFailure.AUTH,
            "/nothing-here.jpg": ProbeFailure.NOT_FOUND,
            "/error.jpg": ProbeFailure.HTTP_ERROR,
        }
        for path, expected in cases.items():
            error = await _aiohttp_error(base_url + path, raise_for_status=True)
            assert isinstance(error, aiohttp.ClientResponseError)
            assert classify(error) is expected, path


async def test_disconnected_from_a_server_that_hangs_up() -> None:
    async with tcp_server("close") as port:
        error = await _aiohttp_error(f"http://127.0.0.1:{port}/")
    assert isinstance(error, aiohttp.ServerDisconnectedError)
    assert classify(error) is ProbeFailure.DISCONNECTED


def test_decode_error_from_a_file_that_is_no_video(tmp_path: Path) -> None:
    garbage = tmp_path / "clip.mp4"
    garbage.write_bytes(b"\x00\x01 not a video " * 200)
    assert classify(_av_error(str(garbage))) is ProbeFailure.DECODE_ERROR


def test_other_ffmpeg_errors_are_decode_errors() -> None:
    # FFmpeg's rarer error codes cannot be provoked on purpose: built here.
    assert classify(av.error.BugError(-1, "internal bug")) is ProbeFailure.DECODE_ERROR
    assert classify(av.error.PatchWelcomeError(-1, "unsupported")) is ProbeFailure.DECODE_ERROR


def test_unreachable_from_the_errno_it_carries() -> None:
    # No route to a host cannot be produced on loopback: the errno is built here.
    for code in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        assert classify(OSError(code, "No route to host")) is ProbeFailure.UNREACHABLE
    wrapped = aiohttp.ClientConnectorError(
        aiohttp.client_reqrep.ConnectionKey("10.0.0.9", 80, False, True, None, None, None),
        OSError(errno.EHOSTUNREACH, "No route to host"),
    )
    assert classify(wrapped) is ProbeFailure.UNREACHABLE


def test_status_table() -> None:
    assert failure_for_status(200) is None
    assert failure_for_status(206) is None
    assert failure_for_status(401) is ProbeFailure.AUTH
    assert failure_for_status(403) is ProbeFailure.AUTH
    assert failure_for_status(404) is ProbeFailure.NOT_FOUND
    assert failure_for_status(302) is ProbeFailure.HTTP_ERROR
    assert failure_for_status(500) is ProbeFailure.HTTP_ERROR


def test_probe_errors_keep_their_code_and_bugs_stay_bugs() -> None:
    assert classify(ProbeError(ProbeFailure.NO_VIDEO, "audio only")) is ProbeFailure.NO_VIDEO
    assert classify(ValueError("a bug")) is None
    assert classify(KeyError("a bug")) is None
    assert probe_error(ValueError("a bug")) is None


def test_codes_are_stable_strings() -> None:
    assert {code.value for code in ProbeFailure} == {
        "dns", "refused", "unreachable", "timeout", "tls", "auth", "not_found",
        "http_error", "not_an_image", "decode_error", "no_video", "disconnected", "internal",
    }  # fmt: skip


def test_details_never_carry_credentials() -> None:
    secret_url = "rtsp://admin:Hunter2@10.1.2.3:554/Streaming/Channels/101"
    library_error = OSError(errno.ECONNREFUSED, f"Connection refused: '{secret_url}'")
    error = probe_error(library_error, (secret_url,))
    assert error is not None
    assert error.code is ProbeFailure.REFUSED
    assert "Hunter2" not in str(error)
    assert "Hunter2" not in describe(OSError(f"failed {secret_url}"))
    assert "Hunter2" not in str(ProbeError(ProbeFailure.AUTH, f"at {secret_url}"))
    assert "Hunter2" not in ProbeError(ProbeFailure.AUTH, "url?password=Hunter2").detail
