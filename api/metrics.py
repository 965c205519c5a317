"""Prometheus metrics of one app: request latency per route template, and fleet gauges
read from the database at scrape time (nothing cached that could go stale).

Each app has its own `CollectorRegistry` (no process-global state), so several apps in
one process (tests) do not clash.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response

from api.context import Clock
from ingest.fleet.report import fleet_report
from ingest.stores.tables import CameraHealth
from registry.db import SessionFactory
from registry.models import Camera

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STATUSES = ("online", "degraded", "offline", "unknown")


class FleetCollector(Collector):
    """Worker load and camera status, queried when Prometheus scrapes."""

    def __init__(self, factory: SessionFactory, clock: Clock) -> None:
        self._factory = factory
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        report = fleet_report(self._factory, self._clock())
        probes = GaugeMetricFamily(
            "gridwatch_worker_probes_per_second",
            "Probes per second of each live ingest worker at its last heartbeat.",
            labels=["worker"],
        )
        lateness = GaugeMetricFamily(
            "gridwatch_worker_p99_lateness_seconds",
            "99th percentile of how late each live worker's probes started.",
            labels=["worker"],
        )
        for worker in report.workers:
            if worker.live:
                probes.add_metric([worker.worker_id], worker.probes_per_s)
                lateness.add_metric([worker.worker_id], worker.p99_lateness_s)
        yield probes
        yield lateness
        cameras = GaugeMetricFamily(
            "gridwatch_cameras", "Enabled cameras by current health status.", labels=["status"]
        )
        with self._factory() as session:
            counts: dict[str, int] = {
                status or "unknown": int(count)
                for status, count in session.execute(
                    select(CameraHealth.status, func.count())
                    .select_from(Camera)
                    .outerjoin(CameraHealth, CameraHealth.camera_id == Camera.id)
                    .where(Camera.enabled.is_(True))
                    .group_by(CameraHealth.status)
                ).all()
            }
        for status in STATUSES:
            cameras.add_metric([status], float(counts.get(status, 0)))
        yield cameras


class ApiMetrics:
    def __init__(self, factory: SessionFactory, clock: Clock) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.latency = Histogram(
            "gridwatch_api_request_seconds",
            "API request latency by route template, method and status.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(FleetCollector(factory, clock))

    def render(self) -> bytes:
        return generate_latest(self.registry)

    async def middleware(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        start = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = request.scope.get("route")
            # The template, never the raw path: one series per route, not per camera id.
            template = getattr(route, "path", None) or "unmatched"
            self.latency.labels(request.method, template, str(status)).observe(
                time.perf_counter() - start
            )
