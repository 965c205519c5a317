"""A paced snapshot load against the simulator, as one ingest worker would drive it.

    python -m ingest.simulator.loadgen --inventory DIR --url http://127.0.0.1:8780 \\
        --rate 850 --connections 32 --seconds 30 [--server-pid PID]

Requests go out at a fixed rate (not as fast as possible) over a bounded pool of
keep-alive connections, cycling through the inventory's cameras with their
credentials. With `--server-pid` (Linux) it also reports the server's CPU time
per request, read from /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from ingest.schedule.percentiles import percentile
from ingest.simulator.catalog import SimCamera, load_cameras


@dataclass(frozen=True, slots=True)
class LoadReport:
    sent: int
    seconds: float
    statuses: dict[str, int]
    p50_ms: float
    p99_ms: float
    bytes_received: int
    server_cpu_s: float | None

    def lines(self) -> list[str]:
        rate = self.sent / self.seconds
        out = [
            f"{self.sent} requests in {self.seconds:.1f} s = {rate:.0f} req/s",
            f"statuses {self.statuses}",
            f"latency p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms; "
            f"{self.bytes_received / self.sent / 1024:.0f} KiB per response",
        ]
        if self.server_cpu_s is not None:
            share = 100 * self.server_cpu_s / self.seconds
            per_request = 1e6 * self.server_cpu_s / self.sent
            out.append(
                f"server CPU {self.server_cpu_s:.2f} s = {share:.1f} % of one core, "
                f"{per_request:.0f} µs per request"
            )
        return out


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run_load(
    cameras: list[SimCamera],
    base_url: str,
    *,
    rate: float,
    connections: int,
    seconds: float,
    server_pid: int | None = None,
) -> LoadReport:
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    received = 0
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)

    async def one(session: aiohttp.ClientSession, camera: SimCamera) -> None:
        nonlocal received
        headers = {}
        if camera.needs_auth:
            headers["Authorization"] = "Basic " + camera.basic_credentials().decode()
        started = time.perf_counter()
        try:
            async with session.get(
                f"{base_url}/cam/{camera.camera_id}/snapshot.jpg", headers=headers
            ) as response:
                body = await response.read()
                statuses[str(response.status)] += 1
                received += len(body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            statuses[type(exc).__name__] += 1
        latencies.append(time.perf_counter() - started)

    total = int(rate * seconds)
    cpu_before = process_cpu_seconds(server_pid) if server_pid else None
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = time.perf_counter()
        tasks = []
        for n in range(total):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(session, cameras[n % len(cameras)])))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    cpu = None
    if server_pid is not None and cpu_before is not None:
        cpu = process_cpu_seconds(server_pid) - cpu_before
    ordered = sorted(latencies)
    return LoadReport(
        sent=total,
        seconds=elapsed,
        statuses=dict(statuses),
        p50_ms=1000 * statistics.median(ordered),
        p99_ms=1000 * percentile(ordered, 0.99),
        bytes_received=received,
        server_cpu_s=cpu,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inventory", type=Path, required=True)
    parser.add_argument("--url", default="http://127.0.0.1:8780")
    parser.add_argument("--rate", type=float, default=850.0, help="requests per second")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--server-pid", type=int, default=None)
    args = parser.parse_args()
    cameras = list(load_cameras(args.inventory).values())
    report = asyncio.run(
        run_load(
            cameras,
            args.url.rstrip("/"),
            rate=args.rate,
            connections=args.connections,
            seconds=args.seconds,
            server_pid=args.server_pid,
        )
    )
    print("\n".join(report.lines()))


if __name__ == "__main__":
    main()
