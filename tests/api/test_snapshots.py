"""The snapshot proxy: the server adds the camera's credentials, limits the rate, keeps scope."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import FakeClock, Tokens

USER, PASSWORD = "admin", "cam-Pa55word"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"


class Camera(BaseHTTPRequestHandler):
    seen: list[str] = []  # noqa: RUF012 - per-server record, reset by the fixture

    def do_GET(self) -> None:
        auth = self.headers.get("Authorization", "")
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        Camera.seen.append(auth)
        if auth != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="cam"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(JPEG)))
        self.end_headers()
        self.wfile.write(JPEG)

    def log_message(self, *_args: object) -> None:
        return


@pytest.fixture
def camera_url() -> Iterator[str]:
    Camera.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Camera)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/snapshot.jpg"
    server.shutdown()
    server.server_close()


def _add(client: TestClient, tokens: Tokens, camera_id: str, url: str, password: str) -> None:
    made = client.post(
        "/api/v1/cameras",
        json={
            "id": camera_id,
            "district_code": "150402001",
            "snapshot_url": url,
            "username": USER,
            "password": password,
        },
        headers=tokens.headers("maintainer-a"),
    )
    assert made.status_code == 201, made.text


def test_snapshot_comes_through_the_server_with_its_credentials(
    client: TestClient, tokens: Tokens, clock: FakeClock, camera_url: str
) -> None:
    _add(client, tokens, "cam-live", camera_url, PASSWORD)
    headers = tokens.headers("operator-a")
    first = client.get("/api/v1/cameras/cam-live/snapshot", headers=headers)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "image/jpeg"
    assert first.content == JPEG
    assert PASSWORD not in str(first.headers)
    assert any(PASSWORD not in s and s.startswith("Basic ") for s in Camera.seen)
    again = client.get("/api/v1/cameras/cam-live/snapshot", headers=headers)
    assert again.status_code == 429
    assert again.json()["type"].endswith("/rate-limited")
    assert int(again.headers["Retry-After"]) >= 1
    clock.advance(2.5)
    assert client.get("/api/v1/cameras/cam-live/snapshot", headers=headers).status_code == 200
    outsider = client.get("/api/v1/cameras/cam-live/snapshot", headers=tokens.headers("handler-b"))
    assert outsider.status_code == 404


def test_a_refused_login_is_a_502_without_the_password(
    client: TestClient, tokens: Tokens, camera_url: str
) -> None:
    _add(client, tokens, "cam-wrong", camera_url, "not-the-password")
    response = client.get(
        "/api/v1/cameras/cam-wrong/snapshot", headers=tokens.headers("operator-a")
    )
    assert response.status_code == 502
    assert response.json()["failure"] == "auth"
    assert "not-the-password" not in response.text
