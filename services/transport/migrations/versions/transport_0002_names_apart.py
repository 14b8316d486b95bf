"""Names move out of the transport read model into person_names (shared/pii/names.py), out
of the tables an audit replay rebuilds; stored views lose their copy of the name.
"""

import sqlalchemy as sa
from alembic import op

from shared.migrations.columns import copy_person_names, drop_view_field

revision = "transport_0002"
down_revision = "transport_0001"
depends_on = "0002_person_names"


def upgrade() -> None:
    copy_person_names("transport_cases", "person_name")
    drop_view_field("transport_cases", "person_name")
    with op.batch_alter_table("transport_cases") as table:
        table.drop_column("person_name")
    with op.batch_alter_table("transport_manifest") as table:
        table.drop_column("person_name")


def downgrade() -> None:
    with op.batch_alter_table("transport_manifest") as table:
        table.add_column(sa.Column("person_name", sa.String(400), nullable=True))
    with op.batch_alter_table("transport_cases") as table:
        table.add_column(sa.Column("person_name", sa.String(400), nullable=True))
