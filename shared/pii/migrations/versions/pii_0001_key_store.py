"""The key store: each person's data key, wrapped by a master key; the record of erasures.

Revision ID: pii_0001
Revises:
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "pii_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pii_data_keys",
        sa.Column("person_id", sa.String(64), primary_key=True),
        sa.Column("kek_id", sa.String(64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wrapped_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_pii_data_keys_kek", "pii_data_keys", ["kek_id"])
    op.create_table(
        "pii_erasures",
        sa.Column("person_id", sa.String(64), primary_key=True),
        sa.Column("case_id", sa.String(200), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_by", sa.String(300), nullable=False),
        sa.Column("erased_by_role", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pii_erasures")
    op.drop_table("pii_data_keys")
