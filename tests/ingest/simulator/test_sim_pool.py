"""The pre-encoded pool: spliced JPEGs decode, the OSD ticks, faults paint the pictures."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from ingest.simulator import jpegsplice
from ingest.simulator.catalog import scene_slot
from ingest.simulator.faults import FaultKind, FaultRule
from ingest.simulator.pool import FramePool, PoolConfig, build_pool, osd_text, render_osd_band
from ingest.simulator.scenes import synthetic_sources
from tests.conftest import require_clips

from .conftest import SMALL, T0, decode


def test_band_and_picture_splice_into_one_valid_jpeg() -> None:
    rng = np.random.default_rng(3)
    picture = rng.integers(0, 255, size=(200, 328, 3), dtype=np.uint8)
    picture = np.asarray(cv2.GaussianBlur(picture, (0, 0), 3), dtype=np.uint8)
    band = render_osd_band("2025-01-02 03:04:05", 328, 2)
    body_jpeg = jpegsplice.encode(picture, 85)
    band_jpeg = jpegsplice.encode(band, 85)
    assert jpegsplice.comparable_header(body_jpeg) == jpegsplice.comparable_header(band_jpeg)
    joined = (
        body_jpeg[: jpegsplice.header_end(body_jpeg)]
        + jpegsplice.first_rows(band_jpeg, 2)
        + jpegsplice.rows_after(body_jpeg, 2)
    )
    image = decode(joined)
    assert image.shape == (200, 328, 3)
    assert np.abs(image[:28].astype(int) - band[:28]).mean() < 3  # top rows are the band
    assert np.abs(image[40:].astype(int) - decode(body_jpeg)[40:]).max() == 0


def test_jpeg_without_restart_markers_is_refused() -> None:
    ok, plain = cv2.imencode(".jpg", np.zeros((64, 64, 3), np.uint8))
    assert ok
    with pytest.raises(jpegsplice.SpliceError, match="restart intervals"):
        jpegsplice.rows_after(bytes(plain), 2)
    with pytest.raises(jpegsplice.SpliceError, match="not a JPEG"):
        jpegsplice.header_end(b"GIF89a")


def test_osd_text_is_china_standard_time() -> None:
    assert osd_text(0.9, PoolConfig().osd_timezone) == "1970-01-01 08:00:00"


def test_pool_pictures_change_with_time_and_the_osd_ticks(small_pool: FramePool) -> None:
    first = decode(small_pool.snapshot(0, small_pool.frame_index(0, T0), None, T0))
    same_second = decode(small_pool.snapshot(0, small_pool.frame_index(0, T0), None, T0 + 0.5))
    later = decode(small_pool.snapshot(0, small_pool.frame_index(0, T0 + 1), None, T0 + 1))
    band = SMALL.band_rows * 16
    assert first.shape == (192, 320, 3)
    assert np.array_equal(first, same_second)
    assert not np.array_equal(first[:band], later[:band])  # the clock moved
    assert np.abs(first[band + 16 :].astype(int) - later[band + 16 :]).max() > 50  # cars moved


def test_frame_index_cycles_through_the_scene(small_pool: FramePool) -> None:
    seen = [small_pool.frame_index(2, T0 + s) for s in range(5)]
    assert sorted(seen) == list(range(5))


def test_scene_slot_is_deterministic_and_spreads_cameras() -> None:
    assert scene_slot("15040201001321000001", 4, 37) == scene_slot("15040201001321000001", 4, 37)
    slots = {scene_slot(f"150402010013210{n:05d}", 4, 37)[0] for n in range(200)}
    assert slots == {0, 1, 2, 3}


def test_painted_faults_are_cached_and_look_like_the_fault(small_pool: FramePool) -> None:
    black = FaultRule(FaultKind.BLACK, camera="x")
    first = small_pool.body(1, 2, black)
    assert small_pool.body(1, 2, black) is first  # rendered once
    band = SMALL.band_rows * 16
    image = decode(small_pool.snapshot(1, 2, black, T0))
    assert image[band:].mean() < 5
    healthy = decode(small_pool.snapshot(1, 2, None, T0))
    cast = decode(small_pool.snapshot(1, 2, FaultRule(FaultKind.COLOR_CAST, camera="x"), T0))
    # Gains (B 1.0, G 0.75, R 1.5): red rises relative to green.
    assert _red_over_green(cast[band:]) > 1.5 * _red_over_green(healthy[band:])


def _red_over_green(image: np.ndarray) -> float:
    return float(image[:, :, 2].mean() / image[:, :, 1].mean())


def test_pool_memory_is_bounded_by_scenes_and_frames() -> None:
    config = PoolConfig(size=(320, 192), frames_per_scene=3)
    pool = FramePool(config)
    for source in synthetic_sources(3, config.size):
        assert pool.add_scene(source.name, source.frames())
    assert pool.entries() == 4 * 3
    assert 0 < pool.memory_bytes() < 4 * 3 * 320 * 192  # compressed well below raw size
    assert not pool.add_scene("empty", iter(()))


def test_bad_pool_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"within 64\.\.4096"):
        PoolConfig(size=(10, 720))
    with pytest.raises(ValueError, match="quality"):
        PoolConfig(quality=0)


def test_build_pool_falls_back_to_synthetic_scenes(tmp_path: Path) -> None:
    (tmp_path / "broken.mp4").write_bytes(b"not a video")
    pool = build_pool(tmp_path, PoolConfig(size=(128, 64), frames_per_scene=2))
    assert pool.scene_names[0].startswith("synthetic")


@pytest.mark.clips
def test_pool_from_the_real_clips() -> None:
    folder = require_clips()
    config = PoolConfig(frames_per_scene=3)
    pool = build_pool(folder, config)
    assert pool.scene_count == len([p for p in folder.iterdir() if p.suffix in {".mp4", ".avi"}])
    image = decode(pool.snapshot(0, 1, None, T0))
    assert image.shape == (720, 1280, 3)
    assert image[100:].std() > 20  # a real scene, not a flat fill
