"""Replicas of a service start together and each migrates its database: two migrations of
the same fresh PostgreSQL database at once must both succeed, one after the other (without
the migration lock the second failed with "relation alembic_version already exists")."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from shared.db import Database
from shared.migrate import migrate
from tests.support import infra


async def test_two_replicas_migrating_one_fresh_database_at_once_both_succeed(
    pg_server: str,
) -> None:
    url = await infra.create_database(pg_server)
    replicas = [Database(url), Database(url)]
    try:
        await asyncio.gather(*(migrate(db) for db in replicas))
        async with replicas[0].connect() as conn:
            heads = (await conn.execute(text("SELECT count(*) FROM alembic_version"))).scalar()
        assert heads is not None and heads >= 1
    finally:
        for db in replicas:
            await db.dispose()
        await infra.drop_database(pg_server, url)
