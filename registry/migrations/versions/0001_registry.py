"""registry: districts, departments, cameras, credentials

Revision ID: 0001
Revises:
Create Date: 2026-11-23 06:30:53.543526
"""

from alembic import op
import sqlalchemy as sa

from registry.models import UTCDateTime


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "districts",
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("parent_code", sa.String(length=24), nullable=True),
        sa.Column(
            "path",
            sa.String(length=400).with_variant(sa.String(length=400, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["districts.code"],
            name=op.f("fk_districts_parent_code_districts"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_districts")),
        sa.UniqueConstraint("path", name=op.f("uq_districts_path")),
    )
    with op.batch_alter_table("districts", schema=None) as batch_op:
        batch_op.create_index("ix_districts_parent_code", ["parent_code"], unique=False)

    op.create_table(
        "departments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("district_code", sa.String(length=24), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["districts.code"],
            name=op.f("fk_departments_district_code_districts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
    )
    op.create_table(
        "cameras",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("district_code", sa.String(length=24), nullable=False),
        sa.Column("device_type", sa.String(length=3), nullable=True),
        sa.Column("main_url", sa.Text(), nullable=True),
        sa.Column("sub_url", sa.Text(), nullable=True),
        sa.Column("snapshot_url", sa.Text(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("use", sa.String(length=32), nullable=False),
        sa.Column("owner_department_id", sa.String(length=64), nullable=True),
        sa.Column("maintainer", sa.String(length=200), nullable=True),
        sa.Column("uplink", sa.String(length=64), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_code"], ["districts.code"], name=op.f("fk_cameras_district_code_districts")
        ),
        sa.ForeignKeyConstraint(
            ["owner_department_id"],
            ["departments.id"],
            name=op.f("fk_cameras_owner_department_id_departments"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cameras")),
    )
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.create_index("ix_cameras_district_code", ["district_code"], unique=False)
        batch_op.create_index("ix_cameras_uplink", ["uplink"], unique=False)

    op.create_table(
        "camera_credentials",
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("password", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_camera_credentials_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("camera_id", name=op.f("pk_camera_credentials")),
    )


def downgrade() -> None:
    op.drop_table("camera_credentials")
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.drop_index("ix_cameras_uplink")
        batch_op.drop_index("ix_cameras_district_code")

    op.drop_table("cameras")
    op.drop_table("departments")
    with op.batch_alter_table("districts", schema=None) as batch_op:
        batch_op.drop_index("ix_districts_parent_code")

    op.drop_table("districts")
