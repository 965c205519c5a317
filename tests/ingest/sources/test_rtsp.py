"""RTSP source against a real RTSP server (GStreamer's, started as a subprocess)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from bus.vocabulary import ProbeFailure
from ingest.sources import Credentials, ProbeError, RtspSource, RtspTimeouts
from tests.ingest.sources.fake_clock import FakeClock
from tests.ingest.sources.rtsp_fixture import RtspTestServer
from tests.ingest.sources.servers import closed_port, tcp_server

pytestmark = pytest.mark.anyio
StartServer = Callable[..., RtspTestServer]
USER, PASSWORD = "operator", "Pa:ss@w0rd/5"
QUICK = RtspTimeouts(open_s=2.0, read_s=1.0, keyframe_s=2.0)


async def _failure(source: RtspSource) -> ProbeError:
    with pytest.raises(ProbeError) as raised:
        await source.sample()
    return raised.value


async def _error_after_frames(source: RtspSource) -> ProbeError:
    """The error that ends a stream, after any frames that were already on their way."""
    for _ in range(20):
        try:
            await source.recv()
        except ProbeError as error:
            return error
    raise AssertionError("the stream did not fail")


async def test_key_frame_sample_is_fast_and_reads_full_range_luma(
    rtsp_server: StartServer, clock: FakeClock
) -> None:
    server = rtsp_server("--pattern", "smpte", "--width", "1280", "--height", "720")
    source = RtspSource(server.url, clock=clock, timeouts=QUICK)
    started = time.monotonic()
    sample = await source.sample()
    assert time.monotonic() - started < 1.5
    assert sample.source_size == (1280, 720)
    assert sample.gray.shape == (180, 320)
    assert sample.thumb is not None
    assert sample.thumb.shape == (45, 80, 3)
    assert sample.jpeg is None
    # SMPTE bars in video range: white (Y 235) and the black of the bottom row (Y 16)
    # must read 255 and 0 once expanded to full range, as in a JPEG snapshot.
    assert sample.gray[20:80, 5:30].mean() > 250
    assert sample.gray[-4:, 146:154].mean() < 4
    second = await source.sample()
    assert second.captured_at > sample.captured_at


@pytest.mark.parametrize("scheme", ["digest", "basic"])
async def test_credentials_work_and_wrong_ones_are_auth_at_once(
    rtsp_server: StartServer, clock: FakeClock, scheme: str
) -> None:
    server = rtsp_server("--auth", scheme, user=USER, password=PASSWORD)
    good = RtspSource(
        server.url, clock=clock, credentials=Credentials.of(USER, PASSWORD), timeouts=QUICK
    )
    assert (await good.sample()).source_size == (640, 360)
    wrong = RtspSource(
        server.url, clock=clock, credentials=Credentials.of(USER, "Hunter2"), timeouts=QUICK
    )
    started = time.monotonic()
    error = await _failure(wrong)
    assert error.code is ProbeFailure.AUTH
    assert time.monotonic() - started < 1.0
    assert "Hunter2" not in str(error)
    assert "Hunter2" not in repr(wrong)
    anonymous = RtspSource(server.url, clock=clock, timeouts=QUICK)
    assert (await _failure(anonymous)).code is ProbeFailure.AUTH


async def test_killed_server_mid_stream_is_disconnected(
    rtsp_server: StartServer, clock: FakeClock
) -> None:
    server = rtsp_server()
    source = RtspSource(server.url, clock=clock, timeouts=QUICK)
    first = await source.recv()
    assert first.source_size == (640, 360)
    server.kill()
    assert (await _error_after_frames(source)).code is ProbeFailure.DISCONNECTED


async def test_frozen_server_times_out_within_the_read_timeout(
    rtsp_server: StartServer, clock: FakeClock
) -> None:
    server = rtsp_server()
    source = RtspSource(server.url, clock=clock, timeouts=QUICK)
    await source.recv()
    server.freeze()  # SIGSTOP: the TCP connection stays open, no data flows
    frozen_at = time.monotonic()
    error = await _error_after_frames(source)
    waited = time.monotonic() - frozen_at
    assert error.code is ProbeFailure.TIMEOUT
    assert 0.5 * QUICK.read_s < waited < 1.3 * QUICK.read_s


async def test_stream_without_video_and_unknown_path(
    rtsp_server: StartServer, clock: FakeClock
) -> None:
    server = rtsp_server("--pattern", "audio-only")
    audio_only = RtspSource(server.url, clock=clock, timeouts=QUICK)
    assert (await _failure(audio_only)).code is ProbeFailure.NO_VIDEO
    wrong_path = RtspSource(server.url + "-nope", clock=clock, timeouts=QUICK)
    assert (await _failure(wrong_path)).code is ProbeFailure.NOT_FOUND


async def test_a_camera_with_a_long_gop_times_out_waiting_for_a_key_frame(
    rtsp_server: StartServer, clock: FakeClock
) -> None:
    # Key frames 40 s apart, and the server's encoder started before any client.
    server = rtsp_server("--key-int", "1000", "--camera-gop")
    late = RtspSource(server.url, clock=clock, timeouts=RtspTimeouts(2.0, 1.0, keyframe_s=0.5))
    started = time.monotonic()
    error = await _failure(late)
    assert error.code is ProbeFailure.TIMEOUT
    assert "key frame" in error.detail
    assert time.monotonic() - started < 1.5


async def test_kept_open_stream_delivers_frames_and_closes_its_thread(
    rtsp_server: StartServer, clock: FakeClock
) -> None:
    server = rtsp_server()
    source = RtspSource(server.url, clock=clock, timeouts=QUICK, keyframes_only=False)
    samples = [await source.recv() for _ in range(5)]
    assert [s.captured_at for s in samples] == sorted(s.captured_at for s in samples)
    assert (await source.sample()).source_size == (640, 360)  # served from the open stream
    thread = source._thread
    assert thread is not None
    await source.aclose()
    assert not thread.is_alive()


async def test_network_failures_before_any_rtsp(clock: FakeClock) -> None:
    refused = RtspSource(f"rtsp://127.0.0.1:{closed_port()}/s", clock=clock, timeouts=QUICK)
    assert (await _failure(refused)).code is ProbeFailure.REFUSED
    unknown = RtspSource("rtsp://nvr-3.invalid/s", clock=clock, timeouts=QUICK)
    assert (await _failure(unknown)).code is ProbeFailure.DNS
    async with tcp_server("silent") as port:
        silent = RtspSource(
            f"rtsp://127.0.0.1:{port}/s", clock=clock, timeouts=RtspTimeouts(open_s=0.5)
        )
        started = time.monotonic()
        assert (await _failure(silent)).code is ProbeFailure.TIMEOUT
        assert time.monotonic() - started < 1.5
