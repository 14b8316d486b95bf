"""Stored case views lose their copy of the person's name, which answers now take from
person_names (shared/pii/names.py), outside the tables an audit replay rebuilds.
"""

from shared.migrations.columns import copy_person_names, drop_view_field, view_field

revision = "court_0002"
down_revision = "court_0001"
depends_on = "0002_person_names"


def upgrade() -> None:
    copy_person_names("court_cases", view_field("person_name"))
    drop_view_field("court_cases", "person_name")


def downgrade() -> None:
    pass
