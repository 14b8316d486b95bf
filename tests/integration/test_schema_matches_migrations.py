"""Every table is written down twice on purpose: once in the released alembic migrations, which
must never change, and once as the `sa.Table` the code queries. Nothing else holds the two
together, so here, for every service and for the key store, on both stores: a fresh database is
migrated to head as the running service migrates it, and alembic's autogenerate compares the
tables the code declares with what the migrations made. An empty diff means the code's tables
name exactly the columns that exist, with the types, lengths, nullability, server defaults,
keys, foreign keys, unique constraints and indexes the database has.

Services, and the tables their modules declare, are found by convention (shared/discovery), so
a new service, read model or platform table is covered without touching this file.

What a store cannot tell apart (checked on the other one, so nothing goes unchecked):
* SQLite has no time-zone-aware type: DateTime(timezone=True) and DateTime() are both DATETIME
  there; PostgreSQL (timestamptz vs timestamp) tells them apart.
* SQLite reflects an unnamed UNIQUE constraint without a name and alembic leaves those out;
  PostgreSQL names and reports them (intake_cases.request_reference).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from shared.db import Database
from shared.discovery import services_with
from shared.migrate import migrate
from shared.pii import keystore
from shared.service import ServiceSpec
from tests.support import infra


def _modules_of(package: str) -> list[ModuleType]:
    """`package` and every module under it, imported; migrations (alembic scripts) and
    `__main__` (which would start a process) are not code that queries tables."""
    root = importlib.import_module(package)
    found = [root]
    for info in pkgutil.walk_packages(root.__path__, f"{package}."):
        parts = info.name.split(".")
        if "migrations" in parts or parts[-1] == "__main__":
            continue
        found.append(importlib.import_module(info.name))
    return found


def declared_metadata(package: str) -> list[sa.MetaData]:
    """Every `sa.MetaData` a module under `package` holds at module level, once each."""
    found: dict[int, sa.MetaData] = {}
    for module in _modules_of(package):
        for value in vars(module).values():
            if isinstance(value, sa.MetaData):
                found.setdefault(id(value), value)
    return list(found.values())


@dataclass(frozen=True)
class Store:
    """One database the code queries: how it is brought to head, and the tables the code
    declares in it."""

    migrate: Callable[[Database], Awaitable[None]]
    metadata: Sequence[sa.MetaData]

    def table_names(self) -> set[str]:
        return {name for m in self.metadata for name in m.tables}

    def merged(self) -> sa.MetaData:
        """One MetaData holding a copy of every declared table (compare_metadata takes one)."""
        merged = sa.MetaData()
        for table in (t for m in self.metadata for t in m.tables.values()):
            table.to_metadata(merged)
        return merged


def _platform_metadata() -> list[sa.MetaData]:
    """The platform tables every service database holds (events, outbox, inbox, dead_letters,
    person_names…). The key store is a database of its own, with its own migrations."""
    return [m for m in declared_metadata("shared") if m is not keystore.metadata]


def service_store(name: str) -> Store:
    spec: ServiceSpec = importlib.import_module(f"services.{name}.service").SPEC

    async def migrate_as_the_service_does(database: Database) -> None:
        await migrate(database, spec.migrations)

    return Store(migrate_as_the_service_does,
                 [*_platform_metadata(), *declared_metadata(f"services.{name}")])


def key_store() -> Store:
    return Store(keystore.migrate_keystore, [keystore.metadata])


def _only_declared_tables(declared: set[str]) -> Callable[[str | None, str, Any], bool]:
    def include_name(name: str | None, type_: str, _parents: Any) -> bool:
        # alembic_version, or a table no code of this database declares, is not this
        # comparison's business: a table is reflected only if the code declares its name.
        return type_ != "table" or name in declared
    return include_name


def _not_a_lookup_index_of_the_migrations(obj: Any, _name: str | None, type_: str,
                                          reflected: bool, compare_to: Any) -> bool:
    """The migrations create lookup indexes (ix_events_recorded_at, the partial
    ix_outbox_pending…) that the code never declares: they make queries fast and change no
    answer, so a non-unique index only the database has is left out. Everything else is
    compared both ways: an index the code declares must exist as declared, and a UNIQUE index
    only the database has is reported (it refuses rows the code may write)."""
    only_in_database = type_ == "index" and reflected and compare_to is None
    return not (only_in_database and not obj.unique)


# Columns whose value the database computes with an expression that differs per backend, so
# the code's one declaration cannot spell it: it leaves the column out of its inserts and
# reads the value back. Here the database must have a default; which one, the migration says.
DATABASE_COMPUTED = {
    # The writer's transaction id, the commit-safe global order: pg_current_xact_id() on
    # PostgreSQL, 0 on SQLite (a single writer commits in order).
    ("events", "tx_id"),
}


def _server_defaults_differ(_context: Any, inspected: sa.Column[Any], declared: sa.Column[Any],
                            inspected_default: str | None, _declared_default: Any,
                            _rendered: str | None) -> bool | None:
    if (declared.table.name, declared.name) in DATABASE_COMPUTED:
        return inspected_default is None
    return None  # alembic's own comparison


def _compare(connection: Connection, store: Store) -> list[Any]:
    context = MigrationContext.configure(connection, opts={
        "compare_type": True,
        "compare_server_default": _server_defaults_differ,
        "include_name": _only_declared_tables(store.table_names()),
        "include_object": _not_a_lookup_index_of_the_migrations,
    })
    return list(compare_metadata(context, store.merged()))


async def schema_diff(url: str, store: Store) -> list[Any]:
    """Migrate the empty database at `url` to head, then compare it with the code's tables."""
    database = Database(url)
    try:
        await store.migrate(database)
        async with database.connect() as conn:
            return await conn.run_sync(_compare, store)
    finally:
        await database.dispose()


def readable(diff: list[Any]) -> str:
    """One line per difference; alembic nests a column's changes in a list of their own.
    A column change reads `(..., table, column, {...}, in the database, in the code)`;
    `add_*` is declared by the code only, `remove_*` is in the database only."""
    changes = [change for entry in diff
               for change in (entry if isinstance(entry, list) else [entry])]
    return "\n".join(
        f"  {change[0]} {change[2]}.{change[3]}: migrations {change[5]!r}, code {change[6]!r}"
        if change[0].startswith("modify_")
        else f"  {change[0]}: {change[1:]!r}"
        for change in changes)


@pytest.fixture
async def empty_pg_url(pg_server: str) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database: not a copy of the run's migrated template, since the
    service's own migrations must run on it as they do in production."""
    url = await infra.create_database(pg_server)
    yield url
    await infra.drop_database(pg_server, url)


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each supported backend (PostgreSQL, or the embedded SQLite file
    `make run` uses by default)."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    url: str = request.getfixturevalue("empty_pg_url")
    return url


@pytest.mark.parametrize("service", services_with("service"))
async def test_the_tables_a_service_queries_are_the_tables_its_migrations_create(
        service: str, empty_store_url: str) -> None:
    store = service_store(service)
    # A discovery that found nothing would compare nothing and pass.
    assert {"events", "outbox", "inbox", "dead_letters", "person_names"} <= store.table_names()
    assert store.table_names() - {t for m in _platform_metadata() for t in m.tables}, (
        f"{service}: no table of its own found")
    diff = await schema_diff(empty_store_url, store)
    assert not diff, f"{service}: the code's tables differ from its migrations:\n{readable(diff)}"


async def test_the_key_store_tables_are_the_tables_its_migrations_create(
        empty_store_url: str) -> None:
    store = key_store()
    assert store.table_names() == {"pii_data_keys", "pii_erasures"}
    diff = await schema_diff(empty_store_url, store)
    assert not diff, f"key store: its tables differ from its migrations:\n{readable(diff)}"
