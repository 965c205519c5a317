"""alerts: indexes for the queue's keyset order (priority, started_at, id), all and firing

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 00:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

FIRING = sa.text("status = 'firing'")


def upgrade() -> None:
    op.create_index("ix_alerts_queue", "alerts", ["priority", "started_at", "id"])
    op.create_index(
        "ix_alerts_queue_firing",
        "alerts",
        ["priority", "started_at", "id"],
        sqlite_where=FIRING,
        postgresql_where=FIRING,
    )


def downgrade() -> None:
    op.drop_index("ix_alerts_queue_firing", table_name="alerts")
    op.drop_index("ix_alerts_queue", table_name="alerts")
