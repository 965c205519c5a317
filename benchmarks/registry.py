"""`gridwatch bench registry`: bulk import time and district-subtree query latency.

Baselines in the same run: ORM `session.merge()` per row (the obvious way to upsert)
on a sample of the cameras, and a recursive CTE over parent links (a tree without a
materialized path) for the subtree queries.
"""

from __future__ import annotations

import gc
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from ingest.schedule.percentiles import percentile
from ingest.simulator.inventory import write_inventory
from registry.db import make_engine, make_session_factory
from registry.importer import import_cameras, import_departments, import_districts
from registry.migrate import upgrade
from registry.models import Camera, District
from registry.records import read_records
from registry.scratch import scratch_database_url
from registry.secrets import CredentialCipher
from registry.tree import cameras_under

Report = Callable[[str], None]
QUERIES_PER_LEVEL = 200
BASELINE_ROWS = 2000


@dataclass(frozen=True, slots=True)
class Latency:
    p50_ms: float
    p99_ms: float
    mean_rows: float


def _timed_queries(session: Session, paths: list[str], query: Callable[[str], Any]) -> Latency:
    times: list[float] = []
    rows: list[int] = []
    for path in paths:
        start = time.perf_counter()
        found = session.execute(query(path)).all()
        times.append((time.perf_counter() - start) * 1000)
        rows.append(len(found))
    return Latency(statistics.median(times), percentile(times, 0.99), statistics.fmean(rows))


def _recursive_cte(code: str) -> Any:
    return text(
        "WITH RECURSIVE sub(code) AS (SELECT code FROM districts WHERE code = :code "
        "UNION ALL SELECT d.code FROM districts d JOIN sub ON d.parent_code = sub.code) "
        "SELECT c.id FROM cameras c JOIN sub ON c.district_code = sub.code"
    ).bindparams(code=code)


def _merge_baseline(engine: Engine, camera_file: Path, rows: int) -> float:
    """Seconds per row for ORM merge-per-row of the first `rows` cameras into a copy."""
    factory = make_session_factory(engine)
    sample = []
    for record in read_records(camera_file, "cameras"):
        sample.append(record.fields)
        if len(sample) >= rows:
            break
    start = time.perf_counter()
    with factory() as session:
        for fields in sample:
            session.merge(
                Camera(
                    id="B" + fields["id"][1:],
                    name=fields["name"],
                    district_code=fields["district_code"],
                    snapshot_url=fields["snapshot_url"],
                    main_url=fields["main_url"],
                    tags=[],
                )
            )
            session.commit()
    return (time.perf_counter() - start) / max(len(sample), 1)


def run(
    cameras: int = 50_000, database_url: str | None = None, report: Report = print
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="gridwatch-bench-") as tmp:
        folder = Path(tmp)
        report(f"writing a simulated league of {cameras} cameras …")
        inventory = write_inventory(folder / "inventory", cameras)
        districts_csv, departments_csv, cameras_csv = inventory.files
        with scratch_database_url(database_url, folder, "gridwatch_bench") as url:
            engine = make_engine(url)
            upgrade(engine)
            factory = make_session_factory(engine, CredentialCipher.generate())
            backend = engine.dialect.name
            start = time.perf_counter()
            import_districts(factory, read_records(districts_csv, "districts"))
            import_departments(factory, read_records(departments_csv, "departments"))
            camera_start = time.perf_counter()
            import_cameras(factory, read_records(cameras_csv, "cameras"))
            import_s = time.perf_counter() - start
            cameras_s = time.perf_counter() - camera_start
            report(
                f"{backend}: imported {inventory.districts} districts and {cameras} cameras "
                f"in {import_s:.2f} s"
            )
            again = time.perf_counter()
            second = import_cameras(factory, read_records(cameras_csv, "cameras"))
            reimport_s = time.perf_counter() - again
            report(f"re-import of the same file: {second.summary()} in {reimport_s:.2f} s")

            merge_s_per_row = _merge_baseline(engine, cameras_csv, min(BASELINE_ROWS, cameras))
            merge_total = merge_s_per_row * cameras
            report(
                f"baseline ORM merge+commit per row: {merge_s_per_row * 1000:.2f} ms/row "
                f"→ {merge_total:.0f} s for {cameras}; "
                f"bulk import is {merge_total / cameras_s:.0f}× faster"
            )

            # A long-running server freezes its start-up heap (gc.freeze) so full collections
            # do not rescan it; without that a gen-2 pass lands in ~1 % of queries (+40 ms).
            gc.collect()
            gc.freeze()
            rng = random.Random(7)
            with factory() as session:
                by_level = {
                    level: list(
                        session.execute(
                            select(District.code, District.path).where(District.level == level)
                        )
                    )
                    for level in (2, 3)
                }
                results: dict[str, Latency] = {}
                baseline: dict[str, Latency] = {}
                for level, name in ((3, "township"), (2, "banner")):
                    picks = [rng.choice(by_level[level]) for _ in range(QUERIES_PER_LEVEL)]
                    _timed_queries(
                        session, [p for _, p in picks[:10]], cameras_under
                    )  # warm caches
                    results[name] = _timed_queries(session, [p for _, p in picks], cameras_under)
                    baseline[name] = _timed_queries(session, [c for c, _ in picks], _recursive_cte)
                    r, b = results[name], baseline[name]
                    report(
                        f"cameras under a {name} ({r.mean_rows:.0f} on average): "
                        f"p50 {r.p50_ms:.2f} ms, "
                        f"p99 {r.p99_ms:.2f} ms; recursive-CTE baseline p99 {b.p99_ms:.2f} ms "
                        f"({b.p99_ms / max(r.p99_ms, 1e-9):.1f}×)"
                    )
            engine.dispose()
    subtree_p99 = max(latency.p99_ms for latency in results.values())
    return {
        "bench": "registry",
        "cameras": cameras,
        "import_s": round(import_s, 3),
        "subtree_p99_ms": round(subtree_p99, 3),
        "database": "postgresql" if backend == "postgresql" else "sqlite",
        "reimport_s": round(reimport_s, 3),
        "township_p99_ms": round(results["township"].p99_ms, 3),
        "banner_p99_ms": round(results["banner"].p99_ms, 3),
        "cte_baseline_p99_ms": round(max(b.p99_ms for b in baseline.values()), 3),
        "merge_baseline_s": round(merge_total, 1),
        "speedup_vs_merge": round(merge_total / cameras_s, 1),
    }
