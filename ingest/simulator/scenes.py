"""Pictures for the simulated cameras: frames sampled from real clips, or synthetic streets.

A scene is a short, fixed-camera sequence of frames at the served size. Cameras
are spread over the scenes; each plays its scene in a loop at its own phase.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ingest.simulator.fault_painter import Frame

CLIP_SUFFIXES = frozenset({".mp4", ".avi", ".mkv", ".mov", ".webm"})
SYNTHETIC_SCENES = 4


@dataclass(frozen=True, slots=True)
class SceneSource:
    """A scene's name and a way to produce its frames (at most `count`, at the served size).

    Frames are produced on demand so that the pool can encode them one by one and
    never hold a whole clip of raw 720p frames.
    """

    name: str
    frames: Callable[[], Iterator[Frame]]


def _sample_clip(path: Path, count: int, size: tuple[int, int]) -> Iterator[Frame]:
    """`count` frames spread evenly over the clip (fewer if it is shorter), resized to `size`."""
    capture = cv2.VideoCapture(str(path))
    try:
        total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        wanted = {int(i) for i in np.linspace(0, max(total - 1, 0), count)}
        index = yielded = 0
        while yielded < count and capture.grab():
            if total < count or index in wanted:
                ok, frame = capture.retrieve()
                if not ok:
                    break
                yield np.asarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
                yielded += 1
            index += 1
    finally:
        capture.release()


def clip_sources(clips_dir: Path, count: int, size: tuple[int, int]) -> list[SceneSource]:
    """One scene per clip in `clips_dir`, in name order (so the camera mapping is stable)."""
    paths = sorted(p for p in clips_dir.iterdir() if p.suffix.lower() in CLIP_SUFFIXES)
    return [
        SceneSource(path.stem, functools.partial(_sample_clip, path, count, size)) for path in paths
    ]


def _synthetic_background(scene: int, size: tuple[int, int]) -> Frame:
    """Sky, buildings, a road and sensor grain: the fixed part of a synthetic scene."""
    width, height = size
    rng = np.random.default_rng(1000 + scene)
    sky = np.linspace(200 - 25 * scene, 120, height // 2, dtype=np.float32)
    ground = np.linspace(90, 60 + 10 * scene, height - height // 2, dtype=np.float32)
    column = np.concatenate([sky, ground])
    frame = np.repeat(column[:, None], width, axis=1)
    image = np.stack([frame * 0.9, frame * (0.95 + 0.03 * scene), frame], axis=2)
    for _ in range(6 + scene):
        x = int(rng.integers(0, width))
        w = int(rng.integers(width // 20, width // 6))
        h = int(rng.integers(height // 8, height // 2))
        shade = float(rng.integers(60, 180))
        top_left, bottom_right = (x, height // 2 - h), (x + w, height // 2)
        cv2.rectangle(image, top_left, bottom_right, (shade, shade, shade * 0.9), -1)
    cv2.rectangle(image, (0, int(height * 0.62)), (width, int(height * 0.8)), (70, 70, 72), -1)
    texture = rng.normal(0.0, 6.0, size=image.shape).astype(np.float32)
    return np.asarray(np.clip(image + texture, 0, 255), dtype=np.uint8)


def _synthetic_frames(scene: int, count: int, size: tuple[int, int]) -> Iterator[Frame]:
    """The background with three cars driving along the road, one frame per step."""
    width, height = size
    background = _synthetic_background(scene, size)
    road_top = int(height * 0.62)
    for index in range(count):
        frame = background.copy()
        for car in range(3):
            speed = (car + 1) * width / count
            x = int((car * width / 3 + index * speed) % (width + 200)) - 100
            y = road_top + 10 + car * int(height * 0.05)
            colour = ((50 + 70 * car) % 255, (120 + 40 * scene) % 255, (200 - 50 * car) % 255)
            cv2.rectangle(frame, (x, y), (x + width // 12, y + height // 20), colour, -1)
        yield frame


def synthetic_sources(count: int, size: tuple[int, int]) -> list[SceneSource]:
    """Streets drawn with OpenCV, for when no clips are available."""
    return [
        SceneSource(f"synthetic-{s}", functools.partial(_synthetic_frames, s, count, size))
        for s in range(SYNTHETIC_SCENES)
    ]
