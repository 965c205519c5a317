"""Local video files and image sequences, for tests, benchmarks and replaying recordings."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import Executor
from pathlib import Path

import cv2
import numpy as np

from bus.vocabulary import ProbeFailure
from config.clock import WallClock
from ingest.analysis.frames import ReducedFrame, prepare_sample
from ingest.sources.base import EndOfStream, StreamSource
from ingest.sources.failures import ProbeError
from ingest.sources.jpeg import DEFAULT_DECODE, SOI, DecodeOptions, decode_jpeg
from ingest.sources.sample import Sample

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})


class VideoFileSource(StreamSource):
    """Frames of a video file through OpenCV, one per `recv()`; EndOfStream at its end
    (or back to the first frame when `repeat`). Reads run in `executor` (default pool)."""

    def __init__(
        self,
        path: Path | str,
        *,
        clock: WallClock,
        decode: DecodeOptions = DEFAULT_DECODE,
        repeat: bool = False,
        executor: Executor | None = None,
    ) -> None:
        self.path = Path(path)
        self._clock = clock
        self._decode = decode
        self._repeat = repeat
        self._executor = executor
        self._capture: cv2.VideoCapture | None = None
        self.frames_read = 0

    @property
    def description(self) -> str:
        return f"file {self.path}"

    def _open(self) -> cv2.VideoCapture:
        if not self.path.is_file():
            raise ProbeError(ProbeFailure.NOT_FOUND, f"video file {self.path} does not exist")
        capture = cv2.VideoCapture(str(self.path))
        if not capture.isOpened():
            raise ProbeError(ProbeFailure.DECODE_ERROR, f"OpenCV cannot open {self.path}")
        return capture

    def _read(self) -> ReducedFrame:
        if self._capture is None:
            self._capture = self._open()
        ok, decoded = self._capture.read()
        if not ok and self._repeat and self.frames_read:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, decoded = self._capture.read()
        if not ok:
            if not self.frames_read:
                raise ProbeError(ProbeFailure.NO_VIDEO, f"{self.path} has no readable frame")
            raise EndOfStream(str(self.path))
        self.frames_read += 1
        frame = np.asarray(decoded, dtype=np.uint8)
        reduced = prepare_sample(frame, self._decode.gray_width, self._decode.thumb_width or 1)
        thumb = reduced.thumb if self._decode.thumb_width else None
        return ReducedFrame(reduced.gray, thumb, reduced.source_size)

    async def recv(self) -> Sample:
        loop = asyncio.get_running_loop()
        reduced = await loop.run_in_executor(self._executor, self._read)
        return Sample.from_reduced(reduced, self._clock())

    async def sample(self) -> Sample:
        return await self.recv()

    async def aclose(self) -> None:
        capture, self._capture = self._capture, None
        if capture is not None:
            capture.release()


def image_files(folder: Path | str) -> list[Path]:
    """The images in `folder`, in name order (zero-padded numbers sort correctly)."""
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


class ImageSequenceSource(StreamSource):
    """A list of image files played in order. JPEGs keep their bytes as evidence."""

    def __init__(
        self,
        paths: Sequence[Path | str],
        *,
        clock: WallClock,
        decode: DecodeOptions = DEFAULT_DECODE,
        repeat: bool = False,
    ) -> None:
        if not paths:
            raise ValueError("an image sequence needs at least one file")
        self.paths = [Path(p) for p in paths]
        self._clock = clock
        self._decode = decode
        self._repeat = repeat
        self._next = 0

    @property
    def description(self) -> str:
        return f"images {self.paths[0].parent} ({len(self.paths)} files)"

    def _read(self, path: Path) -> tuple[ReducedFrame, bytes | None]:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ProbeError(ProbeFailure.NOT_FOUND, f"image {path} does not exist") from None
        if data.startswith(SOI):
            return decode_jpeg(data, self._decode), data
        decoded = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
        if decoded is None:
            raise ProbeError(ProbeFailure.NOT_AN_IMAGE, f"{path} is not an image OpenCV can read")
        image = np.asarray(decoded, dtype=np.uint8)
        reduced = prepare_sample(image, self._decode.gray_width, self._decode.thumb_width or 1)
        thumb = reduced.thumb if self._decode.thumb_width else None
        return ReducedFrame(reduced.gray, thumb, reduced.source_size), None

    async def recv(self) -> Sample:
        if self._next >= len(self.paths):
            if not self._repeat:
                raise EndOfStream(self.description)
            self._next = 0
        path = self.paths[self._next]
        self._next += 1
        reduced, jpeg = await asyncio.to_thread(self._read, path)
        return Sample.from_reduced(reduced, self._clock(), jpeg=jpeg)

    async def sample(self) -> Sample:
        return await self.recv()
