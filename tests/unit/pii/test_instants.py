"""The key store's and the names table's instants are UtcDateTime: UTC-aware on SQLite too, and
the DDL is the migrations' own, so switching the column type needed no migration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from shared.db import Database
from shared.dbtypes import UtcDateTime
from shared.pii import keystore, names

MEXICO_CITY = timezone(timedelta(hours=-6))
TABLES = (keystore.data_keys, keystore.erasures, names.person_names)
INSTANTS = [(t.name, c.name) for t in TABLES for c in t.columns
            if isinstance(c.type, sa.DateTime | UtcDateTime)]


@pytest.mark.parametrize(("table", "column"), INSTANTS)
@pytest.mark.parametrize("dialect", [postgresql, sqlite], ids=["postgresql", "sqlite"])
def test_every_instant_is_utc_aware_with_the_migrations_ddl(
        table: str, column: str, dialect: Any) -> None:
    [found] = [c for t in TABLES if t.name == table for c in t.columns if c.name == column]
    assert isinstance(found.type, UtcDateTime)
    migrated = sa.DateTime(timezone=True)  # what the migrations create
    assert found.type.compile(dialect.dialect()) == migrated.compile(dialect.dialect())


def erasure(person_id: str, at: datetime) -> keystore.Erasure:
    return keystore.Erasure(person_id, f"RWY-{person_id}", at, "privacy-7", "privacy_officer",
                            "court order")


async def test_erasures_on_sqlite_read_back_as_utc_instants_in_time_order(
        tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}")
    early = datetime(2025, 8, 12, 12, 0, tzinfo=MEXICO_CITY)  # 18:00 UTC
    late = datetime(2025, 8, 12, 19, 0, tzinfo=UTC)  # later, though earlier on a wall clock
    try:
        async with database.transaction() as conn:
            await conn.run_sync(keystore.metadata.create_all)
            await keystore.record_erasure(conn, erasure("p-late", late))
            await keystore.record_erasure(conn, erasure("p-early", early))
            found = await keystore.erasure_of(conn, "p-early")
            first = await keystore.unlogged_erasures(
                conn, erased_before=late + timedelta(seconds=1), after=None, limit=1)
            rest = await keystore.unlogged_erasures(
                conn, erased_before=late + timedelta(seconds=1),
                after=(first[0].erased_at, first[0].person_id), limit=10)
    finally:
        await database.dispose()
    assert found is not None and found.erased_at == early and found.erased_at.tzinfo is UTC
    assert [e.person_id for e in first + rest] == ["p-early", "p-late"]
