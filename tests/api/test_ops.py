"""/healthz, /readyz (database and broker) and /metrics (per-route latency, fleet gauges)."""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from config.settings import Settings
from ingest.stores.tables import IngestWorker
from registry.db import SessionFactory, transaction
from tests.api.conftest import FakeClock, Tokens


def test_healthz_and_readyz_without_a_broker(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "broker": "not configured"}


def test_readyz_checks_the_configured_broker(
    tree: SessionFactory, tmp_path: Path, clock: FakeClock, mqtt_url: str
) -> None:
    settings = Settings(data_dir=tmp_path / "data", mqtt_url=mqtt_url)
    with TestClient(create_app(settings, tree, clock)) as up:
        assert up.get("/readyz").json()["checks"]["broker"] == "ok"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings = Settings(data_dir=tmp_path / "data", mqtt_url=f"mqtt://127.0.0.1:{closed_port}")
    with TestClient(create_app(settings, tree, clock)) as down:
        response = down.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"]["broker"].startswith("unreachable")


def test_metrics_need_a_token_and_show_routes_and_the_fleet(
    client: TestClient, tokens: Tokens, cameras: dict[str, str], tree: SessionFactory,
    clock: FakeClock,
) -> None:  # fmt: skip
    with transaction(tree) as session:
        session.add(
            IngestWorker(
                worker_id="w1",
                started_at=clock() - timedelta(hours=1),
                last_seen=clock(),
                probes_per_s=41.5,
                p99_lateness_s=0.8,
            )
        )
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=tokens.headers("admin-a")).status_code == 403
    assert client.get("/metrics", headers=tokens.headers("operator-a")).status_code == 403
    token = client.post(
        "/api/v1/auth/tokens",
        json={"name": "prometheus", "scopes": ["metrics:read"]},
        headers=tokens.headers("root"),
    ).json()["token"]
    client.get("/api/v1/cameras/cam-a1", headers=tokens.headers("root"))
    client.get("/api/v1/cameras/cam-a2", headers=tokens.headers("root"))
    scraped = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert scraped.status_code == 200
    text = scraped.text
    series = 'gridwatch_api_request_seconds_count{method="GET",route="/api/v1/cameras/{camera_id}"'
    assert f'{series},status="200"}} 2.0' in text
    assert "cam-a1" not in text  # templates, not paths
    assert 'gridwatch_worker_probes_per_second{worker="w1"} 41.5' in text
    assert 'gridwatch_worker_p99_lateness_seconds{worker="w1"} 0.8' in text
    assert 'gridwatch_cameras{status="online"} 1.0' in text
    assert 'gridwatch_cameras{status="unknown"} 1.0' in text
