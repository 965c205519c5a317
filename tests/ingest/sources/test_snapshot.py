"""HTTP snapshot source against the in-process test camera and misbehaving servers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bus.vocabulary import ProbeFailure
from ingest.sources import (
    Credentials,
    HttpClient,
    HttpSnapshotSource,
    HttpTimeouts,
    ProbeError,
)
from tests.ingest.sources.camera_server import PASSWORD, USER, CameraApp, serve
from tests.ingest.sources.fake_clock import START, FakeClock
from tests.ingest.sources.servers import closed_port, tcp_server
from tests.ingest.sources.tls import self_signed_server_context

pytestmark = pytest.mark.anyio
Camera = tuple[CameraApp, str]
GOOD = Credentials.of(USER, PASSWORD)
WRONG = Credentials.of(USER, "wrong-password")
QUICK = HttpTimeouts(connect_s=1, read_s=0.3, total_s=2)


async def _failure(source: HttpSnapshotSource) -> ProbeError:
    with pytest.raises(ProbeError) as raised:
        await source.sample()
    return raised.value


async def test_open_snapshot_gives_reduced_gray_thumb_and_the_jpeg(
    camera: Camera, http_client: HttpClient, clock: FakeClock
) -> None:
    app, base = camera
    source = HttpSnapshotSource(http_client, f"{base}/snapshot.jpg", clock=clock)
    sample = await source.sample()
    assert sample.source_size == (1280, 720)
    assert sample.gray.shape == (180, 320)
    assert sample.thumb is not None
    assert sample.thumb.shape == (45, 80, 3)
    assert sample.jpeg == app.snapshot
    assert sample.captured_at > START
    # The ramp runs dark to bright from left to right; the bright square sits left.
    assert sample.gray[:, -10:].mean() > sample.gray[:, 100:110].mean() + 50
    with pytest.raises(ValueError, match="read-only"):
        sample.gray[0, 0] = 1


async def test_digest_auth_authenticates_pre_emptively_after_the_first_challenge(
    camera: Camera, http_client: HttpClient, clock: FakeClock
) -> None:
    app, base = camera
    source = HttpSnapshotSource(
        http_client, f"{base}/digest/snapshot.jpg", clock=clock, credentials=GOOD
    )
    for _ in range(3):
        assert (await source.sample()).jpeg == app.snapshot
    assert app.state.challenges == 1
    assert app.state.requests["/digest/snapshot.jpg"] == 4


async def test_basic_auth_is_sent_only_after_the_camera_asks_for_it(
    camera: Camera, http_client: HttpClient, clock: FakeClock
) -> None:
    app, base = camera
    source = HttpSnapshotSource(
        http_client, f"{base}/basic/snapshot.jpg", clock=clock, credentials=GOOD
    )
    await source.sample()
    await source.sample()
    assert app.state.challenges == 1
    assert app.state.requests["/basic/snapshot.jpg"] == 3


@pytest.mark.parametrize("path", ["/digest/snapshot.jpg", "/basic/snapshot.jpg"])
async def test_wrong_or_missing_credentials_are_auth_and_never_leak(
    camera: Camera, http_client: HttpClient, clock: FakeClock, path: str
) -> None:
    _, base = camera
    wrong = HttpSnapshotSource(http_client, base + path, clock=clock, credentials=WRONG)
    error = await _failure(wrong)
    assert error.code is ProbeFailure.AUTH
    assert "wrong-password" not in str(error)
    assert "wrong-password" not in repr(wrong)
    missing = HttpSnapshotSource(http_client, base + path, clock=clock)
    assert (await _failure(missing)).code is ProbeFailure.AUTH


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/nothing-here.jpg", ProbeFailure.NOT_FOUND),
        ("/forbidden.jpg", ProbeFailure.AUTH),
        ("/error.jpg", ProbeFailure.HTTP_ERROR),
        ("/page.html", ProbeFailure.NOT_AN_IMAGE),
        ("/not-a-jpeg.jpg", ProbeFailure.NOT_AN_IMAGE),
        ("/corrupt.jpg", ProbeFailure.DECODE_ERROR),
    ],
)
async def test_bad_answers_have_their_codes(
    camera: Camera, http_client: HttpClient, clock: FakeClock, path: str, code: ProbeFailure
) -> None:
    _, base = camera
    error = await _failure(HttpSnapshotSource(http_client, base + path, clock=clock))
    assert error.code is code, error


async def test_octet_stream_jpeg_is_accepted(
    camera: Camera, http_client: HttpClient, clock: FakeClock
) -> None:
    _, base = camera
    sample = await HttpSnapshotSource(http_client, f"{base}/octet.jpg", clock=clock).sample()
    assert sample.source_size == (1280, 720)


async def test_a_camera_that_stops_answering_times_out_on_time(
    camera: Camera, http_client: HttpClient, clock: FakeClock
) -> None:
    _, base = camera
    source = HttpSnapshotSource(http_client, f"{base}/slow.jpg", clock=clock, timeouts=QUICK)
    started = time.monotonic()
    error = await _failure(source)
    assert error.code is ProbeFailure.TIMEOUT
    assert time.monotonic() - started < 1.5


async def test_silent_server_refused_port_and_unknown_host(
    http_client: HttpClient, clock: FakeClock
) -> None:
    async with tcp_server("silent") as port:
        silent = HttpSnapshotSource(
            http_client, f"http://127.0.0.1:{port}/snap.jpg", clock=clock, timeouts=QUICK
        )
        assert (await _failure(silent)).code is ProbeFailure.TIMEOUT
    refused = HttpSnapshotSource(http_client, f"http://127.0.0.1:{closed_port()}/", clock=clock)
    assert (await _failure(refused)).code is ProbeFailure.REFUSED
    unknown = HttpSnapshotSource(http_client, "http://camera-17.invalid/snap.jpg", clock=clock)
    error = await _failure(unknown)
    assert error.code is ProbeFailure.DNS
    assert "camera-17.invalid" in error.detail


async def test_self_signed_camera_fails_tls_unless_verification_is_off(
    http_client: HttpClient, clock: FakeClock, tmp_path: Path
) -> None:
    async with serve(CameraApp().app, self_signed_server_context(tmp_path)) as base:
        strict = HttpSnapshotSource(http_client, f"{base}/snapshot.jpg", clock=clock)
        assert (await _failure(strict)).code is ProbeFailure.TLS
        lax = HttpSnapshotSource(http_client, f"{base}/snapshot.jpg", clock=clock, verify_tls=False)
        assert (await lax.sample()).source_size == (1280, 720)


async def test_oversized_snapshot_is_refused(
    camera: Camera, http_client: HttpClient, clock: FakeClock
) -> None:
    _, base = camera
    source = HttpSnapshotSource(http_client, f"{base}/snapshot.jpg", clock=clock, max_bytes=1000)
    assert (await _failure(source)).code is ProbeFailure.NOT_AN_IMAGE


async def test_urls_with_credentials_or_wrong_scheme_are_refused_without_echoing_them(
    http_client: HttpClient, clock: FakeClock
) -> None:
    with pytest.raises(ValueError, match="carries credentials") as raised:
        HttpSnapshotSource(http_client, "http://admin:Hunter2@10.0.0.1/snap.jpg", clock=clock)
    assert "Hunter2" not in str(raised.value)
    with pytest.raises(ValueError, match="must start with"):
        HttpSnapshotSource(http_client, "rtsp://10.0.0.1/snap.jpg", clock=clock)


async def test_keep_alive_reuses_one_connection(
    camera: Camera, http_client: HttpClient, clock: FakeClock
) -> None:
    app, base = camera
    source = HttpSnapshotSource(http_client, f"{base}/snapshot.jpg", clock=clock)
    for _ in range(5):
        await source.sample()
    assert app.state.requests["/snapshot.jpg"] == 5
    assert len(app.state.client_ports) == 1
