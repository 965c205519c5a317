"""ingest: health state, daily history, baselines, workers, leases

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 06:41:13.106286
"""

from alembic import op
import sqlalchemy as sa

from registry.models import UTCDateTime


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_workers",
        sa.Column("worker_id", sa.String(length=128), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_ingest_workers")),
    )
    op.create_table(
        "probe_leases",
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("worker_id", sa.String(length=128), nullable=True),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("shard", name=op.f("pk_probe_leases")),
    )
    op.create_table(
        "camera_baselines",
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_camera_baselines_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("camera_id", name=op.f("pk_camera_baselines")),
    )
    op.create_table(
        "camera_health",
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("faults", sa.JSON(), nullable=False),
        sa.Column("status_since", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_probe_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_good_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_failure", sa.String(length=32), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_camera_health_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("camera_id", name=op.f("pk_camera_health")),
    )
    with op.batch_alter_table("camera_health", schema=None) as batch_op:
        batch_op.create_index("ix_camera_health_status", ["status"], unique=False)

    op.create_table(
        "camera_health_daily",
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("probes", sa.Integer(), nullable=False),
        sa.Column("online", sa.Integer(), nullable=False),
        sa.Column("faulty", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_camera_health_daily_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("camera_id", "day", name=op.f("pk_camera_health_daily")),
    )
    with op.batch_alter_table("camera_health_daily", schema=None) as batch_op:
        batch_op.create_index("ix_camera_health_daily_day", ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("camera_health_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_camera_health_daily_day")

    op.drop_table("camera_health_daily")
    with op.batch_alter_table("camera_health", schema=None) as batch_op:
        batch_op.drop_index("ix_camera_health_status")

    op.drop_table("camera_health")
    op.drop_table("camera_baselines")
    op.drop_table("probe_leases")
    op.drop_table("ingest_workers")
