"""A saved baseline that cannot be restored is relearned, never fatal; a dead analysis
process is replaced so the next probe runs."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from concurrent.futures.process import BrokenProcessPool

import cv2
import numpy as np
import pytest

from ingest.analysis.health import HealthChecker
from ingest.analysis.health_config import HealthConfig
from ingest.probing.analysis_pool import AnalysisPool
from ingest.probing.checkers import restore_checker
from ingest.sources.jpeg import DecodeOptions


def _learned_state() -> dict[str, object]:
    checker = HealthChecker(HealthConfig())
    rng = np.random.default_rng(1)
    scene = cv2.GaussianBlur(rng.integers(0, 255, (180, 320), dtype=np.uint8), (5, 5), 0)
    for n in range(8):
        noise = rng.integers(-6, 7, scene.shape)
        checker.check(np.clip(scene + noise, 0, 255).astype(np.uint8), float(n))
    return checker.state_dict()


def test_a_good_baseline_is_restored() -> None:
    restored = restore_checker("cam-1", _learned_state(), HealthConfig())
    assert not restored.learning


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: {**s, "baseline": {"reference": "not a png"}},
        lambda s: {k: v for k, v in s.items() if k != "baseline"} | {"baseline": 7},
        lambda s: {**s, "faults": {"NOT_A_FAULT": [True, 3, 0]}},
    ],
)
def test_a_damaged_baseline_is_dropped_and_relearned_with_a_warning(
    damage: object, caplog: pytest.LogCaptureFixture
) -> None:
    state = damage(_learned_state())  # type: ignore[operator]
    with caplog.at_level(logging.WARNING, logger="ingest.probing.checkers"):
        restored = restore_checker("cam-1", state, HealthConfig())
    assert restored.learning
    assert any("cam-1" in r.getMessage() and "relearning" in r.getMessage() for r in caplog.records)


def _jpeg() -> bytes:
    rng = np.random.default_rng(2)
    ok, encoded = cv2.imencode(".jpg", rng.integers(0, 255, (360, 640, 3), dtype=np.uint8))
    assert ok
    return encoded.tobytes()


def test_a_dead_analysis_process_is_replaced_and_the_next_probe_runs() -> None:
    pool = AnalysisPool(1, HealthConfig(), DecodeOptions())

    async def scenario() -> None:
        await pool.analyse("cam-1", _jpeg(), 0.0, None)
        pid = next(iter(pool._pools[0]._processes))  # the one process behind the pool
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(BrokenProcessPool):
            await pool.analyse("cam-1", _jpeg(), 1.0, None)
        verdict, size = await pool.analyse("cam-1", _jpeg(), 2.0, None)
        assert size == (640, 360)
        assert verdict.learning  # its baseline died with the process: relearned

    try:
        asyncio.run(scenario())
    finally:
        pool.close()
    assert pool.restarts == 1
