"""`gridwatch bench api` at a small size, so that it keeps running: every figure is
produced and the feed reaches every client. Speed is never asserted here."""

from __future__ import annotations

import os

import pytest

from benchmarks import api
from tests.conftest import TEST_DB_ENV


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_bench_api_runs_at_a_small_size(backend: str) -> None:
    database_url = os.environ.get(TEST_DB_ENV) if backend == "postgresql" else None
    if backend == "postgresql" and database_url is None:
        pytest.skip(f"{TEST_DB_ENV} not set")
    lines: list[str] = []
    figures = api.run(
        cameras=200, requests=10, database_url=database_url, report=lines.append,
        alerts=api.DEEP_ROWS + 2 * api.QUEUE_PAGE, ws_clients=6,
    )  # fmt: skip
    assert figures["bench"] == "api"
    assert figures["database"] == backend
    assert figures["alerts"] == api.DEEP_ROWS + 2 * api.QUEUE_PAGE
    assert figures["ws_clients"] == 6
    for key in ("queue_p99_ms", "queue_deep_p99_ms", "baseline_offset_deep_p99_ms", "ws_p99_ms"):
        assert figures[key] > 0, key
    assert any(line.startswith("feed: a new alert reached 6 WebSocket clients") for line in lines)
