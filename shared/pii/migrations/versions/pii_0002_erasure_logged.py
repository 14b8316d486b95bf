"""When each erasure's event was seen in the case's log: intake's reconciler looks only at the
erasures without it (the key store is erased first, the event appended after).
"""

from alembic import op

from shared.migrations.columns import partial_index, timestamp

revision = "pii_0002"
down_revision = "pii_0001"


def upgrade() -> None:
    # Null for erasures recorded before this column: the reconciler checks each once.
    op.add_column("pii_erasures", timestamp("logged_at", nullable=True))
    partial_index("ix_pii_erasures_unlogged", "pii_erasures", ["erased_at", "person_id"],
                  "logged_at IS NULL")


def downgrade() -> None:
    op.drop_index("ix_pii_erasures_unlogged", table_name="pii_erasures")
    op.drop_column("pii_erasures", "logged_at")
