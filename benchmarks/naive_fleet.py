"""The baseline the fleet benchmark compares against: the obvious way to watch cameras.

One thread per camera, a blocking HTTP GET per sample, a full colour JPEG decode,
then the same health checks on a picture scaled down to the same size.
"""

from __future__ import annotations

import base64
import threading
import time
import urllib.request
from dataclasses import dataclass

import cv2
import numpy as np

from ingest.analysis.health import HealthChecker
from ingest.schedule.percentiles import percentile


@dataclass(frozen=True, slots=True)
class NaiveResult:
    cameras: int
    probes: int
    cpu_s: float
    wall_s: float
    p99_lateness_s: float

    @property
    def cpu_per_probe_s(self) -> float:
        return self.cpu_s / max(self.probes, 1)


def _analyse(checker: HealthChecker, body: bytes) -> None:
    frame = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
    if frame is None:
        return
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    width = 320
    height = round(gray.shape[0] * width / gray.shape[1])
    small = cv2.resize(gray, (width, height), interpolation=cv2.INTER_AREA)
    thumb = cv2.resize(frame, (80, round(80 * height / width)), interpolation=cv2.INTER_AREA)
    checker.check(np.asarray(small, np.uint8), time.time(), color=np.asarray(thumb, np.uint8))


def _probe_loop(
    url: str, auth: str | None, interval_s: float, start: float, until: float,
    lateness: list[float], counter: list[int], lock: threading.Lock,
) -> None:  # fmt: skip
    checker = HealthChecker()
    due = start
    while due < until:
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        late = time.monotonic() - due
        request = urllib.request.Request(url)  # noqa: S310 - http URLs of our simulator
        if auth:
            request.add_header("Authorization", auth)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our simulator
                body = response.read()
            _analyse(checker, body)
        except OSError:
            pass
        with lock:
            lateness.append(late)
            counter[0] += 1
        due += interval_s


def run_naive(
    targets: list[tuple[str, str | None, str | None]], interval_s: float, duration_s: float
) -> NaiveResult:
    """targets: (snapshot URL, user, password). Every camera is probed every `interval_s`."""
    lateness: list[float] = []
    counter = [0]
    lock = threading.Lock()
    start = time.monotonic() + 0.5
    until = start + duration_s
    threads = []
    for n, (url, user, password) in enumerate(targets):
        auth = None
        if user and password:
            auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        first = start + interval_s * n / max(len(targets), 1)
        args = (url, auth, interval_s, first, until, lateness, counter, lock)
        threads.append(threading.Thread(target=_probe_loop, args=args, daemon=True))
    cpu0, wall0 = time.process_time(), time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration_s + 30)
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    return NaiveResult(len(targets), counter[0], cpu, wall, percentile(lateness, 0.99))
