"""The small interface every camera source implements.

A `FrameSource` gives one health sample on demand. A `StreamSource` also delivers
frames continuously through `recv()` (in the manner of aiortc's MediaStreamTrack),
which raises `EndOfStream` when a finite source (a file) is exhausted. A live
camera whose stream ends raises `ProbeError(DISCONNECTED)` instead, since for a
camera that is a fault and not the end of the data.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator

from ingest.sources.closing import AsyncClosing
from ingest.sources.sample import Sample


class EndOfStream(Exception):
    """A finite source has no more frames."""


class FrameSource(AsyncClosing, ABC):
    """Takes health samples of one camera. Every failure is a `ProbeError`."""

    @property
    @abstractmethod
    def description(self) -> str:
        """What the source reads, safe to log (credentials masked)."""

    @abstractmethod
    async def sample(self) -> Sample:
        """One reduced frame, now. Raises ProbeError (or EndOfStream for a finished file)."""

    async def aclose(self) -> None:
        """Release connections, threads and files. Safe to call more than once."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description!r})"


class StreamSource(FrameSource):
    """A source that can also deliver frames continuously."""

    @abstractmethod
    async def recv(self) -> Sample:
        """The next frame. Raises EndOfStream at the end of a finite source, else ProbeError."""

    async def frames(self) -> AsyncIterator[Sample]:
        """Frames until EndOfStream; a ProbeError ends the iteration by propagating."""
        while True:
            try:
                sample = await self.recv()
            except EndOfStream:
                return
            yield sample
