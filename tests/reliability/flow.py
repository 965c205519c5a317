"""What the reliability scenarios watch: a steady flow of events from flapping cameras,
every event on the broker by worker and `seq`, and what the database says was stored
and probed."""

from __future__ import annotations

import csv
import json
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.bus.mqtt_helpers import Recorder
from tests.processes import query

FLAP_ON_S = 3.0  # each window a flapping camera answers nothing (TCP reset)
FLAP_EVERY_S = 6.0


def camera_ids(inventory: Path) -> list[str]:
    with (inventory / "cameras.csv").open(newline="") as rows:
        return [row["id"] for row in csv.DictReader(rows)]


def _control(simulator_url: str, path: str, body: object | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    method = "GET" if body is None else "POST"
    request = urllib.request.Request(f"{simulator_url}{path}", data=data, method=method)  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - our simulator
        return json.load(answer)


def flap(simulator_url: str, cameras: list[str], for_s: float) -> None:
    """Make `cameras` drop out for FLAP_ON_S every FLAP_EVERY_S, staggered, for `for_s`:
    each window is a camera.offline and a camera.online (GRIDWATCH_OFFLINE_AFTER_FAILURES=1),
    so events keep flowing whatever else happens."""
    elapsed = float(_control(simulator_url, "/control/faults")["elapsed_s"])
    rules = []
    for index, camera in enumerate(cameras):
        start = elapsed + 1 + index * FLAP_EVERY_S / len(cameras)
        while start < elapsed + for_s:
            window = {"start": round(start, 3), "end": round(start + FLAP_ON_S, 3)}
            rules.append({"kind": "offline", "camera": camera, "mode": "reset", **window})
            start += FLAP_EVERY_S
    _control(simulator_url, "/control/faults", rules)


@dataclass(frozen=True, slots=True)
class Sent:
    """One event as the broker delivered it."""

    worker_id: str
    seq: int
    camera_id: str
    type: str
    ts: datetime


def sent_events(recorder: Recorder) -> list[Sent]:
    events = []
    for delivery in recorder.received("/v1/events/"):
        event = json.loads(delivery.payload)
        events.append(Sent(event["worker_id"], int(event["seq"]), event["camera_id"],
                           event["type"], datetime.fromisoformat(event["ts"])))  # fmt: skip
    return events


def stored_events(database: str) -> list[tuple[str, int]]:
    """(worker, seq) of every row the alert service stored, one per row."""
    rows = query(database, "SELECT worker_id, seq FROM alert_events")
    return [(str(worker), int(seq)) for worker, seq in rows]  # type: ignore[call-overload]


def probed_since(database: str, since: datetime) -> int:
    """Cameras whose latest probe, as ingest wrote it, is later than `since`."""
    rows = query(database, "SELECT last_probe_at FROM camera_health")
    return sum(1 for (at,) in rows if _utc(at) > since)


def _utc(value: object) -> datetime:
    assert isinstance(value, datetime), value
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def probers(simulator_url: str) -> dict[str, list[tuple[float, str]]]:
    """Per camera, each time a different worker started probing it (the simulator's log)."""
    document = _control(simulator_url, "/control/probers")
    cameras: dict[str, list[list[Any]]] = document["cameras"]
    return {camera: [(float(t), str(w)) for t, w in seen] for camera, seen in cameras.items()}
