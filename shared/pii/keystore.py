"""The key store's tables and the statements on them (SQLAlchemy Core).

One key store serves every service. It holds no personal data: a person's data key wrapped by
a master key, and, once erased, only the record of the erasure (when, who, why, and when the
case's log was seen to hold the erasure's event).

Creating and deleting a person's key take a per-person lock (PostgreSQL advisory lock, for the
transaction), so a key can never be created beside an erasure that commits at the same moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db import Database
from shared.dbtypes import UtcDateTime

metadata = sa.MetaData()

data_keys = sa.Table(
    "pii_data_keys", metadata,
    sa.Column("person_id", sa.String(64), primary_key=True),
    sa.Column("kek_id", sa.String(64), nullable=False),
    sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("wrapped_at", UtcDateTime(), nullable=False),
)

erasures = sa.Table(
    "pii_erasures", metadata,
    sa.Column("person_id", sa.String(64), primary_key=True),
    sa.Column("case_id", sa.String(200), nullable=True),
    sa.Column("erased_at", UtcDateTime(), nullable=False),
    sa.Column("erased_by", sa.String(300), nullable=False),
    sa.Column("erased_by_role", sa.String(100), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    # When intake saw intake.personal_data_erased in the case's log; null until then.
    sa.Column("logged_at", UtcDateTime(), nullable=True),
)

# Serialises the key store's migration across the services that share it (PostgreSQL).
_MIGRATION_LOCK = 0x70_69_69_5F_6B_65_79_73  # "pii_keys"
# The first half of the two-part advisory lock on one person's key ("pii_").
_PERSON_LOCK = 0x70_69_69_5F


@dataclass(frozen=True)
class StoredKey:
    person_id: str
    kek_id: str
    wrapped_key: bytes


@dataclass(frozen=True)
class Erasure:
    """The record an erasure leaves: no personal data, only when, who and why."""

    person_id: str
    case_id: str | None
    erased_at: datetime
    erased_by: str
    erased_by_role: str
    reason: str


async def migrate_keystore(database: Database) -> None:
    ini = files("shared.pii.migrations").joinpath("alembic.ini")
    config = Config(str(ini))
    config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))

    def upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")

    async with database.transaction() as conn:
        if database.is_postgres:
            await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
        await conn.run_sync(upgrade)


async def lock_person(conn: AsyncConnection, person_id: str) -> None:
    """Serialise key creation and erasure of one person until the transaction ends. SQLite
    needs none: it serialises writers itself, and a writer that read before another wrote
    fails instead of going on."""
    if conn.dialect.name == "postgresql":
        await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(
            _PERSON_LOCK, sa.func.hashtext(person_id))))


async def stored_key(conn: AsyncConnection, person_id: str) -> StoredKey | None:
    row = (await conn.execute(sa.select(data_keys.c.person_id, data_keys.c.kek_id,
                                        data_keys.c.wrapped_key)
                              .where(data_keys.c.person_id == person_id))).first()
    return None if row is None else StoredKey(row.person_id, row.kek_id, bytes(row.wrapped_key))


async def insert_key(conn: AsyncConnection, key: StoredKey, at: datetime) -> None:
    # Parameters apart from the statement: SQLAlchemy compiles it once and reuses it, where
    # `.values(...)` would build and fingerprint a new statement for every key.
    await conn.execute(data_keys.insert(), {
        "person_id": key.person_id, "kek_id": key.kek_id, "wrapped_key": key.wrapped_key,
        "created_at": at, "wrapped_at": at})


async def delete_key(conn: AsyncConnection, person_id: str) -> None:
    await conn.execute(data_keys.delete().where(data_keys.c.person_id == person_id))


_ERASURE_COLUMNS = (erasures.c.person_id, erasures.c.case_id, erasures.c.erased_at,
                    erasures.c.erased_by, erasures.c.erased_by_role, erasures.c.reason)


def _erasure(row: Any) -> Erasure:  # a row of _ERASURE_COLUMNS
    return Erasure(row.person_id, row.case_id, row.erased_at, row.erased_by,
                   row.erased_by_role, row.reason)


async def erasure_of(conn: AsyncConnection, person_id: str) -> Erasure | None:
    row = (await conn.execute(sa.select(*_ERASURE_COLUMNS)
                              .where(erasures.c.person_id == person_id))).first()
    return None if row is None else _erasure(row)


async def record_erasure(conn: AsyncConnection, erasure: Erasure) -> None:
    """Record the erasure (the caller deletes the key in the same transaction)."""
    await conn.execute(erasures.insert().values(
        person_id=erasure.person_id, case_id=erasure.case_id, erased_at=erasure.erased_at,
        erased_by=erasure.erased_by, erased_by_role=erasure.erased_by_role,
        reason=erasure.reason))


async def unlogged_erasures(conn: AsyncConnection, *, erased_before: datetime,
                            after: tuple[datetime, str] | None, limit: int) -> list[Erasure]:
    """Erasures of a case whose event was not yet seen in the case's log, erased before
    `erased_before`, in (erased_at, person_id) order after `after`."""
    query = (sa.select(*_ERASURE_COLUMNS)
             .where(erasures.c.logged_at.is_(None), erasures.c.case_id.is_not(None),
                    erasures.c.erased_at < erased_before)
             .order_by(erasures.c.erased_at, erasures.c.person_id).limit(limit))
    if after is not None:
        query = query.where(sa.tuple_(erasures.c.erased_at, erasures.c.person_id)
                            > sa.tuple_(sa.literal(after[0], UtcDateTime()),
                                        sa.literal(after[1])))
    return [_erasure(row) for row in await conn.execute(query)]


async def mark_logged(conn: AsyncConnection, person_id: str, at: datetime) -> None:
    await conn.execute(erasures.update()
                       .where(erasures.c.person_id == person_id, erasures.c.logged_at.is_(None))
                       .values(logged_at=at))


async def keys_wrapped_with(conn: AsyncConnection, kek_ids: Sequence[str], *,
                            limit: int) -> list[StoredKey]:
    rows = await conn.execute(
        sa.select(data_keys.c.person_id, data_keys.c.kek_id, data_keys.c.wrapped_key)
        .where(data_keys.c.kek_id.in_(list(kek_ids)))
        .order_by(data_keys.c.person_id).limit(limit))
    return [StoredKey(r.person_id, r.kek_id, bytes(r.wrapped_key)) for r in rows]


async def replace_wrapping(conn: AsyncConnection, old: StoredKey, new: StoredKey,
                           at: datetime) -> None:
    """Re-wrap one key, unless it changed meanwhile (erased, or re-wrapped by another run)."""
    await conn.execute(data_keys.update().where(
        data_keys.c.person_id == old.person_id, data_keys.c.kek_id == old.kek_id)
        .values(kek_id=new.kek_id, wrapped_key=new.wrapped_key, wrapped_at=at))


async def keys_per_master_key(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(sa.select(data_keys.c.kek_id, sa.func.count())
                              .group_by(data_keys.c.kek_id))
    return {str(kek_id): int(count) for kek_id, count in rows}


async def erasure_count(conn: AsyncConnection) -> int:
    return int(await conn.scalar(sa.select(sa.func.count()).select_from(erasures)) or 0)
