"""Alembic environment of the key store: runs on a connection handed in by
shared.pii.keystore.migrate_keystore. Its own version table lets the key store share a
database with a service (as in-process tests do) without the two histories meeting."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

VERSION_TABLE = "pii_alembic_version"

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=None,
                      version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("the key store is migrated by shared.pii.keystore.migrate_keystore")
_run(connection)
