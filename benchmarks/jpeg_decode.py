"""Cost of decoding one camera snapshot: full colour against OpenCV's reduced JPEG decode.

The baseline is `cv2.imdecode(buf, IMREAD_COLOR)` on a 1280×720 JPEG, the obvious way.
The reduced modes let libjpeg skip most of the IDCT work (scaled DCT) and, for gray,
the chroma planes entirely. The snapshot source does one reduced gray decode plus one
1/8 colour thumbnail; that pair is measured too. The picture is a frame of a real clip
(../shared/data/clips) upscaled to 1280×720, or a synthetic scene when the clips are
absent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from benchmarks.http_clients import synthetic_jpeg

Report = Callable[[str], None]
CLIP = Path(__file__).resolve().parents[2] / "shared" / "data" / "clips" / "traffic-640x360.avi"

Buffer = npt.NDArray[np.uint8]


def _imdecode(buf: Buffer, flag: int) -> Buffer:
    image = cv2.imdecode(buf, flag)
    if image is None:
        raise RuntimeError("OpenCV could not decode the test picture")
    return np.asarray(image, dtype=np.uint8)


def _decode(flag: int) -> Callable[[Buffer], list[tuple[int, ...]]]:
    def decode(buf: Buffer) -> list[tuple[int, ...]]:
        return [_imdecode(buf, flag).shape]

    return decode


def _gray_4_plus_colour_8(buf: Buffer) -> list[tuple[int, ...]]:
    gray = _imdecode(buf, cv2.IMREAD_REDUCED_GRAYSCALE_4)
    thumb = _imdecode(buf, cv2.IMREAD_REDUCED_COLOR_8)
    return [gray.shape, thumb.shape]


def _colour_4_then_gray_and_thumb(buf: Buffer) -> list[tuple[int, ...]]:
    colour = _imdecode(buf, cv2.IMREAD_REDUCED_COLOR_4)
    gray = cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY)
    half = (colour.shape[1] // 2, colour.shape[0] // 2)
    thumb = cv2.resize(colour, half, interpolation=cv2.INTER_AREA)
    return [gray.shape, thumb.shape]


MODES: dict[str, Callable[[Buffer], list[tuple[int, ...]]]] = {
    "full_colour": _decode(cv2.IMREAD_COLOR),
    "full_gray": _decode(cv2.IMREAD_GRAYSCALE),
    "reduced_gray_2": _decode(cv2.IMREAD_REDUCED_GRAYSCALE_2),
    "reduced_gray_4": _decode(cv2.IMREAD_REDUCED_GRAYSCALE_4),
    "reduced_gray_8": _decode(cv2.IMREAD_REDUCED_GRAYSCALE_8),
    "reduced_colour_4": _decode(cv2.IMREAD_REDUCED_COLOR_4),
    "reduced_colour_8": _decode(cv2.IMREAD_REDUCED_COLOR_8),
    "gray_4_plus_colour_8": _gray_4_plus_colour_8,
    "colour_4_then_gray_and_thumb": _colour_4_then_gray_and_thumb,
}


def test_picture(width: int, height: int) -> tuple[bytes, str]:
    """A 1280×720-style JPEG from a real clip frame when present, else a synthetic one."""
    capture = cv2.VideoCapture(str(CLIP))
    try:
        for _ in range(30):
            capture.grab()
        ok, frame = capture.read()
    finally:
        capture.release()
    if not ok:
        return synthetic_jpeg(width, height), "synthetic"
    frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_CUBIC)
    ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:
        raise RuntimeError("OpenCV could not encode the test picture")
    return bytes(encoded), CLIP.name


def _time_mode(buf: Buffer, decode: Callable[[Buffer], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeats):
            decode(buf)
        best = min(best, (time.perf_counter() - start) / repeats)
    return best


def run(
    width: int = 1280, height: int = 720, repeats: int = 200, report: Report = print
) -> dict[str, Any]:
    """Milliseconds per decode for each mode (best of five rounds) and the ratio to full colour."""
    cv2.setNumThreads(1)
    body, origin = test_picture(width, height)
    buf = np.frombuffer(body, dtype=np.uint8)
    report(
        f"{width}×{height} JPEG, {len(body) / 1000:.0f} kB, from {origin}; {repeats} decodes/mode"
    )
    figures: dict[str, Any] = {"width": width, "height": height, "jpeg_bytes": len(body)}
    baseline = 0.0
    for name, decode in MODES.items():
        seconds = _time_mode(buf, decode, repeats)
        baseline = baseline or seconds
        shapes = decode(buf)
        figures[name] = {
            "ms": round(seconds * 1000, 3),
            "speedup_vs_full_colour": round(baseline / seconds, 1),
            "shapes": shapes,
        }
        report(f"{name:>28}: {seconds * 1000:7.3f} ms  ×{baseline / seconds:4.1f}  {shapes}")
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run()))
