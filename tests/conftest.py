"""Fixtures for real PostgreSQL, SQLite and Kafka. See tests/support/infra.py."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from shared.clock import SystemClock
from shared.db import Database
from shared.eventstore import EventStore
from shared.legaltime import legal_zone_name
from shared.migrate import migrate, migrate_url
from shared.security.keys import LocalIssuerKeys
from tests.support import infra

# Test topics need no more partitions than this to exercise ordering across partitions, and a
# full run creates hundreds of them: keep the broker's open files in bounds.
os.environ.setdefault("RUNWAY_TOPIC_PARTITIONS", "2")


_made_for_this_run: dict[str, str] = {}


def pytest_configure(config: pytest.Config) -> None:
    """Every service under test, in-process or a child process, trusts one local token
    issuer made for this run (tests/support/auth.py signs with it)."""
    if "RUNWAY_AUTH_DIR" not in os.environ:
        os.environ["RUNWAY_AUTH_DIR"] = _made_for_this_run["auth"] = tempfile.mkdtemp(
            prefix="runway-auth-")
    LocalIssuerKeys(Path(os.environ["RUNWAY_AUTH_DIR"])).ensure()
    # The `runway` commands fall back to a running stack's description (var/stack.json):
    # tests name what they talk to, and a developer's `make run` must not leak into them.
    if "RUNWAY_STACK_FILE" not in os.environ:
        stacks = _made_for_this_run["stack"] = tempfile.mkdtemp(prefix="runway-stack-")
        os.environ["RUNWAY_STACK_FILE"] = str(Path(stacks) / "none.json")
    # The tests' dates are in the default legal time zone, the services' too (child processes
    # inherit this environment): a developer's exported LEGAL_TIMEZONE must not move them. A
    # test of another zone sets it (the legal_timezone fixture).
    os.environ.pop("LEGAL_TIMEZONE", None)
    # Personal data is sealed under master keys of a keyring made for this run (created on
    # first use, by whichever process gets there first: they all read this one file).
    if "RUNWAY_PII_KEYRING" not in os.environ:
        keys = _made_for_this_run["pii"] = tempfile.mkdtemp(prefix="runway-pii-")
        os.environ["RUNWAY_PII_KEYRING"] = str(Path(keys) / "keyring.json")


def pytest_unconfigure(config: pytest.Config) -> None:
    for directory in _made_for_this_run.values():
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(autouse=True)
def default_legal_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts in the default legal time zone, whatever a test before it (or an
    in-process `runway` command, from a stack description) set; the zone is read once per
    process (shared/legaltime), so its cache is cleared too."""
    monkeypatch.delenv("LEGAL_TIMEZONE", raising=False)
    legal_zone_name.cache_clear()


@pytest.fixture
def legal_timezone(monkeypatch: pytest.MonkeyPatch) -> Callable[[str | None], None]:
    """Set LEGAL_TIMEZONE (None: unset it) for the rest of the test."""
    def use(name: str | None) -> None:
        if name is None:
            monkeypatch.delenv("LEGAL_TIMEZONE", raising=False)
        else:
            monkeypatch.setenv("LEGAL_TIMEZONE", name)
        legal_zone_name.cache_clear()
    return use


@pytest.fixture(scope="session", autouse=True)
async def remove_test_topics() -> AsyncIterator[None]:
    """Delete the test topics this run created, so repeated runs don't pile up partitions
    on a developer's broker. Best effort: a broker that isn't there has nothing to clean."""
    yield
    await infra.delete_test_topics()


@pytest.fixture(scope="session")
async def pg_server() -> str:
    url = infra.pg_server_url()
    await infra.require_postgres(url)
    return url


@pytest.fixture(scope="session")
async def pg_template(pg_server: str) -> AsyncIterator[str]:
    """A database migrated once per run; each test copies it, which is much faster than
    migrating every time and still leaves every test a private database."""
    url = await infra.create_database(pg_server)
    await migrate_url(url)
    yield url.rsplit("/", 1)[-1]
    await infra.drop_database(pg_server, url)


@pytest.fixture
async def pg_url(pg_server: str, pg_template: str) -> AsyncIterator[str]:
    url = await infra.create_database(pg_server, template=pg_template)
    yield url
    await infra.drop_database(pg_server, url)


@pytest.fixture
async def pg_db(pg_url: str) -> AsyncIterator[Database]:
    database = Database(pg_url, pool_size=20)
    yield database
    await database.dispose()


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
    await migrate(database)
    yield database
    await database.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
def any_db(request: pytest.FixtureRequest) -> Database:
    """The same contract checked on both supported backends."""
    name = "pg_db" if request.param == "postgresql" else "sqlite_db"
    database: Database = request.getfixturevalue(name)
    return database


@pytest.fixture(params=["postgresql", "sqlite"])
def any_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty service database on each supported backend (the service migrates it): a
    private PostgreSQL database, or the embedded SQLite file `make run` uses by default."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'service.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def store() -> EventStore:
    return EventStore(SystemClock())


@pytest.fixture(scope="session")
async def kafka() -> str:
    bootstrap = infra.kafka_bootstrap()
    await infra.require_kafka(bootstrap)
    return bootstrap
