"""Video file and image sequence sources on files written by the test."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from bus.vocabulary import ProbeFailure
from ingest.sources import (
    DecodeOptions,
    EndOfStream,
    ImageSequenceSource,
    ProbeError,
    VideoFileSource,
    image_files,
)
from tests.conftest import require_clips
from tests.ingest.sources.camera_server import camera_jpeg
from tests.ingest.sources.fake_clock import FakeClock

pytestmark = pytest.mark.anyio


def _write_video(path: Path, frames: int = 6) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10, (640, 360))
    assert writer.isOpened()
    for level in range(frames):
        writer.write(np.full((360, 640, 3), 30 * level, np.uint8))
    writer.release()


async def test_video_file_plays_to_the_end(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "clip.avi"
    _write_video(path)
    async with VideoFileSource(path, clock=clock) as source:
        samples = [sample async for sample in source.frames()]
        with pytest.raises(EndOfStream):
            await source.recv()
    assert len(samples) == 6
    assert samples[0].source_size == (640, 360)
    assert samples[0].gray.shape == (180, 320)
    assert [round(float(s.gray.mean()) / 30) for s in samples] == [0, 1, 2, 3, 4, 5]


async def test_video_file_repeats_when_asked(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "clip.avi"
    _write_video(path, frames=2)
    source = VideoFileSource(path, clock=clock, repeat=True, decode=DecodeOptions(160, 0))
    levels = [round(float((await source.sample()).gray.mean()) / 30) for _ in range(5)]
    await source.aclose()
    assert levels == [0, 1, 0, 1, 0]


async def test_missing_and_unreadable_files(tmp_path: Path, clock: FakeClock) -> None:
    with pytest.raises(ProbeError) as missing:
        await VideoFileSource(tmp_path / "none.avi", clock=clock).sample()
    assert missing.value.code is ProbeFailure.NOT_FOUND
    junk = tmp_path / "junk.avi"
    junk.write_bytes(b"not a video at all" * 100)
    with pytest.raises(ProbeError) as unreadable:
        await VideoFileSource(junk, clock=clock).sample()
    assert unreadable.value.code in (ProbeFailure.DECODE_ERROR, ProbeFailure.NO_VIDEO)


@pytest.mark.clips
async def test_real_clip_when_present(clock: FakeClock) -> None:
    clip = require_clips("traffic-640x360.avi") / "traffic-640x360.avi"
    async with VideoFileSource(clip, clock=clock) as source:
        sample = await source.sample()
    assert sample.source_size == (640, 360)
    assert 40 < sample.gray.mean() < 220


async def test_image_sequence_keeps_jpeg_bytes_and_ends(tmp_path: Path, clock: FakeClock) -> None:
    for index in range(3):
        (tmp_path / f"frame_{index:03d}.jpg").write_bytes(camera_jpeg(640, 360, level=index))
    cv2.imwrite(str(tmp_path / "frame_003.png"), np.zeros((90, 160, 3), np.uint8))
    (tmp_path / "notes.txt").write_text("ignored")
    files = image_files(tmp_path)
    names = ["frame_000.jpg", "frame_001.jpg", "frame_002.jpg", "frame_003.png"]
    assert [f.name for f in files] == names
    source = ImageSequenceSource(files, clock=clock)
    samples = [sample async for sample in source.frames()]
    assert len(samples) == 4
    assert samples[0].jpeg == camera_jpeg(640, 360, level=0)
    assert samples[3].jpeg is None
    assert samples[3].source_size == (160, 90)


async def test_image_sequence_errors(tmp_path: Path, clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="at least one"):
        ImageSequenceSource([], clock=clock)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    with pytest.raises(ProbeError) as raised:
        await ImageSequenceSource([bad], clock=clock).sample()
    assert raised.value.code is ProbeFailure.NOT_AN_IMAGE
