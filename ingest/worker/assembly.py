"""Assembling an ingest worker from settings: publisher and spool, HTTP pool, analysis, runtime."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from config.clock import utc_now
from config.settings import Settings
from ingest.analysis.health import HealthChecker
from ingest.analysis.health_config import HealthConfig
from ingest.fleet.leases import LeaseManager, lease_config
from ingest.probing.analysis_pool import AnalysisPool
from ingest.probing.checkers import restore_checker
from ingest.probing.sampling import CheckerFactory
from ingest.probing.state import ProbePolicy
from ingest.publishing.publisher import Publisher, PublisherOptions
from ingest.publishing.spool import Spool
from ingest.sources.http_client import HttpClient, HttpLimits, HttpTimeouts
from ingest.sources.jpeg import DecodeOptions
from ingest.stores.evidence import EvidenceBounds, EvidenceStore, evidence_root
from ingest.worker.loop import IngestRuntime, RuntimeConfig
from registry.db import SessionFactory


def checker_factory(config: HealthConfig) -> CheckerFactory:
    def make(camera_id: str, saved: dict[str, Any] | None) -> HealthChecker:
        return restore_checker(camera_id, saved, config)

    return make


def runtime_config(settings: Settings) -> RuntimeConfig:
    timeout = settings.probe_timeout_s
    return RuntimeConfig(
        policy=ProbePolicy(
            interval_s=settings.probe_interval_s,
            offline_after=settings.offline_after_failures,
            backoff_max_s=max(settings.probe_backoff_max_s, settings.probe_interval_s),
        ),
        timeouts=HttpTimeouts(connect_s=min(3.0, timeout), read_s=timeout, total_s=timeout),
        max_concurrent_probes=settings.max_concurrent_probes,
        renew_every_s=settings.lease_ttl_s / 3,
        per_uplink=settings.per_uplink,
        motion_watch_max=settings.motion_watch_max,
    )


@contextmanager
def running_publisher(settings: Settings, mqtt_url: str) -> Iterator[Publisher]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    spool_path = settings.data_dir / f"spool-{settings.worker_id}.sqlite"
    options = PublisherOptions(worker_id=settings.worker_id, topic_prefix=settings.topic_prefix)
    with Spool(spool_path) as spool, Publisher(mqtt_url, spool, options) as publisher:
        yield publisher


def evidence_store(settings: Settings) -> EvidenceStore | None:
    if settings.evidence_keep_per_camera == 0:
        return None
    bounds = EvidenceBounds(
        settings.evidence_keep_per_camera,
        settings.evidence_max_age_s,
        settings.evidence_hold_max_mb * 1024**2,
    )
    return EvidenceStore(evidence_root(settings.data_dir), bounds, utc_now)


def build_runtime(
    settings: Settings,
    factory: SessionFactory,
    publisher: Publisher,
    *,
    health: HealthConfig | None = None,
    config: RuntimeConfig | None = None,
) -> tuple[IngestRuntime, HttpClient]:
    """Call inside the running event loop (the HTTP pool binds to it)."""
    http = HttpClient(HttpLimits(per_host=settings.http_per_host), worker_id=settings.worker_id)
    pool, threads = None, None
    if settings.analysis_processes > 0:
        pool = AnalysisPool(settings.analysis_processes, health or HealthConfig(), DecodeOptions())
    elif settings.analysis_threads > 0:
        threads = ThreadPoolExecutor(settings.analysis_threads, thread_name_prefix="analysis")
    runtime = IngestRuntime(
        config or runtime_config(settings),
        factory,
        publisher,
        LeaseManager(factory, settings.worker_id, utc_now, lease_config(settings.lease_ttl_s)),
        checker_factory(health or HealthConfig()),
        http=http,
        wall_clock=utc_now,
        analysis_pool=pool,
        analysis_executor=threads,
        evidence=evidence_store(settings),
    )
    return runtime, http
