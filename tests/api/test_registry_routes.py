"""Districts, cameras, health and departments over HTTP, on a real database."""

from __future__ import annotations

import csv
import io
import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from registry.db import SessionFactory
from registry.models import Camera
from tests.api.conftest import Tokens

V1 = "/api/v1"


def test_district_tree_rolls_up_cameras_and_online_rate(
    client: TestClient, tokens: Tokens, cameras: dict[str, str]
) -> None:
    nodes = client.get(f"{V1}/districts", headers=tokens.headers("root")).json()
    by_code = {n["code"]: n for n in nodes}
    assert nodes[0]["code"] == "150400"  # parents first
    root = by_code["150400"]
    assert (root["cameras"], root["online"], root["faulty"], root["offline"]) == (4, 2, 1, 1)
    assert root["unknown"] == 1
    assert root["online_rate_today"] == round(180 / 300, 4)
    township_a = by_code["150402001"]
    assert (township_a["cameras"], township_a["online"]) == (2, 2)
    assert township_a["online_rate_today"] == 0.9
    assert by_code["150402001001"]["cameras"] == 1
    assert (township_a["open_alerts"], township_a["open_cases"]) == (0, 0)
    one = client.get(f"{V1}/districts/150402", headers=tokens.headers("root")).json()
    assert one["cameras"] == 3


def test_online_rate_per_day(client: TestClient, tokens: Tokens, cameras: dict[str, str]) -> None:
    response = client.get(
        f"{V1}/districts/150402/online-rate", headers=tokens.headers("operator-a")
    )
    assert response.status_code == 404  # 150402 is above township A: not in its subtree
    rate = client.get(f"{V1}/districts/150402/online-rate", headers=tokens.headers("root")).json()
    assert [d["probes"] for d in rate["days"]] == [300, 300, 300]
    assert rate["days"][-1]["rate"] == round(180 / 300, 4)


def test_camera_search_and_read_never_show_credentials(
    client: TestClient, tokens: Tokens, cameras: dict[str, str]
) -> None:
    headers = tokens.headers("operator-a")
    page = client.get(f"{V1}/cameras", headers=headers).json()
    assert page["total"] == 2
    assert [c["id"] for c in page["items"]] == ["cam-a1", "cam-a2"]
    assert page["items"][0]["has_credentials"] is True
    assert "password" not in json.dumps(page)
    assert "pw-cam" not in json.dumps(page)
    degraded = client.get(f"{V1}/cameras?status=degraded", headers=headers).json()
    assert [c["id"] for c in degraded["items"]] == ["cam-a2"]
    found = client.get(f"{V1}/cameras?q=A1", headers=headers).json()
    assert [c["id"] for c in found["items"]] == ["cam-a1"]
    tagged = client.get(f"{V1}/cameras?tag=gate", headers=headers).json()
    assert tagged["total"] == 2
    one = client.get(f"{V1}/cameras/cam-a1", headers=headers).json()
    assert one["status"] == "online"
    assert one["uplink"] == "NVR-1"


def test_camera_create_update_delete_follow_the_import_rules(
    client: TestClient, tokens: Tokens, cameras: dict[str, str], tree: SessionFactory
) -> None:
    headers = tokens.headers("maintainer-a")
    body = {
        "id": "cam-new",
        "name": "东门",
        "district_code": "150402001001",
        "snapshot_url": "http://u:p4ss@10.0.0.9/snap.jpg",
    }
    made = client.post(f"{V1}/cameras", json=body, headers=headers)
    assert made.status_code == 201, made.text
    assert made.json()["snapshot_url"] == "http://10.0.0.9/snap.jpg"  # credentials split out
    assert made.json()["has_credentials"] is True
    assert client.post(f"{V1}/cameras", json=body, headers=headers).status_code == 409
    bad = client.post(
        f"{V1}/cameras",
        json={"id": "cam-bad", "district_code": "150402001", "main_url": "ftp://x/y"},
        headers=headers,
    )
    assert bad.status_code == 422
    assert bad.json()["type"].endswith("/import-failed")
    assert "scheme" in bad.json()["errors"][0]["reason"]
    outside = client.post(
        f"{V1}/cameras",
        json={"id": "cam-out", "district_code": "150402002", "main_url": "rtsp://x/y"},
        headers=headers,
    )
    assert outside.status_code == 422
    assert "outside your subtree" in outside.json()["errors"][0]["reason"]
    changed = client.patch(
        f"{V1}/cameras/cam-new", json={"enabled": False, "tags": ["night"]}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["enabled"] is False
    assert changed.json()["tags"] == ["night"]
    assert changed.json()["name"] == "东门"
    moved_out = client.patch(
        f"{V1}/cameras/cam-new", json={"district_code": "150402002"}, headers=headers
    )
    assert moved_out.status_code == 422
    assert client.delete(f"{V1}/cameras/cam-new", headers=headers).status_code == 204
    assert client.get(f"{V1}/cameras/cam-new", headers=headers).status_code == 404
    with tree() as session:
        assert session.scalar(select(Camera.id).where(Camera.id == "cam-new")) is None


def test_import_is_all_or_nothing_with_line_numbers_and_export_round_trips(
    client: TestClient, tokens: Tokens, cameras: dict[str, str]
) -> None:
    headers = tokens.headers("maintainer-a")
    text = (
        "id,district_code,main_url\n"
        "cam-i1,150402001,rtsp://10.0.0.2/a\n"
        "cam-i2,150402001,notaurl\n"
        "cam-i3,150402002,rtsp://10.0.0.2/b\n"
    )
    failed = client.post(
        f"{V1}/cameras/import", files={"file": ("c.csv", text, "text/csv")}, headers=headers
    )
    assert failed.status_code == 422
    assert [e["line"] for e in failed.json()["errors"]] == [3, 4]
    assert client.get(f"{V1}/cameras/cam-i1", headers=headers).status_code == 404
    partial = client.post(
        f"{V1}/cameras/import?skip_invalid=true",
        files={"file": ("c.csv", text, "text/csv")},
        headers=headers,
    )
    assert partial.status_code == 200
    assert partial.json()["added"] == 1
    exported = client.get(f"{V1}/cameras/export", headers=headers)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted(r["id"] for r in rows) == ["cam-a1", "cam-a2", "cam-i1"]
    assert "pw-cam" not in exported.text
    again = client.post(
        f"{V1}/cameras/import",
        files={"file": ("again.csv", exported.text, "text/csv")},
        headers=headers,
    )
    assert again.json() == {"added": 0, "updated": 0, "unchanged": 3, "skipped": []}
    as_json = client.get(f"{V1}/cameras/export?format=json", headers=headers).json()
    assert len(as_json) == 3


def test_health_now_history_and_faulty_list(
    client: TestClient, tokens: Tokens, cameras: dict[str, str]
) -> None:
    headers = tokens.headers("operator-a")
    now = client.get(f"{V1}/cameras/cam-a2/health", headers=headers).json()
    assert now["status"] == "degraded"
    assert "BLURRED" in now["faults"]
    history = client.get(f"{V1}/cameras/cam-a2/health/history", headers=headers).json()
    assert [d["faulty"] for d in history["days"]] == [50, 50, 50]
    faulty = client.get(f"{V1}/health/faulty", headers=headers).json()
    assert [f["camera_id"] for f in faulty] == ["cam-a2"]
    everyone = client.get(f"{V1}/health/faulty", headers=tokens.headers("root")).json()
    assert {f["camera_id"] for f in everyone} == {"cam-a2", "cam-b1"}


def test_departments_of_the_subtree_and_admin_writes(
    client: TestClient, tokens: Tokens, cameras: dict[str, str]
) -> None:
    listed = client.get(f"{V1}/departments", headers=tokens.headers("handler-a")).json()
    assert [d["id"] for d in listed] == ["qb-urban"]
    admin = tokens.headers("admin-a")
    made = client.put(
        f"{V1}/departments/qb-water",
        json={"name": "桥北镇水务", "district_code": "150402001", "categories": ["water"]},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    replaced = client.put(
        f"{V1}/departments/qb-water",
        json={"name": "水务站", "district_code": "150402001"},
        headers=admin,
    )
    assert replaced.status_code == 200
    assert replaced.json()["name"] == "水务站"
    taken = client.put(
        f"{V1}/departments/wz-urban",
        json={"name": "x", "district_code": "150402001"},
        headers=admin,
    )
    assert taken.status_code == 409


def test_values_a_database_cannot_store_are_a_422_not_a_500(
    client: TestClient, tokens: Tokens, cameras: dict[str, str]
) -> None:
    headers = tokens.headers("root")
    assert client.get(f"{V1}/cameras/cam%00x", headers=headers).status_code in (404, 422)
    assert client.get(f"{V1}/cameras?q=a%00b", headers=headers).status_code in (200, 422)
    made = client.post(
        f"{V1}/cameras",
        json={"id": "cam-nul", "name": "a\u0000b", "district_code": "150400",
              "main_url": "rtsp://10.0.0.1/x"},
        headers=headers,
    )  # fmt: skip
    assert made.status_code in (201, 422)
