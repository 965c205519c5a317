"""Evidence pictures through the API: written by ingest's store under the app's data dir,
named in real events that the alert service turned into alerts; served only to users
whose district subtree holds the camera, and only under names of the strict grammar."""

from __future__ import annotations

from datetime import timedelta

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from config.settings import Settings
from ingest.stores.evidence import EvidenceBounds, EvidenceStore, evidence_root
from registry.db import SessionFactory
from tests.api.alert_fixtures import Alerts
from tests.api.conftest import FakeClock, Tokens


def jpeg(level: int) -> bytes:
    picture = np.full((36, 64, 3), level, np.uint8)
    return cv2.imencode(".jpg", picture)[1].tobytes()


GOOD, BLACK = jpeg(150), jpeg(0)


def keep_evidence(
    settings: Settings, clock: FakeClock, camera_id: str, code: str, before: bool = True
) -> str:
    """Evidence written the way ingest writes it: its own store, under the data dir."""
    store = EvidenceStore(evidence_root(settings.data_dir), EvidenceBounds(), clock)
    reference = store.keep(camera_id, clock(), code, BLACK, GOOD if before else None)
    assert reference is not None
    return reference


@pytest.fixture
def made(tree: SessionFactory, cameras: dict[str, str], clock: FakeClock) -> Alerts:
    return Alerts(tree, clock)


def test_an_alert_links_its_pictures_and_the_owner_district_gets_them(
    client: TestClient, tokens: Tokens, made: Alerts, settings: Settings, clock: FakeClock
) -> None:
    reference = keep_evidence(settings, clock, "cam-a1", "NO_SIGNAL")
    alert = made.fault("cam-a1", "NO_SIGNAL", evidence=reference)
    headers = tokens.headers("viewer-a")
    listed = client.get("/api/v1/alerts", headers=headers).json()["items"]
    name = reference.split("/")[1]
    expected = {
        "fault_url": f"/api/v1/cameras/cam-a1/evidence/{name}/fault",
        "before_url": f"/api/v1/cameras/cam-a1/evidence/{name}/before",
    }
    assert [a["evidence"] for a in listed] == [expected]
    detail = client.get(f"/api/v1/alerts/{alert.id}", headers=headers).json()
    assert detail["evidence"] == expected
    assert [e["evidence"] for e in detail["events"]] == [expected]
    for url, picture in ((expected["fault_url"], BLACK), (expected["before_url"], GOOD)):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "image/jpeg"
        assert response.content == picture
        assert cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR) is not None


def test_without_a_before_picture_or_once_pruned_the_links_say_so(
    client: TestClient, tokens: Tokens, made: Alerts, settings: Settings, clock: FakeClock
) -> None:
    headers = tokens.headers("operator-a")
    only_fault = keep_evidence(settings, clock, "cam-a1", "FROZEN", before=False)
    made.fault("cam-a1", "FROZEN", evidence=only_fault)
    made.offline("cam-a2")  # no pictures for an unreachable camera
    clock.advance(1)
    pruned = keep_evidence(settings, clock, "cam-a2", "BLURRED")
    made.fault("cam-a2", "BLURRED", evidence=pruned)
    for picture in (evidence_root(settings.data_dir) / "cam-a2").iterdir():
        picture.unlink()
    listed = client.get("/api/v1/alerts", headers=headers).json()["items"]
    shown = {(a["camera_id"], a["kind"]): a["evidence"] for a in listed}
    assert shown[("cam-a1", "fault")] == {
        "fault_url": f"/api/v1/cameras/cam-a1/evidence/{only_fault.split('/')[1]}/fault",
        "before_url": None,
    }
    assert shown[("cam-a2", "offline")] is None
    assert shown[("cam-a2", "fault")] is None
    url = f"/api/v1/cameras/cam-a2/evidence/{pruned.split('/')[1]}/fault"
    assert client.get(url, headers=headers).status_code == 404


def test_another_townships_user_gets_404_and_no_token_gets_401(
    client: TestClient, tokens: Tokens, made: Alerts, settings: Settings, clock: FakeClock
) -> None:
    reference = keep_evidence(settings, clock, "cam-a1", "TOO_DARK")
    url = f"/api/v1/cameras/cam-a1/evidence/{reference.split('/')[1]}/fault"
    assert client.get(url, headers=tokens.headers("viewer-a")).status_code == 200
    foreign = client.get(url, headers=tokens.headers("handler-b"))
    assert foreign.status_code == 404
    assert foreign.headers["content-type"].startswith("application/problem+json")
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer x.y.z"}).status_code == 401
    # A name of camera B's under camera A's path finds nothing either.
    clock.advance(1)
    theirs = keep_evidence(settings, clock, "cam-b1", "TOO_DARK")
    crossed = f"/api/v1/cameras/cam-a1/evidence/{theirs.split('/')[1]}/fault"
    assert client.get(crossed, headers=tokens.headers("viewer-a")).status_code == 404


TRAVERSALS = [
    "/api/v1/cameras/cam-a1/evidence/..%2F..%2Fapi_signing.key/fault",
    "/api/v1/cameras/cam-a1/evidence/%2e%2e/fault",
    "/api/v1/cameras/cam-a1/evidence/{name}/..%2F..%2F..%2Fapi_signing.key",
    "/api/v1/cameras/cam-a1/evidence/{name}.fault.jpg/fault",
    "/api/v1/cameras/cam-a1/evidence/{name}/fault.jpg",
    "/api/v1/cameras/cam-a1/evidence/{name}%00/fault",
    "/api/v1/cameras/cam-a1/evidence/..%5C..%5Capi_signing.key/fault",
    "/api/v1/cameras/..%2Fcam-a1/evidence/{name}/fault",
    "/api/v1/cameras/cam-a1%2F..%2Fcam-b1/evidence/{name}/fault",
    "/api/v1/cameras/cam-a1/evidence/{name}/%2e%2e%2fsecret",
    "/api/v1/cameras/cam-a1/evidence/%2Fetc%2Fpasswd/fault",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_no_name_leaves_the_cameras_evidence_folder(
    client: TestClient,
    tokens: Tokens,
    made: Alerts,
    settings: Settings,
    clock: FakeClock,
    path: str,
) -> None:
    reference = keep_evidence(settings, clock, "cam-a1", "NOISY")
    keep_evidence(settings, clock, "cam-b1", "NOISY")
    secret = settings.data_dir / "api_signing.key"
    assert secret.is_file()  # made by the app at start: worth stealing
    (evidence_root(settings.data_dir) / "secret").write_bytes(b"not a picture")
    url = path.format(name=reference.split("/")[1])
    response = client.get(url, headers=tokens.headers("root"))
    assert response.status_code == 404, (url, response.status_code)
    assert response.headers["content-type"] != "image/jpeg"
    assert secret.read_bytes() not in response.content


def test_a_token_without_snapshots_read_gets_no_picture(
    client: TestClient, tokens: Tokens, made: Alerts, settings: Settings, clock: FakeClock
) -> None:
    reference = keep_evidence(settings, clock, "cam-a1", "MOVED")
    token = tokens.api_token(client, "operator-a", ["alerts:read"])
    url = f"/api/v1/cameras/cam-a1/evidence/{reference.split('/')[1]}/fault"
    assert client.get(url, headers=token).status_code == 403
    clock.advance(timedelta(minutes=1).total_seconds())
    assert client.get(url, headers=tokens.headers("operator-a")).status_code == 200
