"""ingest: each worker's load at its last heartbeat (probes/s, p99 lateness)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:05:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ingest_workers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("probes_per_s", sa.Float(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("p99_lateness_s", sa.Float(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("ingest_workers", schema=None) as batch_op:
        batch_op.drop_column("p99_lateness_s")
        batch_op.drop_column("probes_per_s")
