"""When each case's status and clearance last moved, so the newest event decides them.

Revision ID: intake_0002
Revises: intake_0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "intake_0002"
down_revision: str | Sequence[str] | None = "intake_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("intake_cases") as table:
        table.add_column(sa.Column("status_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("clearance_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE intake_cases SET status_at = updated_at, clearance_at = updated_at")


def downgrade() -> None:
    with op.batch_alter_table("intake_cases") as table:
        table.drop_column("clearance_at")
        table.drop_column("status_at")
