"""Crashes of real processes: the relay and a consumer, each killed with SIGKILL at the worst
moment, then restarted. Nothing is lost, order holds per case, nothing applies twice."""

from __future__ import annotations

import asyncio
import json

import asyncpg
import sqlalchemy as sa
from aiokafka import TopicPartition

from shared.audit.sources import partition_ids
from shared.consumer import ConsumerRuntime
from shared.db import Database, asyncpg_dsn
from shared.eventstore import Actor, EventContext, EventStore, NewEvent
from shared.messaging.kafka import make_consumer, make_producer
from tests.support import effects, processes
from tests.support.infra import create_topics, kafka_admin, unique_topic
from tests.support.kafka_read import wait_for

CONTEXT = EventContext(actor=Actor("operator-1", "operator"))
# 10,000 events in 20 relay batches of 500, each case's spread over batches. Sized so that a
# machine three times slower than ours stays well inside the deadlines below (here the relay
# takes a few seconds and the consumer about five).
CASES, ROUNDS, PER_APPEND = 100, 10, 10


async def fill_outbox(db: Database, store: EventStore, topic: str) -> int:
    async def case_round(case: int, round_: int) -> None:
        async with db.transaction() as conn:
            await store.append(
                conn, stream_id=f"case-{case}", stream_type="case",
                expected_version=round_ * PER_APPEND,
                events=[NewEvent("test.step_recorded", {"round": round_, "i": i, "pad": "x" * 200})
                        for i in range(PER_APPEND)],
                context=CONTEXT, topic=topic)

    for round_ in range(ROUNDS):
        for start in range(0, CASES, 20):
            await asyncio.gather(*(case_round(c, round_) for c in range(start, start + 20)))
    return CASES * ROUNDS * PER_APPEND


async def on_kafka(bootstrap: str, topic: str) -> int:
    consumer = make_consumer(bootstrap, f"probe-{topic}", [])
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in await partition_ids(bootstrap, topic)]
        return sum((await consumer.end_offsets(partitions)).values())
    finally:
        await consumer.stop()


async def committed_offsets(bootstrap: str, group: str, topic: str) -> int:
    """The sum of the group's committed offsets on `topic`."""
    async with kafka_admin(bootstrap) as admin:
        offsets = await admin.list_consumer_group_offsets(group)
    return sum(meta.offset for tp, meta in offsets.items() if tp.topic == topic)


async def published_in_db(db: Database) -> int:
    async with db.connect() as conn:
        value = await conn.scalar(
            sa.text("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL"))
    return int(value or 0)


async def test_relay_killed_mid_batch_loses_nothing_and_keeps_case_order(
    pg_db: Database, pg_url: str, store: EventStore, kafka: str
) -> None:
    topic = unique_topic("crash")
    await create_topics(kafka, [topic])
    total = await fill_outbox(pg_db, store, topic)
    relay_args = ("--database-url", pg_url, "--bootstrap", kafka, "--source", "/runway/test",
                  "--batch-size", "500")

    # Hold the outbox so that the relay can read and publish but not mark: it is caught
    # between the broker's ack and the database mark, where it is then killed.
    holder = await asyncpg.connect(asyncpg_dsn(pg_url))
    try:
        holding = holder.transaction()
        await holding.start()
        await holder.execute("LOCK TABLE outbox IN EXCLUSIVE MODE")
        relay = await processes.start_script("runway-relay", *relay_args)

        async def acknowledged() -> bool:
            return await on_kafka(kafka, topic) >= 500

        await wait_for(acknowledged, what="a batch acknowledged by the broker")
        await processes.kill(relay)
        await holding.rollback()
    finally:
        await holder.close()
    marked, sent = await published_in_db(pg_db), await on_kafka(kafka, topic)
    assert (marked, sent >= 500) == (0, True), "the relay was not killed between ack and mark"

    relay = await processes.start_script("runway-relay", *relay_args)
    try:
        async def all_marked() -> bool:
            return await published_in_db(pg_db) == total

        await wait_for(all_marked, timeout=120, what="every outbox row published")
    finally:
        await processes.terminate(relay)
    on_topic = await on_kafka(kafka, topic)
    assert on_topic >= total

    # A consumer that refuses out-of-order versions applies everything exactly once.
    async with pg_db.transaction() as conn:
        await effects.create(conn)
    runtime = ConsumerRuntime(
        name="crash-check", database=pg_db,
        consumer_factory=lambda: make_consumer(kafka, f"check-{topic}", [topic]),
        producer_factory=lambda: make_producer(kafka, "crash-check"),
        handlers={"test.step_recorded.v1": effects.apply_in_order},
        dead_letter_topic=f"{topic}.dlq", max_attempts=1)
    stop = asyncio.Event()
    consuming = asyncio.create_task(runtime.run(stop))
    try:
        async def consumed_all() -> bool:
            stats = runtime.stats
            return stats.applied + stats.duplicates + stats.dead_lettered >= on_topic

        await wait_for(consumed_all, timeout=180, what="consumer caught up")
    finally:
        stop.set()
        await consuming
    async with pg_db.connect() as conn:
        rows, distinct = await effects.counts(conn)
    assert runtime.stats.dead_lettered == 0, "an event arrived out of its case's order"
    assert (rows, distinct) == (total, total)
    assert runtime.stats.duplicates == on_topic - total


async def test_consumer_killed_between_db_commit_and_offset_commit_has_no_double_effect(
    pg_db: Database, pg_url: str, store: EventStore, kafka: str
) -> None:
    topic = unique_topic("consumer-crash")
    await create_topics(kafka, [topic])
    async with pg_db.transaction() as conn:
        await effects.create(conn)
    for case in range(5):
        async with pg_db.transaction() as conn:
            await store.append(conn, stream_id=f"case-{case}", stream_type="case",
                               expected_version=0,
                               events=[NewEvent("test.step_recorded", {"i": i})
                                       for i in range(10)],
                               context=CONTEXT, topic=topic)
    from shared.outbox import OutboxRelay

    relay = OutboxRelay(pg_db, lambda: make_producer(kafka, "relay"), source="/runway/test")
    producer = make_producer(kafka, "relay")
    await producer.start()
    try:
        assert await relay.publish_pending(producer) == 50
    finally:
        await producer.stop()

    group = f"group-{topic}"
    args = ("-m", "tests.support.consumer_process", pg_url, kafka, topic, group)
    crashing = await processes.start(*args, "--crash-after", "7")
    await asyncio.wait_for(crashing.wait(), timeout=120)
    assert crashing.returncode == -9
    async with pg_db.connect() as conn:
        rows, distinct = await effects.counts(conn)
    # Killed right after the database commit of a run holding the 7th event, before the
    # offsets moved: every event of that run is applied once, and will be delivered again.
    assert rows == distinct >= 7

    survivor = await processes.start(*args)

    async def all_applied_and_acknowledged() -> bool:
        # The rows alone may all be there already (the crash came after their commit): wait
        # until the survivor has also read past them and moved the group's offsets.
        async with pg_db.connect() as conn:
            applied = (await effects.counts(conn))[0] >= 50
        return applied and await committed_offsets(kafka, group, topic) >= 50

    await wait_for(all_applied_and_acknowledged, timeout=120,
                   what="restarted consumer applied the rest and committed its offsets")
    stats = json.loads(await processes.terminate(survivor))
    async with pg_db.connect() as conn:
        assert await effects.counts(conn) == (50, 50)
    assert stats["duplicates"] >= 1, "the uncommitted offset should have caused a redelivery"
    assert stats["dead_lettered"] == 0
