from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

import ingest.stores.tables  # noqa: F401 - ingest's tables are part of the one migration history
from registry.migrate import current_revision, downgrade, head_revision, upgrade
from registry.models import Base


def test_database_is_at_the_newest_migration(db_engine: Engine) -> None:
    assert current_revision(db_engine) == head_revision()
    tables = set(inspect(db_engine).get_table_names())
    assert {"districts", "cameras", "camera_credentials", "departments"} <= tables


def test_migrations_match_the_models(db_engine: Engine) -> None:
    with db_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_to_base_and_back(db_engine: Engine) -> None:
    downgrade(db_engine, "base")
    assert "cameras" not in inspect(db_engine).get_table_names()
    upgrade(db_engine)
    assert current_revision(db_engine) == head_revision()
