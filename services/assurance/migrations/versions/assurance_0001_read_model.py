"""Assurance read model: one row per case with its clearance and the case view.

Revision ID: assurance_0001
Revises: 0001_platform
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "assurance_0001"
down_revision: str | Sequence[str] | None = "0001_platform"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assurance_cases",
        sa.Column("case_id", sa.String(200), primary_key=True),
        sa.Column("legal_basis", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("cleared", sa.Boolean, nullable=False),
        sa.Column("cleared_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("basis", sa.String(40), nullable=True),
        sa.Column("clearance_exception", sa.String(60), nullable=True),
        sa.Column("uncovered_charge_ids", sa.JSON, nullable=False),
        sa.Column("transfer_flagged", sa.Boolean, nullable=False),
        sa.Column("view", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_assurance_cases_cleared", "assurance_cases", ["cleared", "case_id"])


def downgrade() -> None:
    op.drop_table("assurance_cases")
