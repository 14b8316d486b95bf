"""The column and statement shapes Runway's migrations repeat, for the platform's, the key
store's and every service's migrations.

A released migration must go on producing the same schema: never change what a helper here
produces; add another helper instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.dbtypes import BigIntId as BigIntId  # the migrations import it from here


def on_postgres() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def case_key(length: int = 200) -> sa.Column[str]:
    """A read model's primary key: the case it is about."""
    return sa.Column("case_id", sa.String(length), primary_key=True)


def timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    """An instant, with its time zone (stored in UTC)."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def projected() -> tuple[sa.Column[object], ...]:
    """A read model row's last columns, as court's and transport's first migrations created
    them: the stream version it reflects, its view as JSON, and when it was written."""
    return (sa.Column("version", sa.Integer, nullable=False),
            sa.Column("view", sa.JSON, nullable=False),
            timestamp("updated_at"))


def partial_index(name: str, table: str, columns: Sequence[str], where: str) -> None:
    """An index over the rows `where` holds only, on both backends (a worker that only ever
    looks at pending rows reads a small index)."""
    op.create_index(name, table, list(columns), postgresql_where=sa.text(where),
                    sqlite_where=sa.text(where))


def copy_person_names(table: str, name: str) -> None:
    """Copy `table`'s names (the SQL expression `name`) into person_names, skipping the cases
    that already have one there."""
    op.execute(f"INSERT INTO person_names (case_id, display_name) "
               f"SELECT case_id, {name} FROM {table} WHERE {name} IS NOT NULL "
               f"AND case_id NOT IN (SELECT case_id FROM person_names)")


def view_field(name: str) -> str:
    """The SQL expression reading a top-level field of the JSON column `view`."""
    return f"view->>'{name}'" if on_postgres() else f"json_extract(view, '$.{name}')"


def drop_view_field(table: str, name: str) -> None:
    """Remove a top-level field from every stored `view` (JSON) of `table`."""
    if on_postgres():
        op.execute(f"UPDATE {table} SET view = (view::jsonb - '{name}')::json")
    else:
        op.execute(f"UPDATE {table} SET view = json_remove(view, '$.{name}')")
