"""`gridwatch bench pipeline` and `gridwatch bench storm` at a small size, so that they
keep running (the storm bench once broke unnoticed when the registry began to encrypt
credentials). Counts are asserted; speed never is."""

from __future__ import annotations

import os
import shutil

import pytest

from benchmarks import pipeline, storm
from tests.conftest import TEST_DB_ENV


@pytest.fixture(params=["sqlite", "postgresql"])
def bench_database(request: pytest.FixtureRequest) -> str | None:
    if shutil.which("mosquitto") is None and not os.path.exists("/usr/sbin/mosquitto"):
        message = "the alert benches run a private Mosquitto (apt-get install mosquitto)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    if request.param == "sqlite":
        return None
    url = os.environ.get(TEST_DB_ENV)
    if url is None:
        pytest.skip(f"{TEST_DB_ENV} not set")
    return url


@pytest.mark.slow
def test_bench_pipeline_stores_every_event_once(bench_database: str | None) -> None:
    lines: list[str] = []
    figures = pipeline.run(1000, bench_database, report=lines.append)
    assert figures["bench"] == "pipeline"
    assert (figures["lost"], figures["duplicates"], figures["baseline_lost"]) == (0, 0, 0)
    assert figures["events_per_s"] > 0
    assert figures["baseline_events_per_s"] > 0
    assert figures["commits"] < 1000  # batched, unlike the baseline's commit per event
    assert any("batched / baseline" in line for line in lines)


@pytest.mark.slow
def test_bench_storm_raises_townships_not_cameras(bench_database: str | None) -> None:
    lines: list[str] = []
    figures = storm.run(800, 30.0, 20.0, bench_database, report=lines.append)
    assert figures["bench"] == "storm"
    assert figures["cameras_down"] == 800
    # Townships of fewer cameras than a group needs keep their single alerts: the
    # target allows 1 % of the cameras to show as singles at any moment.
    assert figures["peak_single_share"] <= 0.01
    assert 0 < figures["townships_affected"] <= figures["firing_alerts"]
    assert figures["firing_alerts"] <= (
        figures["townships_affected"] + storm.SEPARATE_FAULTS + figures["peak_single_alerts"]
    )
