"""The authorization matrix, over every route the app has (new routes are covered too).

- no credentials → 401 everywhere but login, refresh/logout (their token is the body),
  health probes and docs;
- a viewer changes nothing: every write route answers 403;
- a handler of township A gets nothing of township B: B's resources answer 404 and no
  list carries them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from ingest.stores.evidence import EvidenceBounds, EvidenceStore, evidence_root
from tests.api.conftest import Tokens

OPEN = {
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/v1/auth/logout",
    "/api/v1/openapi.json",
    "/api/v1/docs",
    "/healthz",
    "/readyz",
    "/",  # the console's shell and its settings (issue 18): the page before login
    "/console/config.json",
}
# The console's static files (a mount: no methods, like a WebSocket in the route list).
STATIC_FILES = {"/console"}
SESSION_ROUTES = {"/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout"}
# Watching a camera live is reading (snapshots:read), though its offer is a POST.
LIVE_VIEW = {"/api/v1/cameras/{camera_id}/live", "/api/v1/cameras/{camera_id}/live/{viewer_id}"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# Township B's resource for each path parameter (`name`, `picture`: cam-b1's evidence,
# which the handler test writes first, so a 404 there is the scope and not a missing file).
OF_B = {
    "camera_id": "cam-b1",
    "code": "150402002",
    "department_id": "wz-urban",
    "name": "20261126T020000000Z-BLURRED",
    "picture": "fault",
    "photo_id": "0" * 64,  # a well-formed SHA-256
}


def http_routes(app: FastAPI) -> Iterator[tuple[str, set[str]]]:
    """(path, methods) of every HTTP route, through included routers as well."""
    for context in iter_route_contexts(app.routes):
        if context.methods and context.path:
            yield context.path, set(context.methods)


def operations(app: FastAPI) -> Iterator[tuple[str, str]]:
    for path, methods in http_routes(app):
        for method in sorted(methods - {"HEAD", "OPTIONS"}):
            yield method, path


def fill(path: str, values: dict[str, str], default: str = "1") -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), default), path)


def test_every_route_but_login_health_and_docs_needs_a_token(
    app: FastAPI, client: TestClient, cameras: dict[str, str]
) -> None:
    checked = 0
    for method, path in operations(app):
        if path in OPEN:
            continue
        response = client.request(method, fill(path, OF_B))
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.json()["type"].endswith("/unauthenticated")
        bad = client.request(method, fill(path, OF_B), headers={"Authorization": "Bearer x.y.z"})
        assert bad.status_code == 401, (method, path)
        checked += 1
    assert checked >= 20


def test_every_websocket_needs_a_token(app: FastAPI, client: TestClient) -> None:
    sockets = [
        c.path
        for c in iter_route_contexts(app.routes)
        if c.path and not c.methods and c.path not in STATIC_FILES
    ]
    assert sockets == ["/api/v1/ws"]
    for path in sockets:
        for hello in ({"type": "auth"}, {"type": "auth", "token": "x.y.z"}):
            with client.websocket_connect(path) as ws:
                ws.send_json(hello)
                with pytest.raises(WebSocketDisconnect) as closed:
                    ws.receive_json()
                assert closed.value.code == 4401


def test_a_viewer_cannot_change_anything(
    app: FastAPI, client: TestClient, tokens: Tokens, cameras: dict[str, str]
) -> None:
    headers = tokens.headers("viewer-a")
    own = {"camera_id": "cam-a1", "code": "150402001", "department_id": "qb-urban"}
    writes = [
        (m, p)
        for m, p in operations(app)
        if m in WRITES and p not in SESSION_ROUTES and p not in LIVE_VIEW
    ]
    assert len(writes) >= 8
    for method, path in writes:
        response = client.request(method, fill(path, own), headers=headers, json={})
        assert response.status_code == 403, (method, path, response.status_code)
        assert response.json()["type"].endswith("/forbidden")


def test_a_handler_of_township_a_gets_nothing_of_township_b(
    app: FastAPI, client: TestClient, tokens: Tokens, cameras: dict[str, str]
) -> None:
    headers = tokens.headers("handler-a")
    store = EvidenceStore(
        evidence_root(app.state.context.settings.data_dir), EvidenceBounds(), tokens.clock
    )
    assert (
        store.keep("cam-b1", tokens.clock(), "BLURRED", b"\xff\xd8", None)
        == "cam-b1/" + (OF_B["name"])
    )
    evidence_of_b = fill("/api/v1/cameras/{camera_id}/evidence/{name}/{picture}", OF_B)
    assert client.get(evidence_of_b, headers=tokens.headers("root")).status_code == 200
    for method, path in operations(app):
        if method != "GET" or "{" not in path or path in OPEN:
            continue
        response = client.get(fill(path, OF_B), headers=headers)
        assert response.status_code in (403, 404), (path, response.status_code)
        body = response.json()
        body.pop("instance")  # the caller's own request path
        text = json.dumps(body, ensure_ascii=False)
        assert "cam-b1" not in text, path
        assert "文钟" not in text, path
    for method, path in operations(app):
        if method != "GET" or "{" in path or path in OPEN:
            continue
        response = client.get(path, headers=headers)
        assert response.status_code in (200, 403), (path, response.status_code)
        assert "cam-b1" not in response.text, path
        assert "150402002" not in response.text, path
        assert "wz-urban" not in response.text, path
    listed = client.get("/api/v1/cameras", headers=headers).json()
    assert {c["id"] for c in listed["items"]} == {"cam-a1", "cam-a2"}
    # Filtering on B's district is a 404 too, not an empty list that confirms it exists.
    assert client.get("/api/v1/cameras?district=150402002", headers=headers).status_code == 404


def test_an_api_token_is_limited_to_its_scopes(
    client: TestClient, tokens: Tokens, cameras: dict[str, str]
) -> None:
    token = tokens.api_token(client, "maintainer-a", ["districts:read"])
    assert client.get("/api/v1/districts", headers=token).status_code == 200
    assert client.get("/api/v1/cameras", headers=token).status_code == 403
    assert client.delete("/api/v1/cameras/cam-a1", headers=token).status_code == 403
    assert client.get("/api/v1/districts/150402002", headers=token).status_code == 404
