"""The names each service shows, apart from its audited read models (shared/pii/names.py).

Revision ID: 0002_person_names
Revises: 0001_platform
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_person_names"
down_revision: str | Sequence[str] | None = "0001_platform"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person_names",
        sa.Column("case_id", sa.String(200), primary_key=True),
        sa.Column("person_id", sa.String(64), nullable=True),
        sa.Column("display_name", sa.String(400), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("person_names")
