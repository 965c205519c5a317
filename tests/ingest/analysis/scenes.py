"""Synthetic camera pictures for the analysis tests: a textured street-like scene
rendered with fresh sensor noise for every sample."""

from __future__ import annotations

import functools

import cv2
import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]
WIDTH, HEIGHT = 640, 360


def scene(seed: int = 1) -> Frame:
    """A BGR 640x360 scene: shaded ground, coloured blocks, lines and fine texture."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(70, 170, HEIGHT, dtype=np.float32)[:, None, None]
    image = np.repeat(np.repeat(ramp, WIDTH, axis=1), 3, axis=2)
    image = image * np.array([1.0, 1.05, 0.95], dtype=np.float32)
    for _ in range(40):
        x, y = int(rng.integers(0, WIDTH - 40)), int(rng.integers(0, HEIGHT - 40))
        w, h = int(rng.integers(15, 90)), int(rng.integers(15, 70))
        colour = rng.integers(20, 235, size=3).tolist()
        cv2.rectangle(image, (x, y), (x + w, y + h), colour, -1)
    for _ in range(25):
        p1 = (int(rng.integers(0, WIDTH)), int(rng.integers(0, HEIGHT)))
        p2 = (int(rng.integers(0, WIDTH)), int(rng.integers(0, HEIGHT)))
        cv2.line(image, p1, p2, rng.integers(0, 255, size=3).tolist(), 2, cv2.LINE_AA)
    texture = cv2.GaussianBlur(rng.normal(0, 18, (HEIGHT, WIDTH)).astype(np.float32), (0, 0), 1.0)
    image += texture[:, :, None]
    return np.asarray(np.clip(image, 0, 255), dtype=np.uint8)


@functools.cache
def _grain_bank(shape: tuple[int, ...], noise: float) -> tuple[npt.NDArray[np.float32], ...]:
    """Pre-drawn noise fields: drawing a fresh full-size field per frame is slow."""
    rng = np.random.default_rng(12345)
    bank = tuple(rng.normal(0.0, noise, size=shape).astype(np.float32) for _ in range(16))
    for field in bank:
        field.flags.writeable = False
    return bank


def render(picture: Frame, rng: np.random.Generator, noise: float = 2.0) -> Frame:
    """The picture as a live camera delivers it: with its own sensor noise.

    A bank field shifted by a random offset, so no two samples share their grain: a
    repeated grain would be an identical picture, which a live sensor never sends and
    the freeze check rightly calls stuck."""
    bank = _grain_bank(picture.shape, noise)
    field = bank[int(rng.integers(len(bank)))]
    shift = (int(rng.integers(picture.shape[0])), int(rng.integers(picture.shape[1])))
    grain = np.roll(field, shift, axis=(0, 1))
    return np.asarray(np.clip(picture.astype(np.float32) + grain, 0, 255), dtype=np.uint8)
