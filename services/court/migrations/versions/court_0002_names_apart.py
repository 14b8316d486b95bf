"""Stored case views lose their copy of the person's name, which answers now take from
person_names (shared/pii/names.py), outside the tables an audit replay rebuilds.

Revision ID: court_0002
Revises: court_0001
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "court_0002"
down_revision: str | Sequence[str] | None = "court_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0002_person_names"


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    name = "view->>'person_name'" if postgres else "json_extract(view, '$.person_name')"
    op.execute(f"INSERT INTO person_names (case_id, display_name) "
               f"SELECT case_id, {name} FROM court_cases WHERE {name} IS NOT NULL "
               f"AND case_id NOT IN (SELECT case_id FROM person_names)")
    if postgres:
        op.execute("UPDATE court_cases SET view = (view::jsonb - 'person_name')::json")
    else:
        op.execute("UPDATE court_cases SET view = json_remove(view, '$.person_name')")


def downgrade() -> None:
    pass
