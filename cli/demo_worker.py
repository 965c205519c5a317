"""The demo's ingest worker: `python -m cli.demo_worker REPORT.json` (`gridwatch demo` starts it).

`gridwatch ingest` with the demo's judgement: faults raised within seconds instead of
minutes (`DEMO_HEALTH`) and offline after two failed probes, so the demo shows them
while the user watches. Settings come from the environment the demo sets. On SIGTERM
it stops probing, waits until the broker acknowledged every spooled message, and
writes its figures (last seq, messages still spooled) to REPORT.json for the demo's
"nothing lost" check.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

from config.logging import setup_logging
from config.settings import Settings, load_settings
from ingest.analysis.health_config import HealthConfig
from ingest.probing.state import ProbePolicy
from ingest.publishing.publisher import Publisher, PublisherOptions
from ingest.publishing.spool import Spool
from ingest.sources.http_client import HttpTimeouts
from ingest.worker.assembly import build_runtime
from ingest.worker.loop import RuntimeConfig
from registry.db import make_engine, make_session_factory
from registry.secrets import credential_cipher

# Seconds, not minutes: a stuck or covered picture is raised after three samples and
# these times; baselines are learned from three good samples. The blur threshold is
# raised from 0.72: the simulator's blur (sigma 5 at 1280 wide) reads 0.59-0.90 of the
# baseline's sharpness depending on the scene, healthy pictures 0.97-1.07.
DEMO_HEALTH = HealthConfig(
    blur_ratio=0.85,
    frozen_s=20.0,
    blurred_s=15.0,
    occluded_s=10.0,
    moved_s=15.0,
    too_dark_s=15.0,
    no_signal_s=10.0,
    learn_samples=3,
)
FLUSH_TIMEOUT_S = 30.0


def demo_runtime_config(interval_s: float) -> RuntimeConfig:
    """Offline after two failed probes. A probe may take up to 8 s (4 s at short intervals):
    a machine short of CPU makes probes late, not cameras offline."""
    total = max(4.0, min(8.0, interval_s))
    return RuntimeConfig(
        policy=ProbePolicy(interval_s=interval_s, offline_after=2, backoff_max_s=2 * interval_s),
        timeouts=HttpTimeouts(connect_s=total / 2, read_s=total * 0.75, total_s=total),
        renew_every_s=5,
        flush_every_s=2,
        motion_watch_max=0,
    )


async def _probe_until_stopped(settings: Settings, publisher: Publisher) -> dict[str, Any]:
    engine = make_engine(settings.resolved_database_url)
    factory = make_session_factory(engine, credential_cipher(settings))
    runtime, http = build_runtime(
        settings,
        factory,
        publisher,
        health=DEMO_HEALTH,
        config=demo_runtime_config(settings.probe_interval_s),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(f"probing every {settings.probe_interval_s:g} s", flush=True)
    try:
        await runtime.run(stop)
    finally:
        await http.aclose()
        engine.dispose()
    return runtime.snapshot()


def main(report_path: Path) -> int:
    settings = load_settings()
    setup_logging("WARNING", json_lines=settings.log_json)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    spool_path = settings.data_dir / f"spool-{settings.worker_id}.sqlite"
    options = PublisherOptions(worker_id=settings.worker_id, topic_prefix=settings.topic_prefix)
    with (
        Spool(spool_path) as spool,
        Publisher(settings.resolved_mqtt_url or "", spool, options) as publisher,
    ):
        figures = asyncio.run(_probe_until_stopped(settings, publisher))
        drained = publisher.flush(FLUSH_TIMEOUT_S)
        counters = spool.counters()
    report = {
        **figures,
        "last_seq": counters.last_seq,
        "spooled": counters.pending,
        "drained": drained,
    }
    report_path.write_text(json.dumps(report), encoding="utf-8")
    print(
        f"stopped: {figures['probes']} probes, {counters.last_seq} events published, "
        f"spool {'empty' if counters.pending == 0 else f'holds {counters.pending}'}",
        flush=True,
    )
    return 0 if drained else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
