"""Two alert-service processes open cases for the same storms at once (PostgreSQL only)."""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter

import pytest
from sqlalchemy import func, select

from alerts.cases.models import Case, CaseAlert
from registry.db import SessionFactory
from tests.alerts.cases.race_worker import race

STORMS = 40


def test_two_processes_never_open_two_cases_for_one_fingerprint(league: SessionFactory) -> None:
    engine = league.kw["bind"]
    if engine.dialect.name != "postgresql":
        pytest.skip(
            "needs PostgreSQL (SQLite serializes writers, so there is no race): "
            "set GRIDWATCH_TEST_DATABASE_URL"
            if not os.environ.get("GRIDWATCH_TEST_DATABASE_URL")
            else "this parametrization is SQLite; the PostgreSQL one runs the race"
        )
    url = engine.url.render_as_string(hide_password=False)
    fingerprints = [f"150402001:storm-{n}" for n in range(STORMS)]
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    workers = [
        context.Process(target=race, args=(url, w, fingerprints, barrier, results)) for w in (1, 2)
    ]
    for process in workers:
        process.start()
    outcomes = dict(results.get(timeout=240) for _ in workers)
    for process in workers:
        process.join(timeout=30)
        assert process.exitcode == 0
    first, second = outcomes[1], outcomes[2]

    with league() as session:
        per_fingerprint = Counter(session.scalars(select(Case.fingerprint)))
        links = session.scalar(select(func.count()).select_from(CaseAlert))
    assert set(per_fingerprint) == set(fingerprints)
    assert max(per_fingerprint.values()) == 1
    assert links == 2 * STORMS
    results = Counter(result.split(":")[0] for result, _ in first + second)
    assert results == {"opened": STORMS, "linked": STORMS}
    for (_, a), (_, b) in zip(first, second, strict=True):
        assert a == b  # both processes point at the same case
    collided = sum(1 for result, _ in first + second if result == "linked:urgent-now")
    print(f"{collided} of {STORMS} storms hit the unique index (the rest saw the case first)")
