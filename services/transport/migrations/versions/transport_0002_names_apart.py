"""Names move out of the transport read model into person_names (shared/pii/names.py), out
of the tables an audit replay rebuilds; stored views lose their copy of the name.

Revision ID: transport_0002
Revises: transport_0001
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "transport_0002"
down_revision: str | Sequence[str] | None = "transport_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0002_person_names"


def upgrade() -> None:
    op.execute("INSERT INTO person_names (case_id, display_name) "
               "SELECT case_id, person_name FROM transport_cases "
               "WHERE person_name IS NOT NULL AND case_id NOT IN "
               "(SELECT case_id FROM person_names)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE transport_cases SET view = (view::jsonb - 'person_name')::json")
    else:
        op.execute("UPDATE transport_cases SET view = json_remove(view, '$.person_name')")
    with op.batch_alter_table("transport_cases") as table:
        table.drop_column("person_name")
    with op.batch_alter_table("transport_manifest") as table:
        table.drop_column("person_name")


def downgrade() -> None:
    with op.batch_alter_table("transport_manifest") as table:
        table.add_column(sa.Column("person_name", sa.String(400), nullable=True))
    with op.batch_alter_table("transport_cases") as table:
        table.add_column(sa.Column("person_name", sa.String(400), nullable=True))
