"""The key store: each person's data key, wrapped by a master key; the record of erasures."""

import sqlalchemy as sa
from alembic import op

from shared.migrations.columns import timestamp

revision = "pii_0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "pii_data_keys",
        sa.Column("person_id", sa.String(64), primary_key=True),
        sa.Column("kek_id", sa.String(64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
        timestamp("created_at"),
        timestamp("wrapped_at"),
    )
    op.create_index("ix_pii_data_keys_kek", "pii_data_keys", ["kek_id"])
    op.create_table(
        "pii_erasures",
        sa.Column("person_id", sa.String(64), primary_key=True),
        sa.Column("case_id", sa.String(200), nullable=True),
        timestamp("erased_at"),
        sa.Column("erased_by", sa.String(300), nullable=False),
        sa.Column("erased_by_role", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pii_erasures")
    op.drop_table("pii_data_keys")
