"""Assurance read model: one row per case with its clearance and the case view."""

import sqlalchemy as sa
from alembic import op

from shared.migrations.columns import case_key, timestamp

revision = "assurance_0001"
down_revision = "0001_platform"


def upgrade() -> None:
    op.create_table(
        "assurance_cases",
        case_key(),
        sa.Column("legal_basis", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("cleared", sa.Boolean, nullable=False),
        timestamp("cleared_since", nullable=True),
        sa.Column("basis", sa.String(40), nullable=True),
        sa.Column("clearance_exception", sa.String(60), nullable=True),
        sa.Column("uncovered_charge_ids", sa.JSON, nullable=False),
        sa.Column("transfer_flagged", sa.Boolean, nullable=False),
        sa.Column("view", sa.JSON, nullable=False),
        timestamp("updated_at"),
    )
    op.create_index("ix_assurance_cases_cleared", "assurance_cases", ["cleared", "case_id"])


def downgrade() -> None:
    op.drop_table("assurance_cases")
