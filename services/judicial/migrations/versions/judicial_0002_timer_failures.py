"""Judicial timers: record failed attempts so one failing timer cannot hold up the others."""

import sqlalchemy as sa
from alembic import op

from shared.migrations.columns import timestamp

revision = "judicial_0002"
down_revision = "judicial_0001"


def upgrade() -> None:
    op.add_column("judicial_timers", sa.Column("failures", sa.Integer, nullable=False,
                                               server_default="0"))
    op.add_column("judicial_timers", sa.Column("last_error", sa.Text, nullable=True))
    # A failed timer is skipped until then (exponential backoff), letting the others run.
    op.add_column("judicial_timers", timestamp("retry_at", nullable=True))


def downgrade() -> None:
    op.drop_column("judicial_timers", "retry_at")
    op.drop_column("judicial_timers", "last_error")
    op.drop_column("judicial_timers", "failures")
