"""Database engines and transactions. Nothing here runs at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from shared.retry import retry


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database (each service owns one)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return url
    return parsed.set(database=database).render_as_string(hide_password=False)


def asyncpg_dsn(url: str) -> str:
    """A plain libpq DSN for asyncpg from a SQLAlchemy URL (used by LISTEN connections)."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def _sqlite_serialised_writes(engine: AsyncEngine) -> None:
    """SQLite: take the write lock at BEGIN, so concurrent writers queue instead of failing
    on lock upgrade; WAL lets readers run beside the writer."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        # A deleted row (an erased person's data key) is overwritten, not left in free space.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


async def driver_connection(conn: AsyncConnection) -> Any:
    """The asyncpg connection under a SQLAlchemy one, inside the caller's transaction: for hot
    statements whose SQLAlchemy execution costs more CPU than the statement itself (the bench
    measured an event append at ~1,180 us of Python through SQLAlchemy, ~620 us direct).

    SQLAlchemy's asyncpg adapter sends BEGIN lazily, with the first statement; a statement
    sent to the driver directly must begin the transaction the same way, or it would commit
    on its own. Errors come back as asyncpg's exceptions, not SQLAlchemy's."""
    if not conn.in_transaction():
        # Begin SQLAlchemy's own transaction too, or a later conn.commit() on a connect()
        # connection would not know there is one and the statement would be rolled back.
        await conn.begin()
    adapted: Any = (await conn.get_raw_connection()).dbapi_connection
    if adapted._transaction is None:
        await adapted._start_transaction()  # a no-op on an AUTOCOMMIT connection
    return adapted.driver_connection


class Database:
    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int | None = None,
                 echo: bool = False) -> None:
        """`max_overflow` (default: `pool_size`) connections beyond the pool are opened when
        it runs dry and closed again on return: under steady load that is a new PostgreSQL
        backend per request, so a service sizes its pool for its load and sets it to 0."""
        self.url = url
        backend = make_url(url).get_backend_name()
        options: dict[str, Any] = {"echo": echo}
        if backend == "postgresql":
            options.update(pool_size=pool_size, pool_recycle=1800,
                           max_overflow=pool_size if max_overflow is None else max_overflow)
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if backend == "sqlite":
            _sqlite_serialised_writes(self.engine)
            database_file = make_url(url).database
            if database_file and database_file != ":memory:":
                Path(database_file).parent.mkdir(parents=True, exist_ok=True)
        self.is_postgres = backend == "postgresql"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One database transaction: committed when the block exits normally, else rolled back."""
        async with self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncConnection]:
        """A connection whose every statement commits on its own. On PostgreSQL that is one
        round trip per write instead of three (BEGIN, the statement, COMMIT); elsewhere it is
        an ordinary transaction, committed when the block exits normally."""
        if not self.is_postgres:
            async with self.transaction() as conn:
                yield conn
            return
        async with self.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn

    async def purge_deleted(self) -> None:
        """SQLite: move the write-ahead log into the database file and empty it, so a deleted
        row (with secure_delete, overwritten there) leaves no copy in the log. PostgreSQL
        reclaims dead rows with its own vacuum."""
        if self.is_postgres:
            return
        async with self.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection  # outside any transaction: a checkpoint needs that
            assert driver is not None
            await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


DROP_ATTEMPTS = 8


async def drop_database(server_url: str, name: str) -> bool:
    """Drop database `name` on a PostgreSQL server, ending its sessions; False when it had to
    be left behind.

    FORCE cannot end a superuser's session, such as an autovacuum worker that has just started
    on a fresh database; it leaves within moments, so the drop is asked again a few times. A
    copy left behind is only disk, and not worth failing the caller's work over.
    """
    conn = await asyncpg.connect(asyncpg_dsn(with_database(server_url, "postgres")))
    try:
        await retry(lambda: conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'),
                    on=asyncpg.InsufficientPrivilegeError,
                    delays=[0.2 * attempt for attempt in range(1, DROP_ATTEMPTS)])
        return True
    except asyncpg.InsufficientPrivilegeError:
        return False
    finally:
        await conn.close()
