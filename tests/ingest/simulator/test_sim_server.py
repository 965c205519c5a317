"""The simulator over real HTTP: snapshots, credentials, MJPEG, the control API."""

from __future__ import annotations

import time

import httpx
import numpy as np

from ingest.simulator.httpauth import AuthScheme
from ingest.simulator.server import BOUNDARY, SimulatorConfig

from .conftest import SMALL, Serve, decode


def test_snapshot_is_a_jpeg_of_the_configured_size(serve: Serve) -> None:
    with serve() as running:
        response = httpx.get(running.snapshot_url(running.open_camera()))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert decode(response.content).shape == (192, 320, 3)


def test_unknown_cameras_and_paths_are_404(serve: Serve) -> None:
    with serve() as running, httpx.Client(base_url=running.url) as client:
        assert client.get("/cam/99999999999999999999/snapshot.jpg").status_code == 404
        camera = running.open_camera().camera_id
        assert client.get(f"/cam/{camera}/picture.png").status_code == 404
        assert client.get("/elsewhere").status_code == 404
        assert client.post(f"/cam/{camera}/snapshot.jpg").status_code == 405


def test_basic_credentials_are_demanded(serve: Serve) -> None:
    with serve() as running, httpx.Client() as client:
        camera = running.locked_camera()
        url = running.snapshot_url(camera)
        missing = client.get(url)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"].startswith("Basic")
        assert client.get(url, auth=(camera.username, camera.password + "x")).status_code == 401
        assert client.get(url, auth=(camera.username, camera.password)).status_code == 200
        stats = client.get(f"{running.url}/control/stats").json()
    assert stats["by_status"] == {"200": 1, "401": 2}


def test_digest_credentials_when_configured(serve: Serve) -> None:
    config = SimulatorConfig(pool=SMALL, auth=AuthScheme.DIGEST)
    with serve(config=config) as running, httpx.Client() as client:
        camera = running.locked_camera()
        url = running.snapshot_url(camera)
        good = client.get(url, auth=httpx.DigestAuth(camera.username, camera.password))
        bad = client.get(url, auth=httpx.DigestAuth(camera.username, "wrong"))
        basic = client.get(url, auth=(camera.username, camera.password))
    assert good.status_code == 200
    assert decode(good.content).shape == (192, 320, 3)
    assert bad.status_code == 401
    assert basic.status_code == 401  # digest-only cameras refuse Basic
    assert 'qop="auth"' in bad.headers["www-authenticate"]


def test_mjpeg_stream_yields_successive_parts(serve: Serve) -> None:
    config = SimulatorConfig(pool=SMALL, mjpeg_fps=20)
    with serve(config=config) as running, httpx.Client(timeout=5) as client:
        camera = running.open_camera()
        url = f"{running.url}/cam/{camera.camera_id}/mjpeg"
        parts: list[bytes] = []
        buffer = b""
        with client.stream("GET", url) as response:
            assert response.headers["content-type"].startswith("multipart/x-mixed-replace")
            for chunk in response.iter_bytes():
                buffer += chunk
                pieces = buffer.split(f"--{BOUNDARY}\r\n".encode())
                parts = [p for p in pieces[:-1] if p]
                if len(parts) >= 3:
                    running.clock.advance(1)
                    break
                running.clock.advance(1)  # each part shows the next second
    assert len(parts) >= 3
    images = [decode(part.split(b"\r\n\r\n", 1)[1]) for part in parts[:3]]
    assert all(image.shape == (192, 320, 3) for image in images)
    assert not np.array_equal(images[0], images[2])


def test_control_api_adds_lists_and_removes_faults(serve: Serve) -> None:
    with serve() as running, httpx.Client(base_url=running.url) as client:
        camera = running.open_camera().camera_id
        url = f"/cam/{camera}/snapshot.jpg"
        added = client.post(
            "/control/faults",
            json={"faults": [
                {"kind": "http_error", "camera": camera},
                {"kind": "black", "district": "1504", "start": 100},
            ]},
        )  # fmt: skip
        assert added.status_code == 201
        first, second = added.json()["ids"]
        assert client.get(url).status_code == 500
        listed = client.get("/control/faults").json()["faults"]
        assert [(f["id"], f["kind"], f["active"]) for f in listed] == [
            (first, "http_error", True),
            (second, "black", False),
        ]
        assert client.delete(f"/control/faults/{first}").status_code == 200
        assert client.delete(f"/control/faults/{first}").status_code == 404
        assert client.get(url).status_code == 200
        assert client.delete("/control/faults").json() == {"removed": 1}
        assert client.get("/control/faults").json()["faults"] == []


def test_control_api_rejects_bad_input_clearly(serve: Serve) -> None:
    with serve() as running, httpx.Client(base_url=running.url) as client:
        not_json = client.post("/control/faults", content=b"{oops")
        bad_kind = client.post("/control/faults", json={"kind": "sad", "camera": "c"})
        bad_id = client.delete("/control/faults/abc")
    assert not_json.status_code == 400
    assert "not JSON" in not_json.json()["error"]
    assert bad_kind.status_code == 400
    assert "`kind` must be one of" in bad_kind.json()["error"]
    assert bad_id.status_code == 400


def test_stats_count_requests_by_status_and_kind(serve: Serve) -> None:
    with serve() as running, httpx.Client(base_url=running.url) as client:
        camera = running.open_camera().camera_id
        for _ in range(3):
            client.get(f"/cam/{camera}/snapshot.jpg")
        client.get("/cam/nope/snapshot.jpg")
        stats = client.get("/control/stats").json()
    assert stats["requests"] == 4
    assert stats["by_status"] == {"200": 3, "404": 1}
    assert stats["by_kind"] == {"snapshot.jpg": 3, "unknown": 1}
    assert stats["cameras"] == 300
    assert stats["pool"]["entries"] >= 20
    assert stats["bytes_sent"] > 3 * 1000


def test_stop_ends_open_mjpeg_streams_promptly(serve: Serve) -> None:
    config = SimulatorConfig(pool=SMALL, mjpeg_fps=1)
    with httpx.Client(timeout=5) as client:
        with serve(config=config) as running:
            camera = running.open_camera()
            stream = client.stream("GET", f"{running.url}/cam/{camera.camera_id}/mjpeg")
            response = stream.__enter__()
            chunks = response.iter_bytes()  # held: a dropped iterator closes the response
            first = next(chunks)
            assert first.startswith(f"--{BOUNDARY}".encode())
            assert running.sim.stats.mjpeg_open == 1
            started = time.perf_counter()
        stopped_in = time.perf_counter() - started
        stream.__exit__(None, None, None)
    assert stopped_in < 1.5
