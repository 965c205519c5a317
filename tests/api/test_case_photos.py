"""Photos on a case: a handler attaches a real JPEG (encoded by OpenCV) to a case of their
department, reads it back byte for byte, and resolves naming it; what is refused (not an
image, too big, another department's or township's case, a finished case, a photo the
case does not hold) and with which status."""

from __future__ import annotations

import hashlib
from typing import Any

import cv2
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from alerts.cases.photos import MAX_PHOTO_BYTES, BadPhoto, check_photo, sniff
from registry.db import SessionFactory
from tests.api.alert_fixtures import Alerts, open_case
from tests.api.conftest import FakeClock, Tokens
from tests.api.test_cases import act

PNG_HEAD = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def case_of(app: FastAPI, tree: SessionFactory, cameras: dict[str, str], clock: FakeClock) -> Any:
    """Opens a case from an offline alert of the camera, through the case workflow."""
    workflow = app.state.context.workflow
    return lambda camera_id: open_case(
        tree, workflow, Alerts(tree, clock).offline(camera_id), clock()
    )


def jpeg(width: int = 64, height: int = 48) -> bytes:
    picture = np.zeros((height, width, 3), np.uint8)
    picture[:, : width // 2] = (40, 160, 60)
    ok, encoded = cv2.imencode(".jpg", picture)
    assert ok
    return encoded.tobytes()


def upload(client: TestClient, tokens: Tokens, user: str, case_id: int, body: bytes,
           media_type: str = "image/jpeg") -> Any:  # fmt: skip
    headers = {**tokens.headers(user), "Content-Type": media_type}
    return client.post(f"/api/v1/cases/{case_id}/photos", content=body, headers=headers)


def test_sniffing_trusts_the_bytes_not_the_name() -> None:
    assert sniff(jpeg()) == "image/jpeg"
    assert sniff(PNG_HEAD + b"rest") == "image/png"
    assert sniff(b"RIFF\x10\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff(b"<svg onload=alert(1)>") is None
    with pytest.raises(BadPhoto, match="JPEG, PNG or WebP"):
        check_photo(b"GIF89a")
    with pytest.raises(BadPhoto, match="at most 5 MiB"):
        check_photo(b"\xff\xd8\xff" + bytes(MAX_PHOTO_BYTES))


def _signed_for(client: TestClient, tokens: Tokens, case_id: int, clock: FakeClock) -> None:
    assert act(client, tokens, "operator-a", case_id, "accept").status_code == 200
    assigned = act(client, tokens, "operator-a", case_id, "assign", department_id="qb-urban")
    assert assigned.status_code == 200
    clock.advance(600)
    assert act(client, tokens, "handler-a", case_id, "sign_for").status_code == 200


def test_a_handler_attaches_a_photo_reads_it_back_and_resolves_with_it(
    client: TestClient, tokens: Tokens, case_of: Any, clock: FakeClock
) -> None:
    case_id = case_of("cam-a1")
    # Before the case is the department's, its handler may not add to it.
    assert upload(client, tokens, "handler-a", case_id, jpeg()).status_code == 403
    _signed_for(client, tokens, case_id, clock)
    picture = jpeg()
    made_photo = upload(client, tokens, "handler-a", case_id, picture)
    assert made_photo.status_code == 201, made_photo.text
    photo = made_photo.json()
    assert photo["id"] == hashlib.sha256(picture).hexdigest()
    assert (photo["media_type"], photo["bytes"]) == ("image/jpeg", len(picture))

    fetched = client.get(photo["url"], headers=tokens.headers("operator-a"))
    assert fetched.status_code == 200
    assert fetched.content == picture
    assert fetched.headers["content-type"] == "image/jpeg"
    assert fetched.headers["content-security-policy"] == "default-src 'none'"
    # Township B's handler sees neither the case nor its photo.
    assert client.get(photo["url"], headers=tokens.headers("handler-b")).status_code == 404
    assert upload(client, tokens, "handler-b", case_id, picture).status_code == 404
    assert upload(client, tokens, "viewer-a", case_id, picture).status_code == 403

    unknown = "0" * 64
    assert act(client, tokens, "handler-a", case_id, "resolve", reason="x",
               photos=[unknown]).status_code == 422  # fmt: skip
    resolved = act(client, tokens, "handler-a", case_id, "resolve", reason="lens cleaned",
                   note="see photo", photos=[photo["id"]])  # fmt: skip
    assert resolved.status_code == 200
    trail = resolved.json()["history"]
    attach = next(e for e in trail if e["action"] == "attach_photo")
    assert attach["actor"] == "handler-a"
    assert attach["data"] == {
        "photo": photo["id"],
        "media_type": "image/jpeg",
        "bytes": len(picture),
    }
    assert trail[-1]["action"] == "resolve"
    assert trail[-1]["data"] == {"note": "see photo", "photos": [photo["id"]]}
    assert (
        client.get(
            f"/api/v1/cases/{case_id}/photos/{unknown}", headers=tokens.headers("operator-a")
        ).status_code
        == 404
    )

    closed = act(client, tokens, "operator-a", case_id, "close")
    assert closed.json()["status"] == "closed"
    assert upload(client, tokens, "operator-a", case_id, picture).status_code == 409


def test_what_is_refused_before_anything_is_kept(
    client: TestClient, tokens: Tokens, case_of: Any
) -> None:
    case_id = case_of("cam-a1")
    not_image = upload(client, tokens, "operator-a", case_id, b"<html>hello</html>")
    assert not_image.status_code == 415
    assert "JPEG, PNG or WebP" in not_image.json()["detail"]
    assert upload(client, tokens, "operator-a", case_id, jpeg(), "text/plain").status_code == 415
    too_big = upload(
        client, tokens, "operator-a", case_id, b"\xff\xd8\xff" + bytes(MAX_PHOTO_BYTES)
    )
    assert too_big.status_code == 413
    # A PNG sent as JPEG is kept as what it is.
    png_bytes = cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))[1].tobytes()
    kept = upload(client, tokens, "operator-a", case_id, png_bytes, "image/jpeg").json()
    assert kept["media_type"] == "image/png"
    detail = client.get(f"/api/v1/cases/{case_id}", headers=tokens.headers("operator-a")).json()
    assert [e["action"] for e in detail["history"]].count("attach_photo") == 1
