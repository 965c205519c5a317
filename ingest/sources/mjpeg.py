"""MJPEG over HTTP (multipart/x-mixed-replace): a live stream of JPEG frames."""

from __future__ import annotations

import collections
from contextlib import AsyncExitStack

import aiohttp

from bus.vocabulary import ProbeFailure
from config.clock import WallClock
from ingest.sources.base import StreamSource
from ingest.sources.credentials import Credentials, describe_url, require_bare_url
from ingest.sources.failures import ProbeError
from ingest.sources.http_client import (
    DEFAULT_HTTP_TIMEOUTS,
    CameraAuth,
    HttpClient,
    HttpTimeouts,
    classified_errors,
    open_response,
)
from ingest.sources.jpeg import DEFAULT_DECODE, DecodeOptions, decode_jpeg
from ingest.sources.multipart import MultipartJpegParser, boundary_from_content_type
from ingest.sources.sample import Sample

CHUNK_BYTES = 64 * 1024
MAX_PART_BYTES = 8 * 1024 * 1024


class MjpegSource(StreamSource):
    """Reads one camera's MJPEG stream. `recv()` keeps the connection open between calls;
    `sample()` uses the open stream, or opens one for a single frame and closes it.

    Frames that arrived while nobody called `recv()` are dropped beyond `max_pending`,
    keeping the newest: a slow consumer sees fresh frames, not a growing backlog.
    """

    def __init__(
        self,
        client: HttpClient,
        url: str,
        *,
        clock: WallClock,
        credentials: Credentials | None = None,
        timeouts: HttpTimeouts = DEFAULT_HTTP_TIMEOUTS,
        decode: DecodeOptions = DEFAULT_DECODE,
        verify_tls: bool = True,
        max_part_bytes: int = MAX_PART_BYTES,
        max_pending: int = 2,
    ) -> None:
        self._client = client
        self._url = require_bare_url(url, ("http", "https"))
        self._clock = clock
        self._auth = CameraAuth(credentials) if credentials is not None else None
        self._timeouts = timeouts
        self._decode = decode
        self._verify_tls = verify_tls
        self._max_part_bytes = max_part_bytes
        self._pending: collections.deque[bytes] = collections.deque(maxlen=max_pending)
        self._stack: AsyncExitStack | None = None
        self._response: aiohttp.ClientResponse | None = None
        self._parser: MultipartJpegParser | None = None

    @property
    def description(self) -> str:
        return f"mjpeg {describe_url(self._url)}"

    @property
    def is_open(self) -> bool:
        return self._response is not None

    async def _open(self) -> None:
        stack = AsyncExitStack()
        try:
            response = await stack.enter_async_context(
                open_response(
                    self._client,
                    self._url,
                    self._auth,
                    self._timeouts,
                    stream=True,
                    verify_tls=self._verify_tls,
                )
            )
            content_type = response.headers.get("Content-Type", "")
            if not response.content_type.lower().startswith("multipart/"):
                raise ProbeError(
                    ProbeFailure.NOT_AN_IMAGE,
                    f"content type {content_type!r} from {self.description}, not MJPEG",
                )
            self._parser = MultipartJpegParser(
                boundary_from_content_type(content_type), self._max_part_bytes
            )
        except BaseException:
            await stack.aclose()
            raise
        self._stack, self._response = stack, response

    async def _next_jpeg(self) -> bytes:
        assert self._response is not None
        assert self._parser is not None
        secrets = self._auth.secrets if self._auth is not None else ()
        while not self._pending:
            with classified_errors(self._url, secrets):
                chunk = await self._response.content.readany()
            if self._parser.finished:
                raise ProbeError(ProbeFailure.DISCONNECTED, f"{self.description}: stream ended")
            self._pending.extend(self._parser.feed(chunk) if chunk else self._parser.finish())
        return self._pending.popleft()

    async def recv(self) -> Sample:
        if self._response is None:
            await self._open()
        try:
            jpeg = await self._next_jpeg()
        except BaseException:
            await self.aclose()
            raise
        captured_at = self._clock()
        return Sample.from_reduced(decode_jpeg(jpeg, self._decode), captured_at, jpeg=jpeg)

    async def sample(self) -> Sample:
        if self.is_open:
            return await self.recv()
        try:
            return await self.recv()
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        stack, self._stack = self._stack, None
        self._response = self._parser = None
        self._pending.clear()
        if stack is not None:
            await stack.aclose()
