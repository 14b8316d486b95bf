"""Hostile messages are dead-lettered and their partition goes on (docs/operations.md), on real
Kafka and PostgreSQL: a key, case id or header holding a NUL character (PostgreSQL's text holds
none; the dead letter could not be recorded and the consumer restarted on the same message for
ever), and JSON nested past the parser's depth (a RecursionError escaped as a crash). Review
of 5 Dec 2026."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import SystemClock
from shared.consumer import ConsumerRuntime, Handler
from shared.db import Database
from shared.eventstore import Actor, EventContext, EventStore, NewEvent
from shared.messaging.cloudevents import ConsumedEvent, KafkaRecord, to_kafka
from shared.messaging.kafka import make_consumer, make_producer
from shared.retry import poll
from tests.support.infra import create_topics, unique_topic
from tests.support.kafka_read import read_topic
from tests.support.kafka_send import send

CONTEXT = EventContext(actor=Actor("operator-1", "operator"))


# ---------------------------------------------------------------------------------------------
# A consumer harness on real Kafka and PostgreSQL (as tests/integration/test_consumer_runtime.py)
# ---------------------------------------------------------------------------------------------

async def record_effect(event: ConsumedEvent, conn: AsyncConnection) -> None:
    if event.data.get("explode"):
        raise ValueError(f"cannot apply step {event.data.get('step')}")
    await conn.execute(sa.text("INSERT INTO s12_effects VALUES (:id, :stream, :version)"),
                       {"id": event.event_id, "stream": event.stream_id,
                        "version": event.stream_version})


class Harness:
    def __init__(self, db: Database, kafka: str) -> None:
        self.db, self.kafka = db, kafka
        self.topic, self.dlq = unique_topic("s12in"), unique_topic("s12dlq")
        self.store = EventStore(SystemClock())

    async def recorded(self, stream: str, version: int, **data: object) -> KafkaRecord:
        async with self.db.transaction() as conn:
            [event] = await self.store.append(
                conn, stream_id=stream, stream_type="case", expected_version=version - 1,
                events=[NewEvent("test.step_recorded", dict(data))], context=CONTEXT,
                topic=None)
        return to_kafka(event, topic=self.topic, key=stream, source="/runway/test")

    def runtime(self, handler: Handler = record_effect) -> ConsumerRuntime:
        name = "s12-consumer"
        return ConsumerRuntime(
            name=name, database=self.db,
            consumer_factory=lambda: make_consumer(self.kafka, f"{name}-{self.topic}",
                                                   [self.topic]),
            producer_factory=lambda: make_producer(self.kafka, name),
            handlers={"test.step_recorded.v1": handler},
            dead_letter_topic=self.dlq, max_attempts=2, first_backoff=0.01)

    async def effects(self) -> list[tuple[str, int]]:
        async with self.db.connect() as conn:
            rows = await conn.execute(sa.text(
                "SELECT stream_id, version FROM s12_effects ORDER BY stream_id, version"))
            return [(r.stream_id, r.version) for r in rows]

    async def letters(self) -> int:
        async with self.db.connect() as conn:
            return int(await conn.scalar(sa.text("SELECT count(*) FROM dead_letters")) or 0)


@pytest.fixture
async def harness(pg_db: Database, kafka: str) -> AsyncIterator[Harness]:
    async with pg_db.transaction() as conn:
        await conn.execute(sa.text(
            "CREATE TABLE s12_effects (event_id uuid, stream_id text, version int)"))
    h = Harness(pg_db, kafka)
    await create_topics(kafka, [h.topic, h.dlq])
    yield h


async def run_for(runtime: ConsumerRuntime, done: object, seconds: float) -> bool:
    """Run the consumer until `done()` holds or `seconds` pass; whether it held."""
    stop = asyncio.Event()
    task = asyncio.create_task(runtime.run(stop))
    try:
        await poll(done, within=seconds, every=0.1, what="the consumer")  # type: ignore[arg-type]
        return True
    except TimeoutError:
        return False
    finally:
        stop.set()
        await task


# --- a NUL character in what a dead letter records ---------------------------------------

async def test_an_unreadable_message_with_nul_in_its_key_is_dead_lettered_and_partition_goes_on(
    harness: Harness,
) -> None:
    # Unreadable (no CloudEvents headers), keyed by a case id holding a NUL byte.
    poison = KafkaRecord(harness.topic, b"RWY-\x00-1", b"not json",
                         [("ce_type", b"test.step_recorded.v1")])
    good = await harness.recorded("case-1", 1, step=1)
    good = dataclasses.replace(good, key=poison.key)  # the same partition as the poison
    await send(harness.kafka, poison, good)
    runtime = harness.runtime()

    async def done() -> bool:
        return await harness.effects() == [("case-1", 1)] and runtime.stats.dead_lettered == 1

    settled = await run_for(runtime, done, 60)

    assert settled, (
        "docs/operations.md: an unreadable message is dead-lettered and 'the partition goes on "
        f"with the next message'; after 60 s: effects={await harness.effects()}, "
        f"dead_lettered={runtime.stats.dead_lettered}, dead_letters rows="
        f"{await harness.letters()}, consumer restarts={runtime.stats.restarts}")


async def test_a_failing_event_whose_case_id_holds_nul_is_dead_lettered_and_partition_goes_on(
    harness: Harness,
) -> None:
    # A readable event whose handler fails (as any handler storing the case id would: text
    # cannot hold NUL on PostgreSQL). JSON "\u0000" is valid JSON.
    poison = await harness.recorded("case-0", 1, case_id="RWY-\u0000-2", explode=True)
    good = await harness.recorded("case-1", 1, step=1)
    good = dataclasses.replace(good, key=poison.key)  # the same partition as the poison
    await send(harness.kafka, poison, good)
    runtime = harness.runtime()

    async def done() -> bool:
        return await harness.effects() == [("case-1", 1)] and runtime.stats.dead_lettered == 1

    settled = await run_for(runtime, done, 60)

    assert settled, (
        "a failing message is retried, then dead-lettered, and the partition goes on; after "
        f"60 s: effects={await harness.effects()}, dead_lettered={runtime.stats.dead_lettered},"
        f" dead_letters rows={await harness.letters()}, restarts={runtime.stats.restarts}")


# --- JSON nested past the parser's depth ----------------------------------------------

async def test_deeply_nested_json_is_dead_lettered_and_partition_goes_on(
    harness: Harness,
) -> None:
    template = await harness.recorded("case-0", 1, step=0)
    depth = 100_000
    deep = b'{"a": ' + b"[" * depth + b"]" * depth + b"}"
    poison = KafkaRecord(harness.topic, template.key, deep, template.headers)
    good = await harness.recorded("case-1", 1, step=1)
    good = dataclasses.replace(good, key=poison.key)  # the same partition as the poison
    await send(harness.kafka, poison, good)
    runtime = harness.runtime()

    async def done() -> bool:
        return await harness.effects() == [("case-1", 1)] and runtime.stats.dead_lettered == 1

    settled = await run_for(runtime, done, 60)

    assert settled, (
        "an unreadable message is dead-lettered and the partition goes on; after 60 s: "
        f"effects={await harness.effects()}, dead_lettered={runtime.stats.dead_lettered}, "
        f"restarts={runtime.stats.restarts}")
    assert len(await read_topic(harness.kafka, harness.dlq)) == 1
