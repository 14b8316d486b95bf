"""The consumer runtime against real Kafka and PostgreSQL: inbox, retries, dead letters."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from aiokafka.partitioner import DefaultPartitioner
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import SystemClock
from shared.consumer import ConsumerRuntime, Handler, inbox
from shared.db import Database
from shared.eventstore import Actor, EventContext, EventStore, NewEvent
from shared.messaging.cloudevents import ConsumedEvent, KafkaRecord, to_kafka
from shared.messaging.kafka import make_consumer, make_producer
from tests.support.infra import create_topics, unique_topic
from tests.support.kafka_read import header, read_topic, wait_for
from tests.support.kafka_send import send

CONTEXT = EventContext(actor=Actor("operator-1", "operator"))


@pytest.fixture
async def effects_db(pg_db: Database) -> Database:
    async with pg_db.transaction() as conn:
        await conn.execute(sa.text(
            "CREATE TABLE effects (event_id uuid, stream_id text, version int, note text, "
            "applied_order bigserial)"))
    return pg_db


async def record_effect(event: ConsumedEvent, conn: AsyncConnection) -> None:
    if event.data.get("explode"):
        raise ValueError(f"cannot apply step {event.data['step']}: invalid step")
    await conn.execute(
        sa.text("INSERT INTO effects VALUES (:id, :stream, :version, :note)"),
        {"id": event.event_id, "stream": event.stream_id, "version": event.stream_version,
         "note": event.data.get("note")},
    )


class Harness:
    def __init__(self, db: Database, kafka: str) -> None:
        self.db, self.kafka = db, kafka
        self.topic, self.dlq = unique_topic("in"), unique_topic("dlq")
        self.store = EventStore(SystemClock())

    async def publish(self, stream: str, version: int, **data: object) -> uuid.UUID:
        """Record an event in the store, then put it on the topic as the relay would."""
        record = await self.record(stream, version, **data)
        await self.send_raw(record)
        return uuid.UUID(dict(record.headers)["ce_id"].decode())

    async def record(self, stream: str, version: int, **data: object) -> KafkaRecord:
        """Record an event in the store; the message the relay would send for it."""
        async with self.db.transaction() as conn:
            [recorded] = await self.store.append(
                conn, stream_id=stream, stream_type="case", expected_version=version - 1,
                events=[NewEvent("test.step_recorded", dict(data))], context=CONTEXT,
                topic=None)
        return to_kafka(recorded, topic=self.topic, key=stream, source="/runway/test")

    async def send_raw(self, record: KafkaRecord) -> None:
        await send(self.kafka, record)

    def runtime(self, name: str = "test-consumer", max_attempts: int = 3,
                handler: Handler = record_effect) -> ConsumerRuntime:
        return ConsumerRuntime(
            name=name, database=self.db,
            consumer_factory=lambda: make_consumer(self.kafka, f"{name}-{self.topic}",
                                                   [self.topic]),
            producer_factory=lambda: make_producer(self.kafka, name),
            handlers={"test.step_recorded.v1": handler},
            dead_letter_topic=self.dlq, max_attempts=max_attempts, first_backoff=0.01)

    async def effects(self) -> list[tuple[str, int]]:
        async with self.db.connect() as conn:
            rows = await conn.execute(
                sa.text("SELECT stream_id, version FROM effects ORDER BY stream_id, version"))
            return [(r.stream_id, r.version) for r in rows]


@pytest.fixture
async def harness(effects_db: Database, kafka: str) -> AsyncIterator[Harness]:
    h = Harness(effects_db, kafka)
    await create_topics(kafka, [h.topic, h.dlq])
    yield h


async def run_until(runtime: ConsumerRuntime, condition: object, what: str) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(runtime.run(stop))
    try:
        await wait_for(condition, what=what)  # type: ignore[arg-type]
    finally:
        stop.set()
        await task


async def test_poison_message_is_dead_lettered_and_the_next_one_still_applies(
    harness: Harness,
) -> None:
    await harness.publish("case-1", 1, step=1)
    await harness.send_raw(_unparseable(harness.topic))
    await harness.publish("case-1", 2, step=2, explode=True)
    await harness.publish("case-1", 3, step=3)
    runtime = harness.runtime()

    async def three_done() -> bool:
        return len(await harness.effects()) == 2 and runtime.stats.dead_lettered == 2

    await run_until(runtime, three_done, "good messages applied, bad ones dead-lettered")

    assert await harness.effects() == [("case-1", 1), ("case-1", 3)]
    letters = await read_topic(harness.kafka, harness.dlq)
    assert len(letters) == 2
    unparseable, failing = letters if header(letters[0], "dlq_attempts") == "0" else letters[::-1]
    assert header(unparseable, "dlq_error_type") == "MalformedEvent"
    assert "ce_specversion" in (header(unparseable, "dlq_error") or "")
    assert header(failing, "dlq_error_type") == "ValueError"
    assert "cannot apply step 2" in (header(failing, "dlq_error") or "")
    assert header(failing, "dlq_attempts") == "3"
    assert header(failing, "dlq_origin_topic") == harness.topic
    assert header(failing, "dlq_origin_offset") is not None
    assert runtime.stats.retries == 2


async def test_redelivered_event_has_no_second_effect(harness: Harness) -> None:
    event_id = await harness.publish("case-2", 1, step=1)
    # The same message again, as a relay restart or a rebalance would deliver it.
    records = await read_topic(harness.kafka, harness.topic)
    original = records[0]
    await harness.send_raw(KafkaRecord(harness.topic, original.key, original.value,
                                       list(original.headers)))
    await harness.publish("case-2", 2, step=2)
    runtime = harness.runtime()

    async def settled() -> bool:
        return runtime.stats.applied == 2 and runtime.stats.duplicates == 1

    await run_until(runtime, settled, "two applied, one duplicate")
    assert await harness.effects() == [("case-2", 1), ("case-2", 2)]
    async with harness.db.connect() as conn:
        claimed = await conn.scalar(sa.text("SELECT count(*) FROM inbox WHERE event_id = :id"),
                                    {"id": event_id})
    assert claimed == 1


async def test_offsets_are_committed_so_a_restart_does_not_reapply(harness: Harness) -> None:
    await harness.publish("case-3", 1, step=1)
    first = harness.runtime()

    async def applied_one() -> bool:
        return first.stats.applied == 1

    await run_until(first, applied_one, "first run applied")
    await harness.publish("case-3", 2, step=2)
    second = harness.runtime()

    async def applied_next() -> bool:
        return second.stats.applied == 1

    await run_until(second, applied_next, "second run applied the new event")
    assert second.stats.duplicates == 0, "the committed offset was not honoured"
    assert await harness.effects() == [("case-3", 1), ("case-3", 2)]


async def test_a_failing_message_is_isolated_and_the_rest_of_its_batch_applies_in_order(
    harness: Harness,
) -> None:
    cases = ("case-a", "case-b", "case-c")
    for version in range(1, 9):
        for case in cases:
            await harness.publish(case, version, step=version,
                                  explode=case == "case-b" and version == 4)
    runtime = harness.runtime()  # every message is on the topic: they come in one fetch

    async def settled() -> bool:
        return runtime.stats.applied == 23 and runtime.stats.dead_lettered == 1

    await run_until(runtime, settled, "23 applied around the one dead-lettered")
    async with harness.db.connect() as conn:
        rows = (await conn.execute(sa.text(
            "SELECT stream_id, version FROM effects ORDER BY applied_order"))).all()
    for case in cases:
        applied = [row.version for row in rows if row.stream_id == case]
        expected = [v for v in range(1, 9) if (case, v) != ("case-b", 4)]
        assert applied == expected, f"{case} applied out of order or incompletely"
    [letter] = await read_topic(harness.kafka, harness.dlq)
    assert "cannot apply step 4" in (header(letter, "dlq_error") or "")
    assert runtime.stats.duplicates == 0


async def test_a_slow_partition_does_not_hold_up_the_others(harness: Harness) -> None:
    slow, fast = _keys_on_two_partitions(partitions=3)
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow_on_one_case(event: ConsumedEvent, conn: AsyncConnection) -> None:
        if event.stream_id == slow:
            entered.set()
            await release.wait()
        await record_effect(event, conn)

    await harness.publish(slow, 1, step=1)
    runtime = harness.runtime(handler=slow_on_one_case)
    stop = asyncio.Event()
    task = asyncio.create_task(runtime.run(stop))
    try:
        await asyncio.wait_for(entered.wait(), timeout=60)
        # Fetched while the slow case's handler is still busy on the other partition.
        for version in range(1, 4):
            await harness.publish(fast, version, step=version)

        async def fast_case_applied() -> bool:
            return await harness.effects() == [(fast, 1), (fast, 2), (fast, 3)]

        await wait_for(fast_case_applied, what="the other partition's case, while one waits")
        release.set()

        async def all_applied() -> bool:
            return len(await harness.effects()) == 4

        await wait_for(all_applied, what="the held case once released")
    finally:
        release.set()
        stop.set()
        await task


def _keys_on_two_partitions(partitions: int) -> tuple[str, str]:
    """Two case ids that the producer's default partitioner puts on different partitions."""
    choose = DefaultPartitioner()
    every = list(range(partitions))
    first = "case-slow"
    where = choose(first.encode(), every, every)
    other = next(f"case-fast-{n}" for n in range(100)
                 if choose(f"case-fast-{n}".encode(), every, every) != where)
    return first, other


async def test_the_inbox_claims_each_event_once_on_both_backends(any_db: Database) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    claims = [inbox.Claim(first, "t", 0, 1), inbox.Claim(second, "t", 0, 2),
              inbox.Claim(first, "t", 0, 3)]  # the same event twice in one run
    async with any_db.transaction() as conn:
        assert await inbox.claim_many(conn, "c", claims) == {first, second}
    async with any_db.transaction() as conn:
        assert await inbox.claim_many(conn, "c", claims) == set()
        assert await inbox.claim_many(conn, "another", claims[:1]) == {first}
        assert await inbox.already_applied(conn, "c", second)


def _unparseable(topic: str) -> KafkaRecord:
    return KafkaRecord(topic, b"case-1", b"not json", [("ce_type", b"test.step_recorded.v1")])


async def test_a_newer_version_than_the_consumer_reads_is_dead_lettered_not_ignored(
    harness: Harness,
) -> None:
    async with harness.db.transaction() as conn:
        [recorded] = await harness.store.append(
            conn, stream_id="case-4", stream_type="case", expected_version=0,
            events=[NewEvent("test.step_recorded", {"step": 1}, schema_version=2)],
            context=CONTEXT, topic=None)
    await harness.send_raw(to_kafka(recorded, topic=harness.topic, key="case-4",
                                    source="/runway/test"))
    runtime = harness.runtime()

    async def lettered() -> bool:
        return runtime.stats.dead_lettered == 1

    await run_until(runtime, lettered, "the v2 event dead-lettered")
    assert runtime.stats.ignored == 0
    [letter] = await read_topic(harness.kafka, harness.dlq)
    assert "not v2" in (header(letter, "dlq_error") or "")


# --- hostile messages: dead-lettered, and the partition goes on (review of 5 Dec 2026) -----

async def _the_partition_goes_on_after(harness: Harness, poison: KafkaRecord) -> None:
    """`poison` then a good message on its partition (its key): the poison is dead-lettered
    and the good one applied. Before, each poison below crashed the partition's worker and
    the consumer restarted on the same message for ever."""
    good = dataclasses.replace(await harness.record("case-1", 1, step=1), key=poison.key)
    await harness.send_raw(poison)
    await harness.send_raw(good)
    runtime = harness.runtime(max_attempts=2)

    async def settled() -> bool:
        return await harness.effects() == [("case-1", 1)] and runtime.stats.dead_lettered == 1

    await run_until(runtime, settled, "the poison dead-lettered, the next message applied")


async def test_a_message_keyed_with_a_nul_character_is_dead_lettered(harness: Harness) -> None:
    # PostgreSQL's text holds no NUL: the dead letter's case id could not be recorded.
    await _the_partition_goes_on_after(harness, KafkaRecord(
        harness.topic, b"RWY-\x00-1", b"not json", [("ce_type", b"test.step_recorded.v1")]))


async def test_a_failing_event_whose_case_id_holds_a_nul_character_is_dead_lettered(
        harness: Harness) -> None:
    await _the_partition_goes_on_after(harness, await harness.record(
        "case-0", 1, case_id="RWY-\u0000-2", explode=True))


async def test_json_nested_past_the_parsers_depth_is_dead_lettered(harness: Harness) -> None:
    template = await harness.record("case-0", 1, step=0)
    depth = 100_000  # json.loads raises RecursionError, not a ValueError
    deep = b'{"a": ' + b"[" * depth + b"]" * depth + b"}"
    await _the_partition_goes_on_after(harness, dataclasses.replace(template, value=deep))
    assert len(await read_topic(harness.kafka, harness.dlq)) == 1
