"""Alembic environment: the engine comes from `registry.migrate`, never from an ini file."""

from alembic import context
from sqlalchemy import Engine

import alerts.cases.models
import ingest.stores.tables  # noqa: F401 - registers ingest's tables on the shared metadata
import alerts.models  # noqa: F401 - registers the alert service's tables
import registry.auth_tables
import registry.changefeed  # noqa: F401 - the change feed pushed to clients (api, issue 17)
from registry.models import Base

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through registry.migrate (gridwatch db upgrade)")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
