"""When each erasure's event was seen in the case's log: intake's reconciler looks only at the
erasures without it (the key store is erased first, the event appended after).

Revision ID: pii_0002
Revises: pii_0001
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "pii_0002"
down_revision: str | Sequence[str] | None = "pii_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Null for erasures recorded before this column: the reconciler checks each once.
    op.add_column("pii_erasures",
                  sa.Column("logged_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_pii_erasures_unlogged", "pii_erasures", ["erased_at", "person_id"],
                    postgresql_where=sa.text("logged_at IS NULL"),
                    sqlite_where=sa.text("logged_at IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_pii_erasures_unlogged", table_name="pii_erasures")
    op.drop_column("pii_erasures", "logged_at")
