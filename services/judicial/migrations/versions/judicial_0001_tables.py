"""Judicial read model and timers.

Revision ID: judicial_0001
Revises: 0001_platform
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "judicial_0001"
down_revision: str | Sequence[str] | None = "0001_platform"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigIntId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "judicial_cases",
        sa.Column("case_id", sa.String(200), primary_key=True),
        sa.Column("legal_basis", sa.String(40), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("requesting_district", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("view", sa.Text, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_judicial_cases_status", "judicial_cases", ["status", "opened_at"])
    op.create_table(
        "judicial_timers",
        sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("case_id", "kind", name="uq_judicial_timers_case_kind"),
    )
    # The scheduler only ever looks at pending timers, soonest first.
    op.create_index("ix_judicial_timers_pending", "judicial_timers", ["due_at"],
                    postgresql_where=sa.text("fired_at IS NULL AND cancelled_at IS NULL"),
                    sqlite_where=sa.text("fired_at IS NULL AND cancelled_at IS NULL"))


def downgrade() -> None:
    op.drop_table("judicial_timers")
    op.drop_table("judicial_cases")
