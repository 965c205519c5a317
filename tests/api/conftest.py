"""An app on the real test database, a district tree, users of every role, a virtual clock.

Users are inserted with one Argon2 hash computed per session (hashing costs ~0.5 s here);
tests that are about logging in go through /auth/login, the others get their access
token straight from the token issuer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import access_tokens
from config.settings import Settings
from registry.auth_tables import Role, User
from registry.db import SessionFactory, transaction
from registry.importer import import_departments, import_districts
from registry.records import read_records
from registry.users import hash_password
from tests.registry.factories import DISTRICTS, write_csv

PASSWORD = "correct horse battery"
TOWNSHIP_A = "150402001"  # 桥北镇, holds village 150402001001
TOWNSHIP_B = "150402002"  # 文钟镇
DEPARTMENTS = [
    {"id": "qb-urban", "name": "桥北镇城管", "district_code": TOWNSHIP_A, "categories": "roads"},
    {"id": "wz-urban", "name": "文钟镇城管", "district_code": TOWNSHIP_B, "categories": "roads"},
]
# username: (role, district)
USERS = {
    "root": (Role.ADMIN, "150400"),
    "admin-a": (Role.ADMIN, TOWNSHIP_A),
    "operator-a": (Role.OPERATOR, TOWNSHIP_A),
    "maintainer-a": (Role.MAINTAINER, TOWNSHIP_A),
    "handler-a": (Role.HANDLER, TOWNSHIP_A),
    "viewer-a": (Role.VIEWER, TOWNSHIP_A),
    "handler-b": (Role.HANDLER, TOWNSHIP_B),
}


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))


@pytest.fixture
def tree(db: SessionFactory, tmp_path: Path) -> SessionFactory:
    import_districts(db, read_records(write_csv(tmp_path / "d.csv", DISTRICTS), "districts"))
    import_departments(
        db, read_records(write_csv(tmp_path / "dept.csv", DEPARTMENTS), "departments")
    )
    return db


@pytest.fixture
def user_ids(tree: SessionFactory, password_hash: str, clock: FakeClock) -> dict[str, int]:
    ids: dict[str, int] = {}
    with transaction(tree) as session:
        for name, (role, district) in USERS.items():
            user = User(
                username=name,
                display_name=name,
                password_hash=password_hash,
                role=role.value,
                district_code=district,
                department_id="qb-urban" if name == "handler-a" else None,
                disabled=False,
                created_at=clock() - timedelta(days=1),
                tokens_valid_after=clock() - timedelta(days=1),
            )
            session.add(user)
            session.flush()
            ids[name] = user.id
    return ids


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", login_max_failures=3, login_lockout_s=600)


@pytest.fixture
def app(tree: SessionFactory, settings: Settings, clock: FakeClock) -> FastAPI:
    return create_app(settings, tree, clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@dataclass
class Tokens:
    app: FastAPI
    ids: dict[str, int]
    clock: FakeClock

    def headers(self, username: str) -> dict[str, str]:
        context = self.app.state.context
        token = access_tokens.issue(
            context.signing_key,
            self.ids[username],
            self.clock(),
            context.settings.access_token_ttl_s,
        )
        return {"Authorization": f"Bearer {token}"}

    def api_token(self, client: TestClient, username: str, scopes: list[str]) -> dict[str, str]:
        """Headers with an API token `username` made for itself, limited to `scopes`."""
        created = client.post(
            "/api/v1/auth/tokens",
            json={"name": f"screen {'+'.join(scopes)}", "scopes": scopes},
            headers=self.headers(username),
        ).json()
        return {"Authorization": f"Bearer {created['token']}"}


@pytest.fixture
def tokens(app: FastAPI, user_ids: dict[str, int], clock: FakeClock) -> Tokens:
    return Tokens(app, user_ids, clock)


# Cameras: two in township A's village, one in township B, one in another county.
CAMERAS = {
    "cam-a1": "150402001001",
    "cam-a2": "150402001",
    "cam-b1": TOWNSHIP_B,
    "cam-s1": "150404001",
}


@pytest.fixture
def cameras(tree: SessionFactory, tmp_path: Path, clock: FakeClock) -> dict[str, str]:
    from ingest.stores.tables import CameraHealth, CameraHealthDaily
    from registry.importer import import_cameras
    from tests.registry.factories import camera

    rows = [
        camera(cid, district, username="admin", password=f"pw-{cid}-secret")
        for cid, district in CAMERAS.items()
    ]
    import_cameras(tree, read_records(write_csv(tmp_path / "c.csv", rows), "cameras"))
    now = clock()
    status = {"cam-a1": "online", "cam-a2": "degraded", "cam-b1": "offline"}
    with transaction(tree) as session:
        for cid, state in status.items():
            session.add(
                CameraHealth(
                    camera_id=cid,
                    status=state,
                    faults={"BLURRED": {"since": now.isoformat()}} if state == "degraded" else {},
                    status_since=now - timedelta(hours=1),
                    last_probe_at=now,
                    last_good_at=now if state != "offline" else None,
                    last_failure="timeout" if state == "offline" else None,
                    consecutive_failures=3 if state == "offline" else 0,
                    worker_id="w1",
                )
            )
            for back in range(3):
                session.add(
                    CameraHealthDaily(
                        camera_id=cid,
                        day=now.date() - timedelta(days=back),
                        probes=100,
                        online=0 if state == "offline" else 90,
                        faulty=50 if state == "degraded" else 0,
                    )
                )
    return CAMERAS
