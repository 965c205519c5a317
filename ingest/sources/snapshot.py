"""HTTP(S) JPEG snapshots: the cheap path for sampling tens of thousands of cameras."""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor

from bus.vocabulary import ProbeFailure
from config.clock import WallClock
from ingest.sources.base import FrameSource
from ingest.sources.credentials import Credentials, describe_url, require_bare_url
from ingest.sources.failures import ProbeError
from ingest.sources.http_client import (
    DEFAULT_HTTP_TIMEOUTS,
    CameraAuth,
    HttpClient,
    HttpTimeouts,
    open_response,
    read_capped,
)
from ingest.sources.jpeg import DEFAULT_DECODE, DecodeOptions, decode_jpeg
from ingest.sources.sample import Sample

MAX_SNAPSHOT_BYTES = 8 * 1024 * 1024
# Cameras label snapshots loosely; anything else (text/html login pages, JSON errors)
# is rejected before decoding.
IMAGE_CONTENT_TYPES = frozenset(
    {"image/jpeg", "image/jpg", "image/pjpeg", "application/octet-stream", ""}
)


def check_image_content_type(content_type: str) -> None:
    """Raise NOT_AN_IMAGE for a content type no camera sends a JPEG snapshot as."""
    if content_type.lower() not in IMAGE_CONTENT_TYPES:
        raise ProbeError(ProbeFailure.NOT_AN_IMAGE, f"content type {content_type!r}, not a JPEG")


class HttpSnapshotSource(FrameSource):
    """GETs a camera's snapshot URL and decodes it reduced.

    Decoding runs in `decode_executor` when one is given (a process pool spreads it
    over cores); by default it runs inline, since a reduced decode takes well under a
    millisecond and a thread hop costs about as much.
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
        max_bytes: int = MAX_SNAPSHOT_BYTES,
        decode_executor: Executor | None = None,
    ) -> None:
        self._client = client
        self._url = require_bare_url(url, ("http", "https"))
        self._clock = clock
        self._auth = CameraAuth(credentials) if credentials is not None else None
        self._timeouts = timeouts
        self._decode = decode
        self._verify_tls = verify_tls
        self._max_bytes = max_bytes
        self._decode_executor = decode_executor

    @property
    def decode_options(self) -> DecodeOptions:
        return self._decode

    @property
    def description(self) -> str:
        return f"snapshot {describe_url(self._url)}"

    async def fetch_jpeg(self) -> bytes:
        """The raw snapshot bytes, checked to be a JPEG by content type and magic number."""
        async with open_response(
            self._client,
            self._url,
            self._auth,
            self._timeouts,
            stream=False,
            verify_tls=self._verify_tls,
        ) as response:
            check_image_content_type(response.content_type)
            body = await read_capped(response, self._max_bytes)
        if not body.startswith(b"\xff\xd8"):
            raise ProbeError(
                ProbeFailure.NOT_AN_IMAGE,
                f"{describe_url(self._url)} answered {len(body)} B that are not a JPEG",
            )
        return body

    async def sample(self) -> Sample:
        body = await self.fetch_jpeg()
        captured_at = self._clock()
        if self._decode_executor is None:
            reduced = decode_jpeg(body, self._decode)
        else:
            loop = asyncio.get_running_loop()
            reduced = await loop.run_in_executor(
                self._decode_executor, decode_jpeg, body, self._decode
            )
        return Sample.from_reduced(reduced, captured_at, jpeg=body)
