"""`gridwatch bench cases`: KPIs over a million cases, against a naive baseline.

A synthetic league's year of cases (default 1,000,000) is loaded into a scratch
database (COPY on PostgreSQL, Core executemany on SQLite), then the KPIs
(`alerts.cases.kpis`) are computed for four scopes: the whole league over the year,
a banner subtree over a quarter, a township over the year and one department over a
month. The baseline computes the same figures the obvious way: load the case and flag
rows, filter and aggregate in Python. Both must agree; the JSON line holds the slowest
scope of each.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select

from alerts.cases.kpis import Cards, Kpis, KpiScope, kpis
from alerts.cases.models import Case, CaseFlag
from benchmarks.bulk import Step, load_rows
from benchmarks.cases_data import League, case_rows, league
from benchmarks.db_size import rows_per_gb, tables_bytes
from registry.db import make_engine, make_session_factory
from registry.migrate import upgrade
from registry.models import Department, District
from registry.scratch import scratch_database_url
from registry.tree import path_range

Report = Callable[[str], None]
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
CHUNK = 50_000
REPEATS = 3


def naive_kpis(rows: Iterable[Any], flags: Iterable[Any], scope: KpiScope, now: datetime) -> Kpis:
    """The same figures from plain rows in Python (the baseline and the tests' oracle)."""
    low, high = path_range(scope.district_path) if scope.district_path else ("", "")

    def in_scope(row: Any) -> bool:
        if scope.department_id is not None and row.department_id != scope.department_id:
            return False
        return not scope.district_path or low <= row.district_path < high

    cases = [row for row in rows if in_scope(row)]
    cohort = [c for c in cases if scope.start <= c.opened_at < scope.end]
    done = [c for c in cohort if c.closed_at is not None]
    followed = [c for c in cohort if c.follow_up_result is not None]
    sign = [c.sign_for_work_s for c in cohort if c.sign_for_work_s is not None]
    resolve = [c.resolve_work_s for c in cohort if c.resolve_work_s is not None]
    paths = {c.id: c.district_path for c in cases} if scope.district_path else {}
    counts: dict[str | None, dict[str, int]] = {}
    for flag in flags:
        if not scope.start <= flag.raised_at < scope.end:
            continue
        if scope.department_id is not None and flag.department_id != scope.department_id:
            continue
        if scope.district_path and flag.case_id not in paths:
            continue
        level = counts.setdefault(flag.department_id, {})
        level[flag.level] = level.get(flag.level, 0) + 1
    return Kpis(
        opened=len(cohort),
        closed=sum(1 for c in cases if c.closed_at and scope.start <= c.closed_at < scope.end),
        closed_of_opened=len(done),
        closure_rate=len(done) / len(cohort) if cohort else None,
        on_time_rate=sum(1 for c in done if c.late_stages == 0) / len(done) if done else None,
        followed_up=len(followed),
        satisfaction_rate=(
            sum(1 for c in followed if c.follow_up_result == "satisfied") / len(followed)
            if followed
            else None
        ),
        mean_sign_for_s=statistics.fmean(sign) if sign else None,
        mean_resolve_s=statistics.fmean(resolve) if resolve else None,
        overdue_now=sum(
            1 for c in cases if c.stage_deadline is not None and c.stage_deadline < now
        ),
        cards=tuple(
            Cards(d, v.get("yellow", 0), v.get("red", 0))
            for d, v in sorted(counts.items(), key=lambda kv: kv[0] or "")
        ),
    )


def load_league(engine: Engine, place: League) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(District),
            [
                dict(code=c, name=n, level=lv, parent_code=p, path=path)
                for c, n, lv, p, path in place.districts
            ],
        )
        connection.execute(
            insert(Department),
            [
                dict(id=i, name=n, district_code=d, categories=cats)
                for i, n, d, cats in place.departments
            ],
        )


def _chunks(
    rows: Iterable[tuple[tuple[Any, ...], list[tuple[Any, ...]]]],
) -> Iterable[tuple[list[Any], list[Any]]]:
    cases: list[Any] = []
    flags: list[Any] = []
    for case, case_flags in rows:
        cases.append(case)
        flags.extend(case_flags)
        if len(cases) >= CHUNK:
            yield cases, flags
            cases, flags = [], []
    if cases:
        yield cases, flags


def load_cases(engine: Engine, place: League, count: int, report: Report) -> int:
    """Load `count` generated cases and their flags; returns the number of flags."""
    totals = {"cases": 0, "flags": 0}

    def steps() -> Iterable[Step]:
        for cases, flags in _chunks(case_rows(count, place, NOW)):
            yield [(Case, cases), (CaseFlag, flags)]
            totals["cases"] += len(cases)
            totals["flags"] += len(flags)
            if totals["cases"] % (CHUNK * 4) == 0:
                report(f"  {totals['cases']:,} cases loaded")

    load_rows(engine, steps())
    return totals["flags"]


def scopes(place: League) -> dict[str, KpiScope]:
    banner_code, banner_path = place.banners[0]
    township_path = next(path for code, _, lv, _, path in place.districts if lv == 3)
    return {
        "league_year": KpiScope(NOW - timedelta(days=365), NOW),
        "banner_quarter": KpiScope(NOW - timedelta(days=91), NOW, district_path=banner_path),
        "township_year": KpiScope(NOW - timedelta(days=365), NOW, district_path=township_path),
        "department_month": KpiScope(
            NOW - timedelta(days=30), NOW, department_id=f"maint-{banner_code}"
        ),
    }


NAIVE_FIELDS = (
    Case.id,
    Case.department_id,
    Case.district_path,
    Case.opened_at,
    Case.closed_at,
    Case.late_stages,
    Case.follow_up_result,
    Case.sign_for_work_s,
    Case.resolve_work_s,
    Case.stage_deadline,
)
FLAG_FIELDS = (CaseFlag.case_id, CaseFlag.raised_at, CaseFlag.department_id, CaseFlag.level)


def _scope_rows(scope: KpiScope) -> Any:
    """The naive way: every case of the department or subtree, the rest done in Python."""
    query = select(*NAIVE_FIELDS)
    if scope.department_id is not None:
        query = query.where(Case.department_id == scope.department_id)
    if scope.district_path is not None:
        low, high = path_range(scope.district_path)
        query = query.where(Case.district_path >= low, Case.district_path < high)
    return query


def _timed(run: Callable[[], Kpis], repeats: int) -> tuple[float, Kpis]:
    times = []
    result = run()  # warm the caches
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _same(a: Kpis, b: Kpis) -> bool:
    def close(x: float | None, y: float | None) -> bool:
        return (x is None and y is None) or (
            x is not None and y is not None and abs(x - y) <= 1e-6 * max(1, abs(y))
        )

    floats = (
        "closure_rate",
        "on_time_rate",
        "satisfaction_rate",
        "mean_sign_for_s",
        "mean_resolve_s",
    )
    ints = ("opened", "closed", "closed_of_opened", "followed_up", "overdue_now", "cards")
    return all(close(getattr(a, f), getattr(b, f)) for f in floats) and all(
        getattr(a, f) == getattr(b, f) for f in ints
    )


def measure(engine: Engine, place: League, report: Report, naive: bool = True) -> dict[str, Any]:
    factory = make_session_factory(engine)
    fast: dict[str, float] = {}
    slow: dict[str, float] = {}
    for name, scope in scopes(place).items():
        with factory() as session:
            fast[name], result = _timed(lambda s=scope, ses=session: kpis(ses, s, NOW), REPEATS)  # type: ignore[misc]
        line = (
            f"{name}: {result.opened:,} opened, closure {result.closure_rate or 0:.1%}, "
            f"on time {result.on_time_rate or 0:.1%}, {result.overdue_now:,} overdue — "
            f"{fast[name] * 1000:.0f} ms"
        )
        if naive:
            start = time.perf_counter()
            with engine.connect() as connection:
                rows = connection.execute(_scope_rows(scope)).all()
                flags = connection.execute(select(*FLAG_FIELDS)).all()
            baseline = naive_kpis(rows, flags, scope, NOW)
            slow[name] = time.perf_counter() - start
            del rows, flags
            if not _same(result, baseline):
                raise AssertionError(
                    f"{name}: KPIs differ from the naive baseline\n{result}\n{baseline}"
                )
            ratio = slow[name] / max(fast[name], 1e-9)
            line += f"; naive {slow[name]:.2f} s ({ratio:.0f}×), same figures"
        report(line)
    return {"fast": fast, "slow": slow}


def run(
    cases: int = 1_000_000, database_url: str | None = None, report: Report = print
) -> dict[str, Any]:
    place = league()
    with (
        tempfile.TemporaryDirectory(prefix="gridwatch-bench-") as tmp,
        scratch_database_url(database_url, Path(tmp), "gridwatch_bench") as url,
    ):
        engine = make_engine(url)
        upgrade(engine)
        backend = engine.dialect.name
        load_league(engine, place)
        report(f"{backend}: loading {cases:,} cases of {len(place.villages):,} villages …")
        start = time.perf_counter()
        flags = load_cases(engine, place, cases, report)
        load_s = time.perf_counter() - start
        report(f"loaded {cases:,} cases and {flags:,} supervision cards in {load_s:.1f} s")
        figures = measure(engine, place, report)
        size = tables_bytes(engine, ("cases", "case_flags", "case_events"))
        engine.dispose()
    kpi_s = max(figures["fast"].values())
    baseline_s = max(figures["slow"].values())
    report(
        f"slowest KPI scope {kpi_s * 1000:.0f} ms; "
        f"naive {baseline_s:.2f} s ({baseline_s / kpi_s:.0f}×)"
    )
    per_gb = rows_per_gb(cases, size)
    if size is not None:
        report(f"cases, cards and their indexes: {size / 1024**2:,.0f} MB, {per_gb:,} cases per GB")
    return {
        "bench": "cases",
        "cases": cases,
        "database": "postgresql" if backend == "postgresql" else "sqlite",
        "kpi_s": round(kpi_s, 4),
        "baseline_kpi_s": round(baseline_s, 3),
        "speedup": round(baseline_s / kpi_s, 1),
        "load_s": round(load_s, 1),
        "flags": flags,
        "cases_per_gb": per_gb,
        **{f"kpi_{name}_s": round(value, 4) for name, value in figures["fast"].items()},
    }
