"""Cost of one RTSP health sample (a decoded key frame), fresh or on a kept-open stream.

Needs GStreamer's RTSP server for the system Python (`.ci/install-rtsp-deps`); the
server is tests/ingest/sources/rtsp_server.py in `--camera-gop` mode, so a client
joining the stream waits for the next key frame of a fixed GOP, as with a real
camera. A second client keeps the shared stream running the whole time.

Figures: wall time and CPU (this process, all threads: PyAV's included) per sample
for open → first key frame → close, alone and with several in parallel; and for a
kept-open stream, CPU per second of streaming (demuxing every packet, decoding key
frames only). The server's own CPU is not counted.
"""

from __future__ import annotations

import asyncio
import os
import select
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.sources import RtspSource, RtspTimeouts

Report = Callable[[str], None]
SERVER = Path(__file__).resolve().parents[1] / "tests" / "ingest" / "sources" / "rtsp_server.py"
TIMEOUTS = RtspTimeouts(open_s=5, read_s=5, keyframe_s=10)
KEEPER = (
    "import sys, av\n"
    "c = av.open(sys.argv[1], options={'rtsp_transport': 'tcp'}, timeout=(5, 5))\n"
    "for _ in c.demux(): pass\n"
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _start_server(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        ["/usr/bin/python3", str(SERVER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 20)
    line = process.stdout.readline() if ready else ""
    if not line.startswith("READY "):
        process.kill()
        raise RuntimeError(
            f"RTSP server did not start ({line.strip()!r}): run .ci/install-rtsp-deps"
        )
    _, port, path = line.split()
    return process, f"rtsp://127.0.0.1:{port}{path}"


async def _fresh_samples(url: str, count: int, parallel: int) -> dict[str, float]:
    executor = ThreadPoolExecutor(max_workers=parallel)
    walls: list[float] = []

    async def one() -> None:
        source = RtspSource(url, clock=_utc_now, timeouts=TIMEOUTS, executor=executor)
        started = time.perf_counter()
        await source.sample()
        walls.append(time.perf_counter() - started)

    semaphore = asyncio.Semaphore(parallel)

    async def limited() -> None:
        async with semaphore:
            await one()

    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(limited() for _ in range(count)))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    executor.shutdown()
    return {
        "samples": count,
        "parallel": parallel,
        "wall_ms_p50": round(statistics.median(walls) * 1000, 1),
        "wall_ms_max": round(max(walls) * 1000, 1),
        "cpu_ms_per_sample": round(cpu / count * 1000, 2),
        "samples_per_s": round(count / wall, 2),
    }


async def _kept_open(url: str, seconds: float) -> dict[str, float]:
    source = RtspSource(url, clock=_utc_now, timeouts=TIMEOUTS)
    await source.recv()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    frames = 0
    while time.perf_counter() - wall0 < seconds:
        await source.recv()
        frames += 1
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    await source.aclose()
    return {
        "key_frames": frames,
        "seconds": round(wall, 1),
        "cpu_ms_per_s_of_stream": round(cpu / wall * 1000, 2),
        "cpu_ms_per_key_frame": round(cpu / max(frames, 1) * 1000, 2),
    }


def run(
    samples: int = 12, seconds: float = 8.0, gop_s: float = 2.0, report: Report = print
) -> dict[str, Any]:
    """Figures for 640×360 and 1280×720 streams at 25 fps with a `gop_s` GOP."""
    figures: dict[str, Any] = {"gop_s": gop_s, "cpu_count": os.cpu_count()}
    for width, height in ((640, 360), (1280, 720)):
        key_int = str(round(25 * gop_s))
        size = ["--width", str(width), "--height", str(height), "--fps", "25"]
        process, url = _start_server(*size, "--key-int", key_int, "--camera-gop")
        # The keeper runs in another process so that its CPU is not counted here.
        keeper = subprocess.Popen([sys.executable, "-c", KEEPER, url])
        try:
            time.sleep(1.0)

            async def measure(url: str = url) -> dict[str, Any]:
                return {
                    "fresh_sequential": await _fresh_samples(url, samples, 1),
                    "fresh_parallel_8": await _fresh_samples(url, samples * 2, 8),
                    "kept_open": await _kept_open(url, seconds),
                }

            name = f"{width}x{height}"
            figures[name] = asyncio.run(measure())
            report(f"{name}: {figures[name]}")
        finally:
            keeper.kill()
            keeper.wait(10)
            process.terminate()
            process.wait(10)
            if process.stdout is not None:
                process.stdout.close()
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run()))
