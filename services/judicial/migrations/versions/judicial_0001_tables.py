"""Judicial read model and timers."""

import sqlalchemy as sa
from alembic import op

from shared.migrations.columns import BigIntId, case_key, partial_index, timestamp

revision = "judicial_0001"
down_revision = "0001_platform"


def upgrade() -> None:
    op.create_table(
        "judicial_cases",
        case_key(),
        sa.Column("legal_basis", sa.String(40), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("requesting_district", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("view", sa.Text, nullable=False),
        timestamp("opened_at"),
        timestamp("updated_at"),
    )
    op.create_index("ix_judicial_cases_status", "judicial_cases", ["status", "opened_at"])
    op.create_table(
        "judicial_timers",
        sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        timestamp("due_at"),
        timestamp("created_at"),
        timestamp("fired_at", nullable=True),
        timestamp("cancelled_at", nullable=True),
        sa.UniqueConstraint("case_id", "kind", name="uq_judicial_timers_case_kind"),
    )
    # The scheduler only ever looks at pending timers, soonest first.
    partial_index("ix_judicial_timers_pending", "judicial_timers", ["due_at"],
                  "fired_at IS NULL AND cancelled_at IS NULL")


def downgrade() -> None:
    op.drop_table("judicial_timers")
    op.drop_table("judicial_cases")
