"""Fixtures on real parts: an MQTT broker and SQL databases.

`GRIDWATCH_TEST_MQTT_URL` / `GRIDWATCH_TEST_DATABASE_URL` (CI sets them to the local
Mosquitto and PostgreSQL) select real services; without them an embedded amqtt broker
is started on a free port and the database tests run on SQLite only. Database tests
run once per backend: `[sqlite]`, and `[postgresql]` when its URL is set.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

import alerts.cases.models
import alerts.models  # noqa: F401 - the alert service's tables too
import ingest.stores.tables  # noqa: F401 - ingest's tables join the metadata emptied after each test
import registry.auth_tables
import registry.changefeed  # noqa: F401 - the change feed pushed to clients (api, issue 17)
from bus.embedded_broker import EmbeddedBroker
from registry.db import SessionFactory, make_engine, make_session_factory
from registry.migrate import upgrade
from registry.models import Base
from registry.scratch import scratch_database_url
from registry.secrets import CredentialCipher

# Fixtures that start gridwatch in real processes (`league`), for any test folder.
pytest_plugins = ["tests.processes"]

REPO = Path(__file__).resolve().parents[1]
TEST_MQTT_ENV = "GRIDWATCH_TEST_MQTT_URL"
TEST_DB_ENV = "GRIDWATCH_TEST_DATABASE_URL"
_backend_runs: Counter[str] = Counter()
# One credentials key for the whole run, as one deployment has one (registry.secrets).
_TEST_CIPHER = CredentialCipher.generate()


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(TEST_DB_ENV) else ["sqlite"]


def clips_dir() -> Path:
    return Path(os.environ.get("GRIDWATCH_CLIPS_DIR", REPO.parent / "shared" / "data" / "clips"))


CLIP_FILES = (
    "traffic-640x360.avi",
    "cctv-street-320x240.avi",
    "pedestrians-480x360.avi",
    "car-traffic-640x360.mp4",
    "still-room-768x432.mp4",
)


def require_clips(*names: str) -> Path:
    """The clips folder with `names` (default: every clip) in it. Without them a test skips
    on a developer machine and fails under CI (CI=true), where a missing folder must not
    pass as a green run."""
    folder = clips_dir()
    missing = [name for name in names or CLIP_FILES if not (folder / name).is_file()]
    if missing:
        message = (
            f"real clips missing from {folder}: {', '.join(missing)} (set GRIDWATCH_CLIPS_DIR)"
        )
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    return folder


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked `clips` need every real clip (see `require_clips`)."""
    if item.get_closest_marker("clips") is not None:
        require_clips()


@pytest.fixture(scope="session")
def mqtt_url() -> Iterator[str]:
    """A real broker: the one named by GRIDWATCH_TEST_MQTT_URL, or an embedded amqtt."""
    configured = os.environ.get(TEST_MQTT_ENV)
    if configured:
        yield configured
        return
    with EmbeddedBroker() as broker:
        yield broker.url


@pytest.fixture(scope="session")
def _migrated_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Engine]]:
    """One scratch database per backend, migrated with Alembic (not create_all)."""
    folder = tmp_path_factory.mktemp("db")
    engines: dict[str, Engine] = {}
    contexts = []
    for backend in _backends():
        server = os.environ.get(TEST_DB_ENV) if backend == "postgresql" else None
        context = scratch_database_url(server, folder, "gridwatch_test")
        url = context.__enter__()
        contexts.append(context)
        engine = make_engine(url)
        upgrade(engine)
        engines[backend] = engine
    yield engines
    for engine in engines.values():
        engine.dispose()
    for context in reversed(contexts):
        context.__exit__(None, None, None)


@pytest.fixture(params=_backends())
def db_engine(
    request: pytest.FixtureRequest, _migrated_databases: dict[str, Engine]
) -> Iterator[Engine]:
    """A migrated database, emptied after the test; parametrized over the backends."""
    backend: str = request.param
    _backend_runs[backend] += 1
    engine = _migrated_databases[backend]
    yield engine
    with engine.begin() as connection:
        # The district tree references itself; cut it before emptying the tables.
        connection.execute(text("UPDATE districts SET parent_code = NULL"))
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(text(f'DELETE FROM "{table.name}"'))


@pytest.fixture
def db(db_engine: Engine) -> SessionFactory:
    return make_session_factory(db_engine, _TEST_CIPHER)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _backend_runs:
        runs = ", ".join(f"{name}: {count} tests" for name, count in sorted(_backend_runs.items()))
        terminalreporter.write_line(f"database backends exercised — {runs}")
    broker = os.environ.get(TEST_MQTT_ENV) or "embedded amqtt"
    terminalreporter.write_line(f"MQTT broker used — {broker}")
