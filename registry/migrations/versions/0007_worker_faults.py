"""ingest: a worker's own faults in its heartbeat (internal errors, probing paused on a full spool)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 23:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ingest_workers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("internal_errors", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("spool_paused", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("ingest_workers", schema=None) as batch_op:
        batch_op.drop_column("spool_paused")
        batch_op.drop_column("internal_errors")
