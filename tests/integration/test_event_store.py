"""The event store's contract, on real PostgreSQL and on the embedded SQLite."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shared.clock import SystemClock
from shared.db import Database
from shared.eventstore import (
    Actor,
    ConcurrencyConflict,
    EventContext,
    EventStore,
    GlobalPosition,
    NewEvent,
    verify_stream,
)
from tests.support.kafka_read import wait_for

CLERK = EventContext(actor=Actor("clerk-7", "judicial_clerk"))


def event(kind: str = "test.happened", **payload: object) -> NewEvent:
    return NewEvent(event_type=kind, payload=dict(payload))


async def append(db: Database, store: EventStore, stream: str, expected: int,
                 *events: NewEvent) -> None:
    async with db.transaction() as conn:
        await store.append(conn, stream_id=stream, stream_type="case", expected_version=expected,
                           events=list(events), context=CLERK, topic="runway.test.events")


async def test_appended_events_read_back_in_order_with_metadata(
    any_db: Database, store: EventStore
) -> None:
    await append(any_db, store, "case-1", 0, event(n=1), event(n=2))
    await append(any_db, store, "case-1", 2, event("test.other", n=3))

    async with any_db.connect() as conn:
        stored = await store.read_stream(conn, "case-1")

    assert [e.version for e in stored] == [1, 2, 3]
    assert [e.payload["n"] for e in stored] == [1, 2, 3]
    assert stored[2].event_type == "test.other"
    assert stored[0].actor == Actor("clerk-7", "judicial_clerk")
    assert stored[0].correlation_id == CLERK.correlation_id
    assert stored[1].prev_hash == stored[0].hash
    assert verify_stream(stored) == []


async def test_stale_expected_version_conflicts_and_writes_nothing(
    any_db: Database, store: EventStore
) -> None:
    await append(any_db, store, "case-2", 0, event(n=1))

    await append(any_db, store, "case-2", 1, event(writer="first"))
    with pytest.raises(ConcurrencyConflict) as conflict:
        await append(any_db, store, "case-2", 1, event(writer="second"), event(writer="second"))

    assert conflict.value.expected_version == 1
    assert conflict.value.actual_version == 2
    async with any_db.connect() as conn:
        stored = await store.read_stream(conn, "case-2")
        outbox_rows = await conn.scalar(sa.text("SELECT count(*) FROM outbox"))
    assert [e.payload.get("writer") for e in stored] == [None, "first"]
    assert outbox_rows == 2, "the losing writer left no outbox rows behind"


async def test_two_concurrent_writers_on_one_version_exactly_one_wins(
    pg_db: Database, store: EventStore
) -> None:
    await append(pg_db, store, "case-3", 0, event(n=0))
    # Both transactions are open before either appends: a real race on version 2.
    both_inside = asyncio.Barrier(2)

    async def writer(name: str) -> str:
        async with pg_db.transaction() as conn:
            await conn.execute(sa.text("SELECT 1"))
            await both_inside.wait()
            try:
                await store.append(conn, stream_id="case-3", stream_type="case",
                                   expected_version=1, events=[event(writer=name)],
                                   context=CLERK, topic=None)
            except ConcurrencyConflict:
                return "conflict"
            return "ok"

    tasks = [asyncio.create_task(writer(f"w{i}")) for i in range(2)]
    outcomes = sorted(await asyncio.gather(*tasks))

    assert outcomes == ["conflict", "ok"]
    async with pg_db.connect() as conn:
        stored = await store.read_stream(conn, "case-3")
    assert len(stored) == 2
    assert verify_stream(stored) == []


async def test_new_stream_created_twice_conflicts(any_db: Database, store: EventStore) -> None:
    await append(any_db, store, "case-4", 0, event(n=1))
    with pytest.raises(ConcurrencyConflict):
        await append(any_db, store, "case-4", 0, event(n=1))


async def test_read_stream_up_to_version_and_instant(any_db: Database) -> None:
    from shared.clock import ManualClock

    clock = ManualClock(SystemClock().now())
    store = EventStore(clock)
    await append(any_db, store, "case-5", 0, event(n=1))
    first_at = clock.now()
    clock.advance(timedelta(hours=1))
    await append(any_db, store, "case-5", 1, event(n=2))

    async with any_db.connect() as conn:
        up_to_1 = await store.read_stream(conn, "case-5", up_to_version=1)
        as_of = await store.read_stream(conn, "case-5", as_of=first_at + timedelta(minutes=30))
        everything = await store.read_stream(conn, "case-5")
    assert [e.version for e in up_to_1] == [1]
    assert [e.version for e in as_of] == [1]
    assert [e.version for e in everything] == [1, 2]


async def test_read_all_returns_every_stream_in_commit_order(
    any_db: Database, store: EventStore
) -> None:
    await append(any_db, store, "a", 0, event(n=1))
    await append(any_db, store, "b", 0, event(n=2))
    await append(any_db, store, "a", 1, event(n=3))

    read: list[int] = []

    async def all_three_read() -> bool:
        # The reader stops below the oldest transaction still open on the server (any test's
        # or service's); once that ends, everything committed here is readable, in order.
        async with any_db.connect() as conn:
            first_two = await store.read_all(conn, GlobalPosition.START, limit=2)
            rest = (await store.read_all(conn, first_two[-1].position)) if first_two else []
        read[:] = [e.payload["n"] for e in first_two + rest]
        return len(read) == 3

    await wait_for(all_three_read, timeout=30, what="the three events below the horizon")
    assert read == [1, 2, 3]


async def test_altered_payload_breaks_the_hash_chain(pg_db: Database, store: EventStore) -> None:
    await append(pg_db, store, "case-6", 0, event(n=1), event(n=2), event(n=3))
    async with pg_db.transaction() as conn:
        # A superuser could bypass the immutability trigger; the hash chain still tells.
        await conn.execute(sa.text("ALTER TABLE events DISABLE TRIGGER events_immutable"))
        await conn.execute(
            sa.text("UPDATE events SET payload = :p WHERE stream_id='case-6' AND version=2"),
            {"p": '{"n":20}'},
        )

    async with pg_db.connect() as conn:
        problems = verify_stream(await store.read_stream(conn, "case-6"))
    assert [(p.stream_id, p.version) for p in problems] == [("case-6", 2)]
    assert "altered" in problems[0].problem


async def test_events_cannot_be_updated_or_deleted(pg_db: Database, store: EventStore) -> None:
    await append(pg_db, store, "case-7", 0, event(n=1))
    for statement in ("UPDATE events SET payload='{}'", "DELETE FROM events"):
        with pytest.raises(sa.exc.DBAPIError, match="immutable"):
            async with pg_db.transaction() as conn:
                await conn.execute(sa.text(statement))


async def test_append_with_a_head_hash_that_is_not_the_head_conflicts(
    any_db: Database, store: EventStore
) -> None:
    await append(any_db, store, "case-8", 0, event(n=1))
    async with any_db.connect() as conn:
        [head] = await store.read_stream(conn, "case-8")
    await append(any_db, store, "case-8", 1, event(n=2))

    for version, head_hash in ((1, head.hash), (2, head.hash)):
        with pytest.raises(ConcurrencyConflict):
            async with any_db.transaction() as conn:
                await store.append(conn, stream_id="case-8", stream_type="case",
                                   expected_version=version, head_hash=head_hash,
                                   events=[event(n=3)], context=CLERK, topic="t")
    async with any_db.connect() as conn:
        assert [e.version for e in await store.read_stream(conn, "case-8")] == [1, 2]
