"""The inbox: which events a consumer has already applied, written in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.eventstore import schema


@dataclass(frozen=True)
class Claim:
    """One event a consumer is about to apply, and where on Kafka it was read."""

    event_id: uuid.UUID
    topic: str
    partition: int
    offset: int


async def claim_many(
    conn: AsyncConnection, consumer: str, claims: Sequence[Claim]
) -> set[uuid.UUID]:
    """Record that `consumer` is applying these events; returns the ids it had not applied
    before (an id listed twice is returned once).

    One statement whatever the count, and one whose compiled form is cached: a multi-row
    VALUES clause would be compiled again for every batch size, which cost more than the
    database round trip it saves.
    """
    if not claims:
        return set()
    if conn.dialect.name == "postgresql":
        return await _claim_on_postgres(conn, consumer, claims)
    return await _claim_on_sqlite(conn, consumer, claims)


# On PostgreSQL a concurrent claim of the same event (a redelivery during a rebalance) waits
# for the first transaction and then finds the row, so the effect happens once.
_CLAIM_UNNEST = sa.text("""
INSERT INTO inbox (consumer, event_id, topic, kafka_partition, kafka_offset, processed_at)
SELECT :consumer, c.event_id, c.topic, c.kafka_partition, c.kafka_offset, :processed_at
FROM unnest(CAST(:event_ids AS uuid[]), CAST(:topics AS text[]),
            CAST(:partitions AS integer[]), CAST(:offsets AS bigint[]))
     AS c(event_id, topic, kafka_partition, kafka_offset)
ON CONFLICT DO NOTHING
RETURNING event_id""")


async def _claim_on_postgres(
    conn: AsyncConnection, consumer: str, claims: Sequence[Claim]
) -> set[uuid.UUID]:
    rows = await conn.execute(_CLAIM_UNNEST, {
        "consumer": consumer, "processed_at": datetime.now(UTC),
        "event_ids": [c.event_id for c in claims], "topics": [c.topic for c in claims],
        "partitions": [c.partition for c in claims], "offsets": [c.offset for c in claims]})
    return {uuid.UUID(str(row[0])) for row in rows}


_ALREADY_CLAIMED = sa.select(schema.inbox.c.event_id).where(
    schema.inbox.c.consumer == sa.bindparam("consumer"),
    schema.inbox.c.event_id.in_(sa.bindparam("event_ids", expanding=True)))


async def _claim_on_sqlite(
    conn: AsyncConnection, consumer: str, claims: Sequence[Claim]
) -> set[uuid.UUID]:
    """SQLite has one writer at a time (the transaction began IMMEDIATE), so reading what is
    claimed and then inserting the rest cannot race another claim."""
    ids = [c.event_id for c in claims]
    claimed = set((await conn.scalars(_ALREADY_CLAIMED,
                                      {"consumer": consumer, "event_ids": ids})).all())
    fresh: dict[uuid.UUID, Claim] = {}
    for c in claims:
        if c.event_id not in claimed:
            fresh.setdefault(c.event_id, c)
    if fresh:
        now = datetime.now(UTC)
        await conn.execute(schema.inbox.insert(), [
            {"consumer": consumer, "event_id": c.event_id, "topic": c.topic,
             "kafka_partition": c.partition, "kafka_offset": c.offset, "processed_at": now}
            for c in fresh.values()])
    return set(fresh)


async def already_applied(conn: AsyncConnection, consumer: str, event_id: object) -> bool:
    row = await conn.scalar(
        sa.select(sa.literal(1)).where(
            schema.inbox.c.consumer == consumer, schema.inbox.c.event_id == event_id
        )
    )
    return row is not None
