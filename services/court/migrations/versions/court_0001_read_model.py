"""Court read model: one row per intake record with its status and the case view."""

import sqlalchemy as sa
from alembic import op

from shared.migrations.columns import case_key, partial_index, projected, timestamp

revision = "court_0001"
down_revision = "0001_platform"


def upgrade() -> None:
    op.create_table(
        "court_cases",
        case_key(),
        sa.Column("district", sa.String(100), nullable=False),
        sa.Column("legal_basis", sa.String(40), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        timestamp("landed_at"),
        sa.Column("appearance_held", sa.Boolean, nullable=False),
        sa.Column("appearance_late", sa.Boolean, nullable=False),
        sa.Column("proceedings_ended", sa.Boolean, nullable=False),
        sa.Column("docket_number", sa.String(100), nullable=True),
        *projected(),
    )
    op.create_index("ix_court_cases_district", "court_cases", ["district", "landed_at"])
    # The overdue-appearance list only looks at intakes still waiting for their appearance.
    partial_index("ix_court_cases_awaiting_appearance", "court_cases", ["landed_at"],
                  "NOT appearance_held AND NOT proceedings_ended")


def downgrade() -> None:
    op.drop_table("court_cases")
