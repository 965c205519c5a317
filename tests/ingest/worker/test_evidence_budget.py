"""The cameras' last good pictures stay within the worker's memory budget: a camera that
holds one swaps it for the newer, a new camera is refused once the budget is spent, and
forgetting a camera (its lease moved away) gives its bytes back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from ingest.analysis.health_codes import HealthVerdict
from ingest.probing.judged import Judged, SeenPicture
from ingest.stores.evidence import EvidenceBounds, EvidenceStore
from ingest.worker.evidence import EvidenceKeeper

AT = datetime(2026, 11, 27, 8, tzinfo=UTC)
GOOD = HealthVerdict(raised=(), cleared=(), active=(), measured=(), learning=False)


def good(size: int) -> Judged:
    return Judged(AT, GOOD, SeenPicture(b"\xff" * size))


def keeper(tmp_path: Path, budget: int) -> EvidenceKeeper:
    store = EvidenceStore(tmp_path, EvidenceBounds(hold_max_bytes=budget), lambda: AT)
    return EvidenceKeeper(store)


def test_the_budget_refuses_new_cameras_but_lets_holders_swap(tmp_path: Path) -> None:
    kept = keeper(tmp_path, budget=1_000)

    async def feed() -> None:
        await kept.reference("a", good(600))
        await kept.reference("b", good(300))
        await kept.reference("c", good(200))  # 1,100 > 1,000: refused
        await kept.reference("a", good(650))  # a swaps 600 for 650: 950, allowed
        await kept.reference("a", good(800))  # 1,100 is over, but a camera keeps its own

    asyncio.run(feed())
    assert kept.held_bytes() == 1_100
    assert kept.over_budget == 1
    kept.forget(["a", "unknown"])
    assert kept.held_bytes() == 300
    asyncio.run(kept.reference("c", good(200)))
    assert kept.held_bytes() == 500


def test_nothing_is_held_when_evidence_is_off() -> None:
    kept = EvidenceKeeper(None)
    asyncio.run(kept.reference("a", good(600)))
    assert kept.held_bytes() == 0
