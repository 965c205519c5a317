"""cases: the case workflow (cases, audit events, alert links, supervision flags, whistle summons)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 22:58:44.364470
"""

from alembic import op
import sqlalchemy as sa

from registry.models import UTCDateTime


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Carried in the KPI indexes on PostgreSQL so the KPIs are index-only scans.
FIGURES = ["closed_at", "late_stages", "follow_up_result", "sign_for_work_s", "resolve_work_s"]
SCOPE = ["department_id", "district_path"]


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("fingerprint", sa.String(length=200), nullable=False),
        sa.Column("is_group", sa.Boolean(), nullable=False),
        sa.Column("camera_fault", sa.Boolean(), nullable=False),
        sa.Column("camera_id", sa.String(length=64), nullable=True),
        sa.Column("camera_use", sa.String(length=32), nullable=True),
        sa.Column("cameras_affected", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(length=24), nullable=False),
        sa.Column(
            "district_path",
            sa.String(length=400).with_variant(sa.String(length=400, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("district_level", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.Column("accepted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("signed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("followed_up_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("archived_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=True),
        sa.Column("stage_seq", sa.Integer(), nullable=False),
        sa.Column("stage_started_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("clock_from", UTCDateTime(timezone=True), nullable=True),
        sa.Column("stage_budget_s", sa.Float(), nullable=True),
        sa.Column("stage_deadline", UTCDateTime(timezone=True), nullable=True),
        sa.Column("yellow_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("red_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_flag_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("supervision", sa.String(length=8), nullable=False),
        sa.Column("paused_remaining_s", sa.Float(), nullable=True),
        sa.Column("deadline_estimated", sa.Boolean(), nullable=False),
        sa.Column("late_stages", sa.Integer(), nullable=False),
        sa.Column("sign_for_work_s", sa.Float(), nullable=True),
        sa.Column("resolve_work_s", sa.Float(), nullable=True),
        sa.Column("follow_up_result", sa.String(length=16), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("yellow_count", sa.Integer(), nullable=False),
        sa.Column("red_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_cases_department_id_departments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["district_code"], ["districts.code"], name=op.f("fk_cases_district_code_districts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_closed_at", ["closed_at"], unique=False, postgresql_include=SCOPE
        )
        batch_op.create_index("ix_cases_deadline_estimated", ["deadline_estimated"], unique=False)
        batch_op.create_index(
            "ix_cases_department_id_opened_at",
            ["department_id", "opened_at"],
            unique=False,
            postgresql_include=FIGURES,
        )
        batch_op.create_index(
            "ix_cases_district_path_opened_at",
            ["district_path", "opened_at"],
            unique=False,
            postgresql_include=FIGURES,
        )
        batch_op.create_index(
            "ix_cases_fingerprint_closed_at", ["fingerprint", "closed_at"], unique=False
        )
        batch_op.create_index("ix_cases_next_flag_at", ["next_flag_at"], unique=False)
        batch_op.create_index(
            "ix_cases_opened_at", ["opened_at"], unique=False, postgresql_include=FIGURES
        )
        batch_op.create_index(
            "ix_cases_stage_deadline", ["stage_deadline"], unique=False, postgresql_include=SCOPE
        )
        batch_op.create_index("ix_cases_status", ["status"], unique=False)
        batch_op.create_index(
            "uq_cases_open_fingerprint",
            ["fingerprint"],
            unique=True,
            sqlite_where=sa.text("status NOT IN ('archived', 'closed', 'followed_up')"),
            postgresql_where=sa.text("status NOT IN ('archived', 'closed', 'followed_up')"),
        )

    op.create_table(
        "case_alerts",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=200), nullable=False),
        sa.Column("linked_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_alerts_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", "alert_id", name=op.f("pk_case_alerts")),
    )
    with op.batch_alter_table("case_alerts", schema=None) as batch_op:
        batch_op.create_index("ix_case_alerts_alert_id", ["alert_id"], unique=False)

    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=True),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("department_id", sa.String(length=64), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=True),
        sa.Column("stage_deadline", UTCDateTime(timezone=True), nullable=True),
        sa.Column("deadline_estimated", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index("ix_case_events_case_id_id", ["case_id", "id"], unique=False)

    op.create_table(
        "case_flags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("raised_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("department_id", sa.String(length=64), nullable=True),
        sa.Column("escalated_to", sa.String(length=64), nullable=True),
        sa.Column(
            "district_path",
            sa.String(length=400).with_variant(sa.String(length=400, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_flags_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_flags")),
        sa.UniqueConstraint("case_id", "subject", "level", name="uq_case_flags_case_subject_level"),
    )
    with op.batch_alter_table("case_flags", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_flags_department_id_raised_at",
            ["department_id", "raised_at"],
            unique=False,
            postgresql_include=["level"],
        )
        batch_op.create_index(
            "ix_case_flags_raised_at",
            ["raised_at"],
            unique=False,
            postgresql_include=["department_id", "level", "district_path"],
        )

    op.create_table(
        "case_summons",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("summoned_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("summoned_by", sa.String(length=200), nullable=False),
        sa.Column("deadline", UTCDateTime(timezone=True), nullable=False),
        sa.Column("deadline_estimated", sa.Boolean(), nullable=False),
        sa.Column("yellow_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_flag_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("supervision", sa.String(length=8), nullable=False),
        sa.Column("checked_in_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_in_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_summons_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_case_summons_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_summons")),
        sa.UniqueConstraint("case_id", "department_id", name="uq_case_summons_case_department"),
    )
    with op.batch_alter_table("case_summons", schema=None) as batch_op:
        batch_op.create_index("ix_case_summons_next_flag_at", ["next_flag_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_summons", schema=None) as batch_op:
        batch_op.drop_index("ix_case_summons_next_flag_at")

    op.drop_table("case_summons")
    with op.batch_alter_table("case_flags", schema=None) as batch_op:
        batch_op.drop_index("ix_case_flags_raised_at")
        batch_op.drop_index("ix_case_flags_department_id_raised_at")

    op.drop_table("case_flags")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index("ix_case_events_case_id_id")

    op.drop_table("case_events")
    with op.batch_alter_table("case_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_case_alerts_alert_id")

    op.drop_table("case_alerts")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_cases_open_fingerprint",
            sqlite_where=sa.text("status NOT IN ('archived', 'closed', 'followed_up')"),
            postgresql_where=sa.text("status NOT IN ('archived', 'closed', 'followed_up')"),
        )
        batch_op.drop_index("ix_cases_status")
        batch_op.drop_index("ix_cases_stage_deadline")
        batch_op.drop_index("ix_cases_opened_at")
        batch_op.drop_index("ix_cases_next_flag_at")
        batch_op.drop_index("ix_cases_fingerprint_closed_at")
        batch_op.drop_index("ix_cases_district_path_opened_at")
        batch_op.drop_index("ix_cases_department_id_opened_at")
        batch_op.drop_index("ix_cases_deadline_estimated")
        batch_op.drop_index("ix_cases_closed_at")

    op.drop_table("cases")
