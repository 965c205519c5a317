"""RTSP cameras through PyAV (FFmpeg), interleaved over TCP.

PyAV blocks inside FFmpeg's network reads, so it never runs on the event loop. A
single health sample (open → first key frame → close) runs in an executor thread the
caller can size for its RTSP concurrency; a kept-open stream gets a thread of its own
for its whole life, since holding a pool thread that long would starve the pool.

FFmpeg behaviours this module is built around (checked against GStreamer's server):
- without an interrupt timeout a silent server blocks forever; with PyAV's
  `timeout=(open_s, read_s)` a stalled stream fails after about twice read_s, so
  half the configured read timeout is passed;
- a server that goes away ends the demux loop without an exception: for a camera
  that is DISCONNECTED;
- a server that stays silent during the handshake fails as "invalid data" once the
  open timeout is spent, and an unresolvable host as a bare I/O error: the elapsed
  time and a DNS look-up done here beforehand tell those apart;
- stream probing takes ~3 s unless analyzeduration=0 and probesize=32.
"""

from __future__ import annotations

import asyncio
import collections
import socket
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from ipaddress import ip_address
from urllib.parse import urlsplit

import av
import av.container

from bus.vocabulary import ProbeFailure
from config.clock import WallClock
from ingest.analysis.frames import ReducedFrame
from ingest.sources.base import StreamSource
from ingest.sources.credentials import Credentials, describe_url, require_bare_url, with_userinfo
from ingest.sources.failures import ProbeError, classify, describe
from ingest.sources.jpeg import DEFAULT_DECODE, DecodeOptions
from ingest.sources.sample import Sample
from ingest.sources.video_frames import reduce_video_frame

DEFAULT_RTSP_PORT = 554
FAST_OPEN_OPTIONS: Mapping[str, str] = {
    "rtsp_transport": "tcp",
    "analyzeduration": "0",
    "probesize": "32",
}


@dataclass(frozen=True, slots=True)
class RtspTimeouts:
    """open_s: connect + RTSP handshake; read_s: longest silence while streaming;
    keyframe_s: longest wait for a key frame while packets do arrive (one GOP or more)."""

    open_s: float = 5.0
    read_s: float = 5.0
    keyframe_s: float = 10.0

    def __post_init__(self) -> None:
        if min(self.open_s, self.read_s, self.keyframe_s) <= 0:
            raise ValueError(f"timeouts must be positive: {self}")


DEFAULT_RTSP_TIMEOUTS = RtspTimeouts()


def rtsp_failure(exc: BaseException, elapsed_s: float, timeout_s: float) -> ProbeFailure | None:
    """Classify a PyAV failure, knowing how long the failing step ran.

    FFmpeg reports an interrupt by its timeout as whatever the interrupted step
    returned (often "invalid data"), so a failure that came no sooner than the
    step's timeout is a TIMEOUT whatever its type.
    """
    code = classify(exc)
    if code in (ProbeFailure.AUTH, ProbeFailure.NOT_FOUND, ProbeFailure.REFUSED):
        return code
    if elapsed_s >= 0.9 * timeout_s:
        return ProbeFailure.TIMEOUT
    return code


class _Reader:
    """One open PyAV container on the video track; blocking, used from one thread."""

    def __init__(
        self,
        url: str,
        secret_url: str,
        timeouts: RtspTimeouts,
        options: Mapping[str, str],
        keyframes_only: bool,
    ) -> None:
        self._url, self._secret_url = url, secret_url
        self._timeouts = timeouts
        started = time.monotonic()
        try:
            self._container: av.container.InputContainer = av.open(
                secret_url,
                options=dict(options),
                timeout=(timeouts.open_s, timeouts.read_s / 2),
            )
        except Exception as exc:
            raise self._error(exc, time.monotonic() - started, timeouts.open_s) from None
        if not self._container.streams.video:
            self._container.close()
            raise ProbeError(ProbeFailure.NO_VIDEO, f"rtsp {describe_url(url)} has no video track")
        self._stream = self._container.streams.video[0]
        self._keyframes_only = keyframes_only
        context = self._stream.codec_context
        # One decoder thread: frame threading would hold frames back until more
        # packets arrive, and thousands of probes must not each spawn a thread pool.
        context.thread_count = 1
        if keyframes_only:
            context.skip_frame = "NONKEY"

    def _error(self, exc: BaseException, elapsed_s: float, timeout_s: float) -> BaseException:
        code = rtsp_failure(exc, elapsed_s, timeout_s)
        detail = describe(exc, (self._secret_url,))
        if code is None:  # a bug, not a camera fault; FFmpeg's message may hold the URL
            return RuntimeError(
                f"unexpected failure reading rtsp {describe_url(self._url)}: {detail}"
            )
        return ProbeError(code, f"rtsp {describe_url(self._url)}: {detail} after {elapsed_s:.1f} s")

    def next_frame(
        self, deadline: float | None = None, stop: threading.Event | None = None
    ) -> av.VideoFrame | None:
        """The next decoded frame (a key frame when keyframes_only), None once `stop` is set."""
        last = time.monotonic()
        try:
            for packet in self._container.demux(self._stream):
                if stop is not None and stop.is_set():
                    return None
                now = time.monotonic()
                if deadline is not None and now > deadline:
                    raise ProbeError(
                        ProbeFailure.TIMEOUT,
                        f"rtsp {describe_url(self._url)}: no key frame within "
                        f"{self._timeouts.keyframe_s} s",
                    )
                last = now
                if self._keyframes_only and not packet.is_keyframe:
                    continue
                for frame in packet.decode():
                    if isinstance(frame, av.VideoFrame):
                        return frame
        except ProbeError:
            raise
        except Exception as exc:
            raise self._error(exc, time.monotonic() - last, self._timeouts.read_s) from None
        raise ProbeError(ProbeFailure.DISCONNECTED, f"rtsp {describe_url(self._url)}: stream ended")

    def close(self) -> None:
        self._container.close()


class RtspSource(StreamSource):
    """One RTSP camera. `sample()` takes a key frame on a fresh connection (or from the
    open stream while `recv()` is in use); `recv()` keeps a stream open in its own thread.
    """

    def __init__(
        self,
        url: str,
        *,
        clock: WallClock,
        credentials: Credentials | None = None,
        timeouts: RtspTimeouts = DEFAULT_RTSP_TIMEOUTS,
        decode: DecodeOptions = DEFAULT_DECODE,
        executor: Executor | None = None,
        keyframes_only: bool = True,
        max_pending: int = 2,
        options: Mapping[str, str] = FAST_OPEN_OPTIONS,
    ) -> None:
        self._url = require_bare_url(url, ("rtsp", "rtsps"))
        self._secret_url = with_userinfo(self._url, credentials)
        self._clock = clock
        self._timeouts = timeouts
        self._decode = decode
        self._executor = executor
        self._keyframes_only = keyframes_only
        self._options = options
        self._pending: collections.deque[ReducedFrame | BaseException] = collections.deque()
        self._max_pending = max_pending
        self._arrived = asyncio.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def description(self) -> str:
        return f"rtsp {describe_url(self._url)}"

    async def check_dns(self) -> None:
        """Resolve the host here, because FFmpeg reports a failed look-up as a bare I/O error."""
        parts = urlsplit(self._url)
        host = parts.hostname or ""
        try:
            ip_address(host)
            return
        except ValueError:
            pass
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._timeouts.open_s):
                await loop.getaddrinfo(
                    host, parts.port or DEFAULT_RTSP_PORT, type=socket.SOCK_STREAM
                )
        except socket.gaierror as exc:
            raise ProbeError(ProbeFailure.DNS, f"{self.description}: {describe(exc)}") from None
        except TimeoutError:
            raise ProbeError(
                ProbeFailure.TIMEOUT,
                f"{self.description}: name look-up took over {self._timeouts.open_s} s",
            ) from None

    def _grab_keyframe(self) -> ReducedFrame:
        reader = _Reader(self._url, self._secret_url, self._timeouts, self._options, True)
        try:
            frame = reader.next_frame(deadline=time.monotonic() + self._timeouts.keyframe_s)
            assert frame is not None  # no stop event: a frame or an exception
            return reduce_video_frame(frame, self._decode)
        finally:
            reader.close()

    async def sample(self) -> Sample:
        if self._thread is not None:
            return await self.recv()
        await self.check_dns()
        loop = asyncio.get_running_loop()
        reduced = await loop.run_in_executor(self._executor, self._grab_keyframe)
        return Sample.from_reduced(reduced, self._clock())

    # -- kept-open stream -------------------------------------------------------------

    async def recv(self) -> Sample:
        if self._thread is None:
            await self.check_dns()
            self._start_thread(asyncio.get_running_loop())
        while not self._pending:
            self._arrived.clear()
            await self._arrived.wait()
        item = self._pending.popleft()
        if isinstance(item, BaseException):
            await self.aclose()
            raise item
        return Sample.from_reduced(item, self._clock())

    def _start_thread(self, loop: asyncio.AbstractEventLoop) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._pump, args=(loop,), name=f"rtsp {describe_url(self._url)}", daemon=True
        )
        self._thread.start()

    def _pump(self, loop: asyncio.AbstractEventLoop) -> None:
        """Thread body: read frames until stopped, handing each to the event loop."""
        reader: _Reader | None = None
        try:
            reader = _Reader(
                self._url, self._secret_url, self._timeouts, self._options, self._keyframes_only
            )
            while (frame := reader.next_frame(stop=self._stop)) is not None:
                self._deliver(loop, reduce_video_frame(frame, self._decode))
        except BaseException as exc:  # handed to the consumer, never lost
            if not self._stop.is_set():
                self._deliver(loop, exc)
        finally:
            if reader is not None:
                reader.close()

    def _deliver(self, loop: asyncio.AbstractEventLoop, item: ReducedFrame | BaseException) -> None:
        try:
            loop.call_soon_threadsafe(self._put, item)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            self._stop.set()

    def _put(self, item: ReducedFrame | BaseException) -> None:
        if not isinstance(item, BaseException):
            frames = sum(1 for pending in self._pending if not isinstance(pending, BaseException))
            if frames >= self._max_pending:
                self._pending.popleft()  # drop the oldest frame, keep the newest
        self._pending.append(item)
        self._arrived.set()

    async def aclose(self) -> None:
        thread, self._thread = self._thread, None
        self._stop.set()
        self._pending.clear()
        if thread is not None and thread.is_alive():
            # The thread notices the stop flag at its next packet, or when the read
            # timeout fires on a silent camera.
            await asyncio.to_thread(thread.join, self._timeouts.read_s + self._timeouts.open_s)
