"""A run with many failing messages, applied by the consumer's batch applier on a real store:
each good message once and in order, each failing one dead-lettered, however many fail."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from aiokafka import ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.consumer.batch import BatchApplier, Message, Outcome, RetryPolicy, Routed
from shared.db import Database
from shared.eventstore import Actor, GlobalPosition, RecordedEvent
from shared.jsoncanon import canonical_json
from shared.messaging.cloudevents import ConsumedEvent, from_kafka, to_kafka

FAILING, GOOD = 1200, 300  # past Python's recursion limit, which a recursive split hit


def routed(offset: int, handler: object) -> Routed:
    now = datetime.now(UTC)
    recorded = RecordedEvent(
        event_id=uuid.uuid4(), stream_id="case-1", stream_type="case", version=offset + 1,
        event_type="test.step_recorded", schema_version=1,
        payload_json=canonical_json({"fails": offset % 5 != 0}), occurred_at=now,
        recorded_at=now, actor=Actor("op-1", "operator"), correlation_id="c",
        causation_id=None, prev_hash="0" * 64, hash="1" * 64,
        position=GlobalPosition(1, offset + 1))
    record = to_kafka(recorded, topic="t", key="case-1", source="/runway/test")
    message: Message = ConsumerRecord(
        topic="t", partition=0, offset=offset, timestamp=0, timestamp_type=0, key=record.key,
        value=record.value, checksum=None, serialized_key_size=0, serialized_value_size=0,
        headers=record.headers)
    return Routed(message, from_kafka(record.headers, record.value), handler)  # type: ignore[arg-type]


class DeadLetters(list[int]):
    """The offsets dead-lettered, in order; the applier's dead-letter hook."""

    async def __call__(self, message: Message, _error: BaseException, _attempts: int) -> None:
        self.append(message.offset)


async def effects_table(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.execute(sa.text("CREATE TABLE effects (version int)"))


async def record_effect(event: ConsumedEvent, conn: AsyncConnection) -> None:
    await conn.execute(sa.text("INSERT INTO effects VALUES (:v)"), {"v": event.stream_version})


async def effects(db: Database) -> list[int]:
    async with db.connect() as conn:
        return [row.version for row in await conn.execute(sa.text("SELECT version FROM effects"))]


async def test_a_run_of_mostly_failing_messages_applies_the_rest_in_order(
    sqlite_db: Database,
) -> None:
    await effects_table(sqlite_db)

    async def handler(event: ConsumedEvent, conn: AsyncConnection) -> None:
        if event.data["fails"]:
            raise ValueError("this step cannot be applied")
        await record_effect(event, conn)

    lettered = DeadLetters()

    applied: list[int] = []

    def committed(outcome: Outcome) -> None:
        applied.extend(event.stream_version for event in outcome.applied)

    applier = BatchApplier(name="c", database=sqlite_db, policy=RetryPolicy(1, 0.001),
                           dead_letter=lettered, on_commit=committed, on_retry=lambda: None)
    items = [routed(offset, handler) for offset in range(FAILING + GOOD)]
    await asyncio.wait_for(applier.apply(items, asyncio.Event()), timeout=300)

    good = [offset + 1 for offset in range(FAILING + GOOD) if offset % 5 == 0]
    assert applied == good
    assert await effects(sqlite_db) == good
    assert lettered == [offset for offset in range(FAILING + GOOD) if offset % 5 != 0]


async def raise_sqlstate(conn: AsyncConnection, code: str) -> None:
    """A real PostgreSQL error of that SQLSTATE, inside the consumer's transaction."""
    await conn.execute(sa.text(
        f"DO $$ BEGIN RAISE EXCEPTION 'forced by the test' USING ERRCODE = '{code}'; END $$"))


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"],
                         ids=["deadlock_detected", "serialization_failure"])
async def test_a_message_rolled_back_for_its_timing_is_applied_not_dead_lettered(
    pg_db: Database, sqlstate: str,
) -> None:
    """PostgreSQL rolls the transaction of the second message of a run back (as it does to
    one of two replicas whose transactions deadlock) more times than the retry budget allows:
    the message is not at fault, so it is run again until it applies; every message of the
    run applies once, in order, none is dead-lettered, and each rollback shows as a retry."""
    await effects_table(pg_db)
    rollbacks = {"left": 5}

    async def handler(event: ConsumedEvent, conn: AsyncConnection) -> None:
        if event.stream_version == 2 and rollbacks["left"]:
            rollbacks["left"] -= 1
            await raise_sqlstate(conn, sqlstate)
        await record_effect(event, conn)

    lettered = DeadLetters()

    retries: list[None] = []
    applier = BatchApplier(name="c", database=pg_db, policy=RetryPolicy(2, 0.001),
                           dead_letter=lettered, on_commit=lambda _outcome: None,
                           on_retry=lambda: retries.append(None))
    run = [routed(offset, handler) for offset in range(3)]
    await asyncio.wait_for(applier.apply(run, asyncio.Event()), timeout=120)

    assert lettered == []
    assert rollbacks["left"] == 0
    assert await effects(pg_db) == [1, 2, 3]
    # Two rollbacks split the run (the whole run, then the one-message chunk the window
    # narrowed to); the other three come while the message runs alone, each shown as a retry.
    assert len(retries) == 3
