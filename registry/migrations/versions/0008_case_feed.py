"""alerts: how far the case audit rows are published on the cases topic (alert_case_feed)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 10:00:00

The cursor starts at the newest audit row already there: history from before the
feed existed is not replayed onto the broker.
"""

from alembic import op
import sqlalchemy as sa

from registry.models import UTCDateTime


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_case_feed",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=True),
        sa.Column("lease_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_alert_case_feed")),
    )
    op.execute(
        "INSERT INTO alert_case_feed (name, last_id, updated_at) "
        "SELECT 'cases', COALESCE(MAX(id), 0), CURRENT_TIMESTAMP FROM case_events"
    )


def downgrade() -> None:
    op.drop_table("alert_case_feed")
