"""alerts: each ingest worker's latest presence, for the `no_live_worker` alert

Revision ID: 0012
Revises: 0009
Create Date: 2026-11-27 02:40:00
"""

from alembic import op
import sqlalchemy as sa

from registry.models import UTCDateTime


revision = "0012"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_worker_presence",
        sa.Column("worker_id", sa.String(length=128), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("since", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_alert_worker_presence")),
    )


def downgrade() -> None:
    op.drop_table("alert_worker_presence")
