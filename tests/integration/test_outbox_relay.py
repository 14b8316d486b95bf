"""The outbox relay against real PostgreSQL and Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import pytest
import sqlalchemy as sa

from shared.db import Database
from shared.eventstore import Actor, EventContext, EventStore, NewEvent
from shared.messaging.kafka import make_producer
from shared.outbox import OutboxRelay
from tests.support.infra import create_topics, unique_topic
from tests.support.kafka_read import header, read_topic, wait_for

CONTEXT = EventContext(actor=Actor("operator-1", "operator"), causation_id="cmd-1")


async def write_cases(db: Database, store: EventStore, topic: str, cases: int,
                      per_case: int) -> None:
    for version in range(per_case):
        for case in range(cases):
            async with db.transaction() as conn:
                await store.append(conn, stream_id=f"case-{case}", stream_type="case",
                                   expected_version=version,
                                   events=[NewEvent("test.step_recorded", {"step": version})],
                                   context=CONTEXT, topic=topic)


@pytest.fixture
async def topic(kafka: str, request: pytest.FixtureRequest) -> str:
    """A topic of the test's own (named after it), created."""
    name = unique_topic(request.node.name.removeprefix("test_")[:40])
    await create_topics(kafka, [name])
    return name


def make_relays(db: Database, kafka: str, count: int = 1, **options: Any) -> list[OutboxRelay]:
    return [OutboxRelay(db, lambda: make_producer(kafka, "test-relay"), source="/runway/test",
                        **options) for _ in range(count)]


@contextlib.asynccontextmanager
async def running(relays: list[OutboxRelay]) -> AsyncIterator[None]:
    """The relays run while the block does, and finish what they have in hand after it."""
    stop = asyncio.Event()
    tasks = [asyncio.create_task(relay.run(stop)) for relay in relays]
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks)


@contextlib.asynccontextmanager
async def led(relays: list[OutboxRelay]) -> AsyncIterator[OutboxRelay]:
    """The relays run; the block starts once one of them leads, and is handed that one."""
    async with running(relays):
        await wait_for(lambda: _true(any(r.is_leader for r in relays)), what="a leader")
        yield next(r for r in relays if r.is_leader)


async def test_relay_publishes_cloudevents_in_per_case_order_and_marks_rows(
    pg_db: Database, store: EventStore, kafka: str, topic: str
) -> None:
    await write_cases(pg_db, store, topic, cases=10, per_case=5)
    [relay] = make_relays(pg_db, kafka, batch_size=7)
    async with running([relay]):
        await wait_for(lambda: _zero(relay.pending_count()), what="outbox drained")

    records = await read_topic(kafka, topic)
    assert len(records) == 50
    versions_by_case: dict[str, list[int]] = defaultdict(list)
    partitions_by_case: dict[str, set[int]] = defaultdict(set)
    for record in records:
        case = record.key.decode()
        assert header(record, "ce_subject") == case
        versions_by_case[case].append(int(header(record, "ce_streamversion") or 0))
        partitions_by_case[case].add(record.partition)
    assert all(v == [1, 2, 3, 4, 5] for v in versions_by_case.values()), versions_by_case
    assert all(len(p) == 1 for p in partitions_by_case.values())

    first = records[0]
    assert header(first, "ce_specversion") == "1.0"
    assert header(first, "ce_type") == "test.step_recorded.v1"
    assert header(first, "ce_source") == "/runway/test"
    assert header(first, "ce_actor") == "operator-1"
    assert header(first, "ce_causationid") == "cmd-1"
    assert header(first, "content-type") == "application/json"
    assert json.loads(first.value)["step"] == 0

    async with pg_db.connect() as conn:
        unmarked = await conn.scalar(sa.text(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL OR kafka_offset IS NULL"))
    assert unmarked == 0


async def test_relay_wakes_on_commit_without_waiting_for_the_poll(
    pg_db: Database, store: EventStore, kafka: str, topic: str
) -> None:
    # A poll interval far longer than the deadline below: only NOTIFY can wake the relay.
    async with led(make_relays(pg_db, kafka, poll_interval=60)) as relay:
        started = time.monotonic()
        await write_cases(pg_db, store, topic, cases=1, per_case=1)
        await wait_for(lambda: _zero(relay.pending_count()), timeout=5, what="NOTIFY wake-up")
        assert time.monotonic() - started < 5


async def test_only_one_relay_publishes_at_a_time(
    pg_db: Database, store: EventStore, kafka: str, topic: str
) -> None:
    relays = make_relays(pg_db, kafka, 2, poll_interval=0.2)
    async with led(relays):
        await write_cases(pg_db, store, topic, cases=3, per_case=3)
        await wait_for(lambda: _zero(relays[0].pending_count()), what="outbox drained")
        assert sum(r.is_leader for r in relays) == 1
        assert sum(r.stats.published for r in relays) == 9
    assert len(await read_topic(kafka, topic)) == 9


async def _zero(count: Awaitable[int]) -> bool:
    return await count == 0


async def _true(value: bool) -> bool:
    return value


async def test_a_relay_that_loses_its_lock_stops_and_another_takes_over(
    pg_db: Database, store: EventStore, kafka: str, topic: str
) -> None:
    relays = make_relays(pg_db, kafka, 2, poll_interval=0.1)
    async with led(relays) as first:
        async with pg_db.transaction() as conn:
            # The database ends the leader's lock connection (a network cut, a failover).
            await conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND granted"))
        await wait_for(lambda: _true(first.stats.failures > 0), what="the leader noticed")
        await write_cases(pg_db, store, topic, cases=2, per_case=2)
        await wait_for(lambda: _zero(relays[0].pending_count()), what="outbox drained again")
        assert sum(r.is_leader for r in relays) == 1
    assert len(await read_topic(kafka, topic)) == 4
