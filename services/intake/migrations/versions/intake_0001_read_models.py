"""Intake read models: the case list and the cross-service timeline."""

import sqlalchemy as sa
from alembic import op

from shared.migrations.columns import timestamp

revision = "intake_0001"
down_revision = "0001_platform"


def upgrade() -> None:
    op.create_table(
        "intake_cases",
        sa.Column("case_id", sa.String(40), primary_key=True),
        sa.Column("request_reference", sa.String(200), nullable=True, unique=True),
        sa.Column("full_name", sa.String(400), nullable=False),
        sa.Column("legal_basis", sa.String(40), nullable=False),
        sa.Column("requesting_district", sa.String(10), nullable=False),
        sa.Column("status", sa.String(60), nullable=False),
        sa.Column("clearance", sa.String(40), nullable=False),
        timestamp("submitted_at"),
        timestamp("updated_at"),
    )
    op.create_index("ix_intake_cases_status", "intake_cases", ["status"])
    op.create_table(
        "intake_timeline",
        sa.Column("event_id", sa.Uuid, primary_key=True),
        sa.Column("case_id", sa.String(200), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("stream_version", sa.Integer, nullable=False),
        timestamp("occurred_at"),
        timestamp("recorded_at"),
        sa.Column("actor", sa.String(300), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_intake_timeline_case", "intake_timeline",
                    ["case_id", "occurred_at", "recorded_at"])


def downgrade() -> None:
    op.drop_table("intake_timeline")
    op.drop_table("intake_cases")
