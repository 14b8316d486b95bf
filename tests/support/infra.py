"""Locating the real PostgreSQL and Kafka the tests run against.

Tests never skip because infrastructure is missing: they fail with a message that says how to
start it (`make infra-up`), so a CI run without Kafka or PostgreSQL can never pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared import db
from shared.db import asyncpg_dsn, with_database
from shared.messaging.kafka import default_bootstrap, make_admin

DEFAULT_PG_URL = "postgresql+asyncpg://runway:runway@127.0.0.1:5433/runway"


def pg_server_url() -> str:
    url = os.environ.get("RUNWAY_TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    return url if url.startswith("postgresql") else DEFAULT_PG_URL


def kafka_bootstrap() -> str:
    return default_bootstrap()


async def require_postgres(url: str) -> None:
    try:
        conn = await asyncpg.connect(asyncpg_dsn(url), timeout=5)
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        pytest.fail(f"PostgreSQL is not reachable at {url.split('@')[-1]} ({error}); "
                    "run `make infra-up` first", pytrace=False)
    await conn.close()


async def require_kafka(bootstrap: str) -> None:
    admin = make_admin(bootstrap, request_timeout_ms=5000)
    try:
        await asyncio.wait_for(admin.start(), timeout=15)
        await admin.list_topics()
    except Exception as error:  # any failure to reach the broker fails the test run
        pytest.fail(f"Kafka is not reachable at {bootstrap} ({error!r}); "
                    "run `make infra-up` first", pytrace=False)
    finally:
        await admin.close()


async def create_database(server_url: str, template: str | None = None) -> str:
    """A new, empty (or template-copied) database; returns its SQLAlchemy URL."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    conn = await asyncpg.connect(asyncpg_dsn(with_database(server_url, "postgres")))
    try:
        suffix = f" TEMPLATE {template}" if template else ""
        await conn.execute(f"CREATE DATABASE {name}{suffix}")
    finally:
        await conn.close()
    return with_database(server_url, name)


async def drop_database(server_url: str, url: str) -> None:
    """Drop a test database; one an autovacuum worker keeps is left behind after a few tries
    (harmless: `deploy/postgres.sh drop-test-databases` removes those), because a test run
    failing in its clean-up would be worse."""
    await db.drop_database(server_url, url.rsplit("/", 1)[-1].split("?")[0])


async def delete_test_topics() -> None:
    """Delete the topics this run created (and only those)."""
    admin = make_admin(kafka_bootstrap(), request_timeout_ms=60000)
    try:
        await asyncio.wait_for(admin.start(), timeout=10)
        created = [t for t in await admin.list_topics() if made_by_this_run(t)]
        for start in range(0, len(created), 200):
            await admin.delete_topics(created[start:start + 200], timeout_ms=60000)
    except Exception:
        pass  # hygiene only; never fail a run over it
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def kafka_admin(bootstrap: str, *, request_timeout_ms: int = 40_000
                      ) -> AsyncIterator[AIOKafkaAdminClient]:
    """A started admin client for the block, closed after it however the block ends
    (aiokafka's admin client is not an async context manager itself; 40 s is its default
    request timeout)."""
    admin = make_admin(bootstrap, request_timeout_ms=request_timeout_ms)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def create_topics(bootstrap: str, names: list[str], partitions: int = 3) -> None:
    async with kafka_admin(bootstrap) as admin:
        await admin.create_topics(
            [NewTopic(name=n, num_partitions=partitions, replication_factor=1) for n in names]
        )


@functools.cache
def session_token() -> str:
    """Marks every topic this test run creates, so that its clean-up never touches topics of
    another run sharing the broker."""
    return uuid.uuid4().hex[:6]


def unique_topic(label: str) -> str:
    return f"test.{session_token()}.{label}.{uuid.uuid4().hex[:10]}"


def fresh_namespace(label: str = "t") -> str:
    """A topic namespace for one service runtime or stack in this run."""
    return f"{label}-{session_token()}-{uuid.uuid4().hex[:8]}"


def made_by_this_run(topic: str) -> bool:
    token = session_token()
    return topic.startswith(f"test.{token}.") or f"-{token}-" in topic.split(".", 1)[0]
