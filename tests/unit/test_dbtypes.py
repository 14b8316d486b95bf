"""UtcDateTime on SQLite, the embedded default: instants come back UTC-aware and ordered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import StatementError

from shared.db import Database
from shared.dbtypes import UtcDateTime

metadata = sa.MetaData()
instants = sa.Table("instants", metadata, sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("at", UtcDateTime()))
MEXICO_CITY = timezone(timedelta(hours=-6))


async def test_an_instant_in_any_zone_reads_back_as_the_same_utc_instant(
        tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    written = datetime(2025, 8, 12, 12, 0, tzinfo=MEXICO_CITY)  # 18:00 UTC
    try:
        async with database.transaction() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.execute(instants.insert(), [
                {"id": 1, "at": written},
                {"id": 2, "at": datetime(2025, 8, 12, 17, 0, tzinfo=UTC)}])
            read = await conn.scalar(sa.select(instants.c.at).where(instants.c.id == 1))
            later = await conn.scalars(sa.select(instants.c.id).where(
                instants.c.at > datetime(2025, 8, 12, 11, 30, tzinfo=MEXICO_CITY)))
            assert list(later) == [1]  # compared as instants, not as wall-clock text
    finally:
        await database.dispose()
    assert read == written and read is not None and read.tzinfo is UTC


async def test_a_naive_datetime_is_refused_not_guessed(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    try:
        async with database.transaction() as conn:
            await conn.run_sync(metadata.create_all)
            with pytest.raises(StatementError, match="naive datetime"):
                await conn.execute(instants.insert().values(id=1, at=datetime(2025, 8, 12)))
    finally:
        await database.dispose()
