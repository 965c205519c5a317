"""What a source hands to analysis: one reduced frame with its capture time."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from ingest.analysis.frames import BGR, Gray, ReducedFrame


def payload_digest(payload: bytes) -> bytes:
    """Digest of an encoded picture: equal digests on consecutive samples mean a stuck stream."""
    return hashlib.blake2b(payload, digest_size=16).digest()


@dataclass(frozen=True, slots=True, eq=False)
class Sample:
    """One health sample of a camera.

    gray: reduced luma (uint8, read-only), as wide as the source was asked for.
    thumb: small BGR thumbnail (read-only) for colour checks and evidence, or None.
    captured_at: when the frame arrived, from the source's injected clock.
    source_size: (width, height) of the frame as the camera sent it.
    jpeg: the camera's own JPEG bytes when the source had them (snapshot, MJPEG).
    """

    gray: Gray
    thumb: BGR | None
    captured_at: datetime
    source_size: tuple[int, int]
    jpeg: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.captured_at.tzinfo is None:
            raise ValueError("captured_at must be timezone-aware (the clock must return UTC)")
        self.gray.setflags(write=False)
        if self.thumb is not None:
            self.thumb.setflags(write=False)

    @classmethod
    def from_reduced(
        cls, reduced: ReducedFrame, captured_at: datetime, jpeg: bytes | None = None
    ) -> Sample:
        return cls(reduced.gray, reduced.thumb, captured_at, reduced.source_size, jpeg)

    @property
    def payload_digest(self) -> bytes | None:
        return None if self.jpeg is None else payload_digest(self.jpeg)

    @property
    def reduced(self) -> ReducedFrame:
        """The frame as the analysis kernels take it."""
        return ReducedFrame(self.gray, self.thumb, self.source_size)

    def __repr__(self) -> str:
        thumb = None if self.thumb is None else self.thumb.shape
        jpeg = None if self.jpeg is None else len(self.jpeg)
        return (
            f"Sample(gray={self.gray.shape}, thumb={thumb}, captured_at={self.captured_at}, "
            f"source_size={self.source_size}, jpeg_bytes={jpeg})"
        )
