"""A camera's stream opened once on the server, as an aiortc video track.

PyAV (FFmpeg) reads and decodes the stream on a thread of its own, since it blocks;
the event loop only ever sees the newest decoded frame. A slow consumer therefore never
makes frames pile up: frames it did not take in time are replaced, not queued.
The camera's credentials are put into the URL here, on the server, and never appear
in an error or a log line (errors name the URL through `describe_url`).
"""

from __future__ import annotations

import asyncio
import fractions
import threading
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

import av
import av.container
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from bus.vocabulary import ProbeFailure
from ingest.sources.credentials import Credentials, describe_url, with_userinfo
from ingest.sources.failures import ProbeError, describe
from ingest.sources.rtsp import FAST_OPEN_OPTIONS, rtsp_failure

VIDEO_CLOCK_RATE = 90_000
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK_RATE)


def stream_options(url: str) -> Mapping[str, str]:
    """FFmpeg options: RTSP interleaved over TCP and opened fast; HTTP (MJPEG) as it is."""
    return FAST_OPEN_OPTIONS if urlsplit(url).scheme.lower().startswith("rtsp") else {}


class CameraTrack(MediaStreamTrack):
    """The camera's video, decoded once, for `MediaRelay` to hand to every viewer."""

    kind = "video"

    def __init__(
        self,
        url: str,
        credentials: Credentials | None,
        *,
        open_timeout_s: float,
        read_timeout_s: float,
    ) -> None:
        super().__init__()
        self._url = url
        self._secret_url = with_userinfo(url, credentials)
        password = credentials.password.get_secret_value() if credentials else ""
        self._secrets = (self._secret_url, password)
        self._open_timeout_s = open_timeout_s
        self._read_timeout_s = read_timeout_s
        self._frame: av.VideoFrame | None = None
        self._error: BaseException | None = None
        self._arrived = asyncio.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = 0.0
        self.frames_decoded = 0

    @property
    def description(self) -> str:
        return describe_url(self._url)

    @property
    def failed(self) -> BaseException | None:
        return self._error

    async def open(self) -> None:
        """Start reading; return once the first frame is decoded, else raise `ProbeError`."""
        loop = asyncio.get_running_loop()
        self._started = time.monotonic()
        self._thread = threading.Thread(
            target=self._pump, args=(loop,), name=f"live {self.description}", daemon=True
        )
        self._thread.start()
        try:
            async with asyncio.timeout(self._open_timeout_s + self._read_timeout_s):
                while self._frame is None and self._error is None:
                    self._arrived.clear()
                    await self._arrived.wait()
        except TimeoutError:
            self.stop()
            raise ProbeError(
                ProbeFailure.TIMEOUT, f"{self.description}: no frame within the open timeout"
            ) from None
        if self._error is not None:
            self.stop()
            raise self._error

    async def recv(self) -> av.VideoFrame:
        while True:
            if self.readyState != "live" or self._error is not None:
                raise MediaStreamError
            frame, self._frame = self._frame, None
            if frame is not None:
                # One clock for every viewer's encoder, whatever the camera stamped.
                frame.pts = int((time.monotonic() - self._started) * VIDEO_CLOCK_RATE)
                frame.time_base = VIDEO_TIME_BASE
                return frame
            self._arrived.clear()
            await self._arrived.wait()

    def stop(self) -> None:
        self._stop.set()
        super().stop()
        self._arrived.set()

    async def wait_closed(self, timeout_s: float) -> bool:
        """Wait for the reader thread (it notices the stop at its next packet or timeout)."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            await asyncio.to_thread(thread.join, timeout_s)
        return thread is None or not thread.is_alive()

    # -- reader thread ----------------------------------------------------------------

    def _pump(self, loop: asyncio.AbstractEventLoop) -> None:
        container: av.container.InputContainer | None = None
        step_started = time.monotonic()
        try:
            container = av.open(
                self._secret_url,
                options=dict(stream_options(self._url)),
                timeout=(self._open_timeout_s, self._read_timeout_s / 2),
            )
            if not container.streams.video:
                raise ProbeError(ProbeFailure.NO_VIDEO, f"{self.description} has no video track")
            stream = container.streams.video[0]
            stream.codec_context.thread_count = 1
            for packet in container.demux(stream):
                if self._stop.is_set():
                    return
                step_started = time.monotonic()
                for frame in packet.decode():
                    if isinstance(frame, av.VideoFrame):
                        self._hand_over(loop, frame)
            raise ProbeError(ProbeFailure.DISCONNECTED, f"{self.description}: stream ended")
        except BaseException as exc:
            if not self._stop.is_set():
                self._hand_over(loop, self._as_probe_error(exc, time.monotonic() - step_started))
        finally:
            if container is not None:
                container.close()

    def _as_probe_error(self, exc: BaseException, elapsed_s: float) -> BaseException:
        if isinstance(exc, ProbeError):
            return exc
        timeout_s = self._open_timeout_s if self.frames_decoded == 0 else self._read_timeout_s
        code = rtsp_failure(exc, elapsed_s, timeout_s) or ProbeFailure.INTERNAL
        return ProbeError(code, f"{self.description}: {describe(exc, self._secrets)}")

    def _hand_over(
        self, loop: asyncio.AbstractEventLoop, item: av.VideoFrame | BaseException
    ) -> None:
        try:
            loop.call_soon_threadsafe(self._put, item)
        except RuntimeError:  # the loop is closed: nobody is watching any more
            self._stop.set()

    def _put(self, item: av.VideoFrame | BaseException) -> None:
        if isinstance(item, BaseException):
            self._error = item
        else:
            self._frame = item  # the newest frame replaces one nobody took yet
            self.frames_decoded += 1
        self._arrived.set()
