"""Judicial timers: record failed attempts so one failing timer cannot hold up the others.

Revision ID: judicial_0002
Revises: judicial_0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "judicial_0002"
down_revision: str | Sequence[str] | None = "judicial_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("judicial_timers", sa.Column("failures", sa.Integer, nullable=False,
                                               server_default="0"))
    op.add_column("judicial_timers", sa.Column("last_error", sa.Text, nullable=True))
    # A failed timer is skipped until then (exponential backoff), letting the others run.
    op.add_column("judicial_timers", sa.Column("retry_at", sa.DateTime(timezone=True),
                                               nullable=True))


def downgrade() -> None:
    op.drop_column("judicial_timers", "retry_at")
    op.drop_column("judicial_timers", "last_error")
    op.drop_column("judicial_timers", "failures")
