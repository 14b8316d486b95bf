"""The person's name moves from intake_cases to person_names (shared/pii/names.py), out of the
read models an audit replay rebuilds from the (sealed) log.
"""

from alembic import op

revision = "intake_0003"
down_revision = "intake_0002"
depends_on = "0002_person_names"


def upgrade() -> None:
    op.execute("INSERT INTO person_names (case_id, display_name) "
               "SELECT case_id, full_name FROM intake_cases")
    with op.batch_alter_table("intake_cases") as table:
        table.drop_column("full_name")


def downgrade() -> None:
    import sqlalchemy as sa

    with op.batch_alter_table("intake_cases") as table:
        table.add_column(sa.Column("full_name", sa.String(400), nullable=True))
    op.execute("UPDATE intake_cases SET full_name = (SELECT display_name FROM person_names "
               "WHERE person_names.case_id = intake_cases.case_id)")
