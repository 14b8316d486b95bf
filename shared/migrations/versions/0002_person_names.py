"""The names each service shows, apart from its audited read models (shared/pii/names.py)."""

import sqlalchemy as sa
from alembic import op

from shared.migrations.columns import case_key, timestamp

revision = "0002_person_names"
down_revision = "0001_platform"


def upgrade() -> None:
    op.create_table(
        "person_names",
        case_key(),
        sa.Column("person_id", sa.String(64), nullable=True),
        sa.Column("display_name", sa.String(400), nullable=True),
        timestamp("erased_at", nullable=True),
    )


def downgrade() -> None:
    op.drop_table("person_names")
