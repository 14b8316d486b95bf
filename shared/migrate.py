"""Bring a database to the newest schema with alembic, from async code or the command line."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from shared.db import Database


def alembic_config(url: str, extra_version_locations: Sequence[str] = ()) -> Config:
    ini = files("shared.migrations").joinpath("alembic.ini")
    config = Config(str(ini))
    locations = ["shared:migrations/versions", *extra_version_locations]
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def migrate(database: Database, extra_version_locations: Sequence[str] = ()) -> None:
    config = alembic_config(database.url, extra_version_locations)

    def upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")

    async with database.transaction() as conn:
        await conn.run_sync(upgrade)
