"""One alert-service process of the race test (run under multiprocessing spawn)."""

from __future__ import annotations

from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from alerts.cases.calendar import BusinessCalendar
from alerts.cases.opening import open_case_for_alert
from alerts.cases.workflow import load_workflow
from registry.db import make_engine, make_session_factory
from tests.alerts.cases.conftest import NOW, alert, settings


def race(
    url: str, worker: int, fingerprints: list[str], barrier: Barrier, results: Queue[Any]
) -> None:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    workflow = load_workflow(settings(), calendar=BusinessCalendar())
    outcomes = []
    for fingerprint in fingerprints:
        barrier.wait(timeout=60)
        storm = alert(
            fingerprint,
            alert_id=f"w{worker}-{fingerprint}",
            priority="P1",
            is_group=True,
            camera_id=None,
            district_code="150402001",
        )
        outcome = open_case_for_alert(factory, workflow, storm, NOW)
        outcomes.append((f"{outcome.result}:{outcome.rule}", outcome.case_id or 0))
    engine.dispose()
    results.put((worker, outcomes))
