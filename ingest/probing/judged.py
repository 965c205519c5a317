"""One judged sample as the sampler hands it to the runtime: when, the verdict, the picture.

The picture is kept by reference (the bytes or array the sample already had), so
holding it costs no copy; it is encoded only when it becomes evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import cv2

from ingest.analysis.frames import Gray
from ingest.analysis.health_codes import HealthVerdict
from ingest.sources.sample import Sample

EVIDENCE_JPEG_QUALITY = 85


@dataclass(frozen=True, slots=True, eq=False)
class SeenPicture:
    """What the camera showed: its own JPEG when the source had one (snapshot, MJPEG),
    else the reduced gray frame the checks saw (an RTSP key frame is not kept whole)."""

    jpeg: bytes | None = field(default=None, repr=False)
    gray: Gray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.jpeg is None and self.gray is None:
            raise ValueError("a picture needs its JPEG or its gray frame")

    @classmethod
    def of(cls, sample: Sample) -> SeenPicture:
        return cls(sample.jpeg) if sample.jpeg is not None else cls(gray=sample.gray)

    def encoded(self) -> bytes:
        """JPEG bytes; CPU work for a gray frame, so call it off the event loop."""
        if self.jpeg is not None:
            return self.jpeg
        assert self.gray is not None
        quality = [cv2.IMWRITE_JPEG_QUALITY, EVIDENCE_JPEG_QUALITY]
        ok, buffer = cv2.imencode(".jpg", self.gray, quality)
        if not ok:
            raise ValueError("the gray frame could not be encoded as JPEG")
        return buffer.tobytes()

    @property
    def held_bytes(self) -> int:
        """Memory this picture keeps alive."""
        if self.jpeg is not None:
            return len(self.jpeg)
        return 0 if self.gray is None else int(self.gray.nbytes)


@dataclass(frozen=True, slots=True)
class Judged:
    captured_at: datetime
    verdict: HealthVerdict
    picture: SeenPicture
