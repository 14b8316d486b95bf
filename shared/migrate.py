"""Bring a database to the newest schema with alembic, from async code or the command line."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text

from shared.db import Database


def alembic_config(url: str, extra_version_locations: Sequence[str] = ()) -> Config:
    ini = files("shared.migrations").joinpath("alembic.ini")
    config = Config(str(ini))
    locations = ["shared:migrations/versions", *extra_version_locations]
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


# Replicas of a service start together and each migrates its database: on PostgreSQL the
# upgrade holds this transaction-level advisory lock, so the second waits for the first's
# commit and then finds the schema at head (without it: "relation alembic_version already
# exists"). SQLite's single writer already serialises them.
MIGRATION_LOCK_KEY = 0x52_75_6E_77_61_79  # "Runway"


async def migrate(database: Database, extra_version_locations: Sequence[str] = ()) -> None:
    config = alembic_config(database.url, extra_version_locations)

    def upgrade(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": MIGRATION_LOCK_KEY})
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")

    async with database.transaction() as conn:
        await conn.run_sync(upgrade)


async def migrate_url(url: str, extra_version_locations: Sequence[str] = ()) -> None:
    """Bring the database at `url` to the newest schema over a connection of its own, closed
    afterwards."""
    database = Database(url, pool_size=1)
    try:
        await migrate(database, extra_version_locations)
    finally:
        await database.dispose()
