"""What every service's read model does the same way: key a case's row, keep the projection's
own columns, write an aggregate's row, and answer one page of a list with the filters the
caller gave."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.dbtypes import UtcDateTime

Query = TypeVar("Query", bound=sa.Select[Any])


def case_key(length: int = 200) -> sa.Column[str]:
    """The key of a read model that keeps one row per case."""
    return sa.Column("case_id", sa.String(length), primary_key=True)


def projected(view: type[sa.types.TypeEngine[Any]] = sa.JSON) -> tuple[sa.Column[Any], ...]:
    """What every aggregate's row carries: the stream version it reflects, its view as
    answered (JSON, or text where the service stores the serialised view), and when it was
    written."""
    return (sa.Column("version", sa.Integer, nullable=False),
            sa.Column("view", view, nullable=False),
            sa.Column("updated_at", UtcDateTime(), nullable=False))


async def upsert(conn: AsyncConnection, table: sa.Table, key: Mapping[str, Any],
                 values: Mapping[str, Any], *, on_insert: Mapping[str, Any] | None = None,
                 ) -> None:
    """Update the row, or insert it (with `on_insert`'s columns too, which an update leaves
    as they were). Writers of one stream are already serialised by the event store's version
    check, so update-then-insert cannot race with itself."""
    where = [table.c[name] == value for name, value in key.items()]
    updated = await conn.execute(table.update().where(*where).values(**values))
    if not updated.rowcount:
        await conn.execute(table.insert().values(**key, **(on_insert or {}), **values))


def page(query: Query, *equal: tuple[sa.ColumnElement[Any], object], limit: int,
         offset: int) -> Query:
    """One page of `query`, keeping the rows whose column equals each value given (a filter
    whose value is None is not asked for)."""
    for column, value in equal:
        if value is not None:
            query = query.where(column == value)
    return query.limit(limit).offset(offset)
