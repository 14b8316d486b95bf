"""Court read model: one row per intake record with its status and the case view.

Revision ID: court_0001
Revises: 0001_platform
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "court_0001"
down_revision: str | Sequence[str] | None = "0001_platform"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "court_cases",
        sa.Column("case_id", sa.String(200), primary_key=True),
        sa.Column("district", sa.String(100), nullable=False),
        sa.Column("legal_basis", sa.String(40), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("landed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("appearance_held", sa.Boolean, nullable=False),
        sa.Column("appearance_late", sa.Boolean, nullable=False),
        sa.Column("proceedings_ended", sa.Boolean, nullable=False),
        sa.Column("docket_number", sa.String(100), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("view", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_court_cases_district", "court_cases", ["district", "landed_at"])
    # The overdue-appearance list only looks at intakes still waiting for their appearance.
    op.create_index("ix_court_cases_awaiting_appearance", "court_cases", ["landed_at"],
                    postgresql_where=sa.text("NOT appearance_held AND NOT proceedings_ended"),
                    sqlite_where=sa.text("NOT appearance_held AND NOT proceedings_ended"))


def downgrade() -> None:
    op.drop_table("court_cases")
