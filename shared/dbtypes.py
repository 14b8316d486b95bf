"""Column types that behave the same on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

# A 64-bit identity on PostgreSQL; INTEGER on SQLite, where only an INTEGER PRIMARY KEY is an
# alias of the rowid and so autoincrements. Released migrations create tables with it too
# (shared/migrations/columns.py): never change what it produces.
BigIntId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """An instant, always UTC-aware in Python whatever the driver hands back.

    PostgreSQL (timestamptz) returns aware datetimes; SQLite stores text without an offset and
    returns naive ones, which then fail every comparison with an aware `now`. Values are
    written as UTC so SQLite's text ordering is time ordering, and read back tagged as UTC.
    The DDL is unchanged (`DateTime(timezone=True)`), so no migration is needed.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            # A naive instant means a different moment on each backend (PostgreSQL reads it
            # in the session's time zone): refuse it rather than store a guess.
            raise ValueError(f"naive datetime {value.isoformat()}: pass a UTC-aware instant")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # Raw text from a driver that parses nothing (SQLite under a textual select).
        instant = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        if instant.tzinfo is None:
            return instant.replace(tzinfo=UTC)  # written as UTC by process_bind_param
        return instant.astimezone(UTC)
