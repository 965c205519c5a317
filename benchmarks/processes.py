"""Side processes for benchmarks (the simulator, a broker) and the CPU they use."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def side_process(
    args: list[str], ready: str, timeout_s: float = 120.0
) -> Iterator[subprocess.Popen[str]]:
    """Start `python ARGS`, wait for a line containing `ready` on its stdout, stop it after."""
    process = subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    deadline = time.monotonic() + timeout_s
    seen: list[str] = []
    assert process.stdout is not None
    while True:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"{args[:3]} exited before it was ready:\n{''.join(seen[-20:])}")
        seen.append(line)
        if ready in line:
            break
        if time.monotonic() > deadline:
            process.kill()
            raise TimeoutError(f"{args[:3]} not ready after {timeout_s} s")
    # Keep reading its output so a chatty process never blocks on a full pipe.
    drain = threading.Thread(target=lambda: [None for _ in process.stdout or ()], daemon=True)
    drain.start()
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def child_pids() -> set[int]:
    me = os.getpid()
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:
            found.add(int(entry.name))
    return found


def children_cpu_seconds(exclude: set[int]) -> float:
    """CPU time of this process's live children (e.g. an analysis pool), minus `exclude`."""
    total = 0.0
    for pid in child_pids() - exclude:
        try:
            total += cpu_seconds(pid)
        except OSError:
            continue
    return total
