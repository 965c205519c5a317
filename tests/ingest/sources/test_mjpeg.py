"""MJPEG source against the test camera's multipart streams."""

from __future__ import annotations

import asyncio
import time

import pytest

from bus.vocabulary import ProbeFailure
from ingest.sources import HttpClient, HttpTimeouts, MjpegSource, ProbeError
from ingest.sources.credentials import Credentials
from tests.ingest.sources.camera_server import PASSWORD, USER, CameraApp, camera_jpeg
from tests.ingest.sources.fake_clock import FakeClock

pytestmark = pytest.mark.anyio
Camera = tuple[CameraApp, str]


@pytest.mark.parametrize(
    "variant",
    ["standard", "no-length", "dashed-declared", "lf-only", "undeclared", "wrong-length"],
)
async def test_every_frame_of_each_boundary_variant_arrives(
    camera: Camera, http_client: HttpClient, clock: FakeClock, variant: str
) -> None:
    _, base = camera
    url = f"{base}/mjpeg?variant={variant}&frames=4"
    source = MjpegSource(http_client, url, clock=clock, max_pending=10)
    samples = [await source.recv() for _ in range(4)]
    with pytest.raises(ProbeError) as ended:
        await source.recv()
    assert ended.value.code is ProbeFailure.DISCONNECTED
    assert len(samples) == 4
    assert all(sample.source_size == (640, 360) for sample in samples)
    assert all(sample.jpeg is not None and sample.jpeg.endswith(b"\xff\xd9") for sample in samples)
    # The bright square moves one step per frame: consecutive frames differ.
    assert [s.captured_at for s in samples] == sorted(s.captured_at for s in samples)
    assert abs(samples[0].gray.astype(int) - samples[1].gray.astype(int)).max() > 100
    assert not source.is_open


async def test_a_slow_consumer_gets_the_newest_frames_not_a_backlog(
    camera: Camera, http_client: HttpClient, clock: FakeClock
) -> None:
    app, base = camera
    source = MjpegSource(http_client, f"{base}/mjpeg?frames=6&gate=1", clock=clock, max_pending=2)
    first = await source.recv()
    assert first.jpeg == camera_jpeg(640, 360, level=0)
    app.state.gate.set()
    await app.state.all_sent.wait()
    response = source._response  # wait until the client's buffer holds every byte sent
    assert response is not None
    async with asyncio.timeout(5):
        while response.content.total_bytes < app.state.body_bytes_sent:
            await asyncio.sleep(0.01)
    # Frames 1–5 wait in the socket; the source keeps only the two newest.
    assert (await source.recv()).jpeg == camera_jpeg(640, 360, level=4)
    assert (await source.recv()).jpeg == camera_jpeg(640, 360, level=5)
    with pytest.raises(ProbeError):
        await source.recv()


async def test_closing_delimiter_ends_as_disconnected(
    camera: Camera, http_client: HttpClient, clock: FakeClock
) -> None:
    _, base = camera
    source = MjpegSource(http_client, f"{base}/mjpeg?frames=2&end=close", clock=clock)
    await source.recv()
    await source.recv()
    with pytest.raises(ProbeError) as raised:
        await source.recv()
    assert raised.value.code is ProbeFailure.DISCONNECTED


async def test_stalled_stream_times_out_within_the_read_timeout(
    camera: Camera, http_client: HttpClient, clock: FakeClock
) -> None:
    _, base = camera
    timeouts = HttpTimeouts(connect_s=1, read_s=0.3, total_s=1)
    source = MjpegSource(
        http_client, f"{base}/mjpeg?frames=1&end=hang", clock=clock, timeouts=timeouts
    )
    await source.recv()
    started = time.monotonic()
    with pytest.raises(ProbeError) as raised:
        await source.recv()
    assert raised.value.code is ProbeFailure.TIMEOUT
    assert time.monotonic() - started < 1.0


async def test_sample_opens_takes_one_frame_and_closes(
    camera: Camera, http_client: HttpClient, clock: FakeClock
) -> None:
    app, base = camera
    source = MjpegSource(http_client, f"{base}/mjpeg?frames=50", clock=clock)
    first = await source.sample()
    assert first.source_size == (640, 360)
    assert not source.is_open
    await source.sample()
    assert app.state.requests["/mjpeg"] == 2


async def test_digest_protected_stream(
    camera: Camera, http_client: HttpClient, clock: FakeClock
) -> None:
    _, base = camera
    good = MjpegSource(
        http_client, f"{base}/digest/mjpeg", clock=clock, credentials=Credentials.of(USER, PASSWORD)
    )
    assert (await good.sample()).source_size == (640, 360)
    wrong = MjpegSource(
        http_client, f"{base}/digest/mjpeg", clock=clock, credentials=Credentials.of(USER, "nope")
    )
    with pytest.raises(ProbeError) as raised:
        await wrong.sample()
    assert raised.value.code is ProbeFailure.AUTH


async def test_a_plain_jpeg_is_not_an_mjpeg_stream(
    camera: Camera, http_client: HttpClient, clock: FakeClock
) -> None:
    _, base = camera
    source = MjpegSource(http_client, f"{base}/snapshot.jpg", clock=clock)
    with pytest.raises(ProbeError) as raised:
        await source.sample()
    assert raised.value.code is ProbeFailure.NOT_AN_IMAGE
    assert not source.is_open
