"""Camera faults painted onto real frames, for labelled tests and the camera simulator.

Every function is pure: it takes a uint8 frame (gray or BGR) and returns a new
one, leaving its input untouched. Randomness comes from a caller-supplied
``numpy.random.Generator`` so that runs are reproducible.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]
Side = Literal["left", "right", "top", "bottom", "top-left", "bottom-right"]

_TIMESTAMP_EPOCH = datetime(2024, 5, 1, 8, 0, 0, tzinfo=UTC)


def _clip(image: npt.NDArray[np.floating]) -> Frame:
    return np.asarray(np.clip(image, 0, 255), dtype=np.uint8)


def blur(frame: Frame, sigma: float) -> Frame:
    """Defocus approximated by a Gaussian of `sigma` pixels (0 returns a copy)."""
    if sigma <= 0:
        return frame.copy()
    return np.asarray(cv2.GaussianBlur(frame, (0, 0), sigmaX=sigma), dtype=np.uint8)


def _region_mask(shape: tuple[int, int], fraction: float, side: Side) -> npt.NDArray[np.bool_]:
    height, width = shape
    mask = np.zeros((height, width), dtype=bool)
    if side == "left":
        mask[:, : round(width * fraction)] = True
    elif side == "right":
        mask[:, width - round(width * fraction) :] = True
    elif side == "top":
        mask[: round(height * fraction), :] = True
    elif side == "bottom":
        mask[height - round(height * fraction) :, :] = True
    else:
        # A corner blob covering `fraction` of the area: an elliptical quadrant.
        radius_scale = math.sqrt(4 * fraction / math.pi)
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        if side == "bottom-right":
            yy, xx = height - 1 - yy, width - 1 - xx
        mask = (xx / (width * radius_scale)) ** 2 + (yy / (height * radius_scale)) ** 2 <= 1.0
    return mask


def cover(
    frame: Frame,
    fraction: float = 1.0,
    opacity: float = 1.0,
    colour: tuple[int, int, int] = (70, 75, 80),
    side: Side = "left",
) -> Frame:
    """Lens covered by cloth, tape or a translucent bag.

    fraction: share of the image covered (1.0 = everything), entering from `side`.
    opacity: 1.0 for an opaque cover; below 1 the scene shows through, diffused,
    as it does through translucent plastic.
    The cover itself is out of focus, so it carries only a soft shading gradient.
    """
    if not 0.0 <= fraction <= 1.0 or not 0.0 <= opacity <= 1.0:
        raise ValueError("fraction and opacity must be within 0..1")
    height, width = frame.shape[:2]
    shading = np.linspace(0.85, 1.15, width, dtype=np.float32)[None, :]
    shading = shading * np.linspace(1.1, 0.9, height, dtype=np.float32)[:, None]
    base = frame.astype(np.float32)
    if frame.ndim == 3:
        layer = shading[:, :, None] * np.asarray(colour, dtype=np.float32)[None, None, :]
    else:
        layer = shading * float(np.mean(colour))
    if opacity < 1.0:
        diffused = cv2.GaussianBlur(base, (0, 0), sigmaX=max(height, width) / 40)
        layer = opacity * layer + (1.0 - opacity) * diffused
    mask = (
        np.ones((height, width), dtype=bool)
        if fraction >= 1.0
        else _region_mask((height, width), fraction, side)
    )
    # Soft edge: a cover close to the lens is never in focus.
    alpha = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigmaX=max(width, height) / 100)
    if frame.ndim == 3:
        alpha = alpha[:, :, None]
    return _clip(alpha * layer + (1.0 - alpha) * base)


def shift(frame: Frame, dx: float, dy: float = 0.0) -> Frame:
    """View displaced by (dx, dy) fractions of the width and height; the edges show more scene."""
    height, width = frame.shape[:2]
    matrix = np.array([[1, 0, dx * width], [0, 1, dy * height]], dtype=np.float32)
    return np.asarray(
        cv2.warpAffine(frame, matrix, (width, height), borderMode=cv2.BORDER_REFLECT_101),
        dtype=np.uint8,
    )


def rotate(frame: Frame, degrees: float) -> Frame:
    """View rotated about its centre by `degrees` (a knocked bracket)."""
    height, width = frame.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    return np.asarray(
        cv2.warpAffine(frame, matrix, (width, height), borderMode=cv2.BORDER_REFLECT_101),
        dtype=np.uint8,
    )


def timestamp_text(t: float) -> str:
    """The burned-in clock text a camera would show `t` seconds into a recording."""
    moment = _TIMESTAMP_EPOCH + timedelta(seconds=math.floor(t))
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def draw_timestamp(frame: Frame, t: float, origin: tuple[float, float] = (0.03, 0.08)) -> Frame:
    """Frame with a burned-in OSD clock for time `t` (seconds), as cameras draw it.

    origin: text baseline position in fractions of width and height.
    """
    out = frame.copy()
    height, width = out.shape[:2]
    scale = width / 640 * 0.7
    thickness = max(1, round(width / 640 * 2))
    position = (round(origin[0] * width), round(origin[1] * height))
    text = timestamp_text(t)
    black: tuple[int, ...] = (0, 0, 0) if out.ndim == 3 else (0,)
    white: tuple[int, ...] = (255, 255, 255) if out.ndim == 3 else (255,)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(out, text, position, font, scale, black, thickness + 2, cv2.LINE_AA)
    cv2.putText(out, text, position, font, scale, white, thickness, cv2.LINE_AA)
    return out


def frozen(still: Frame, t: float) -> Frame:
    """A frozen encoder: the same picture every time, but its clock overlay keeps ticking."""
    return draw_timestamp(still, t)


def black(frame: Frame, level: int = 0) -> Frame:
    """A black 'no video' screen of the frame's shape."""
    return np.full_like(frame, level)


def no_signal_screen(frame: Frame, bgr: tuple[int, int, int] = (160, 32, 0)) -> Frame:
    """A solid 'no video' screen (blue by default) with a caption, like NVRs show."""
    out = np.empty_like(frame)
    out[...] = np.asarray(bgr if frame.ndim == 3 else (int(np.mean(bgr)),), dtype=np.uint8)
    height, width = frame.shape[:2]
    white: tuple[int, ...] = (255, 255, 255) if frame.ndim == 3 else (255,)
    cv2.putText(
        out,
        "NO VIDEO",
        (width // 3, height // 2),
        cv2.FONT_HERSHEY_SIMPLEX,
        width / 640,
        white,
        2,
        cv2.LINE_AA,
    )
    return out


def exposure(frame: Frame, gain: float, offset: float = 0.0) -> Frame:
    """Brightness scaled by `gain` plus `offset`, clipped like a sensor clips."""
    return _clip(frame.astype(np.float32) * gain + offset)


def overexpose(frame: Frame, gain: float = 2.6, offset: float = 60.0) -> Frame:
    """Blown-out picture: exposure stuck high, most of the frame saturated."""
    return exposure(frame, gain, offset)


def darken(frame: Frame, gain: float = 0.12) -> Frame:
    """Underexposed picture (failed IR illuminator, closed iris)."""
    return exposure(frame, gain)


def colour_cast(frame: Frame, bgr_gain: tuple[float, float, float] = (1.0, 0.75, 1.5)) -> Frame:
    """Per-channel gains, as a failed IR-cut filter or white balance produces."""
    if frame.ndim != 3:
        raise ValueError("a colour cast needs a BGR frame")
    return _clip(frame.astype(np.float32) * np.asarray(bgr_gain, dtype=np.float32))


def gaussian_noise(frame: Frame, sigma: float, rng: np.random.Generator) -> Frame:
    """Additive sensor noise of standard deviation `sigma` levels."""
    noise = rng.normal(0.0, sigma, size=frame.shape).astype(np.float32)
    return _clip(frame.astype(np.float32) + noise)


def jpeg(frame: Frame, quality: int) -> Frame:
    """Round trip through JPEG at `quality` (1..100), as a starved encoder produces."""
    ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("JPEG encoding failed")
    flag = cv2.IMREAD_COLOR if frame.ndim == 3 else cv2.IMREAD_GRAYSCALE
    return np.asarray(cv2.imdecode(encoded, flag), dtype=np.uint8)


def illumination(frame: Frame, gain: float) -> Frame:
    """Global lighting change (cloud, auto-exposure step): every pixel scaled by `gain`."""
    return exposure(frame, gain)


def rain(frame: Frame, rng: np.random.Generator, drops: int = 400, length: float = 0.05) -> Frame:
    """Rain streaks: short, thin, slanted bright lines blended over the scene.

    drops: streak count at 640x360 (scaled with the area); length: streak length
    as a fraction of the frame height.
    """
    height, width = frame.shape[:2]
    count = max(1, round(drops * width * height / (640 * 360)))
    layer = np.zeros((height, width), dtype=np.float32)
    xs = rng.integers(0, width, size=count)
    ys = rng.integers(0, height, size=count)
    span = max(2, round(length * height))
    for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
        cv2.line(layer, (x, y), (x + span // 5, y + span), 1.0, 1, cv2.LINE_AA)
    layer = cv2.GaussianBlur(layer, (3, 3), 0) * 0.35
    base = frame.astype(np.float32)
    if frame.ndim == 3:
        layer = layer[:, :, None]
    return _clip(base + layer * (235.0 - base))
