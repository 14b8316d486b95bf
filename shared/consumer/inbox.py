"""The inbox: which events a consumer has already applied, written in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.eventstore import schema
from shared.messaging.cloudevents import ConsumedEvent


async def claim(
    conn: AsyncConnection, consumer: str, event: ConsumedEvent, topic: str, partition: int,
    offset: int,
) -> bool:
    """Record that `consumer` is applying `event`; False if it already did.

    On PostgreSQL a concurrent claim of the same event (a redelivery during a rebalance) waits
    for the first transaction and then finds the row, so the effect happens once.
    """
    values = {"consumer": consumer, "event_id": event.event_id, "topic": topic,
              "kafka_partition": partition, "kafka_offset": offset,
              "processed_at": datetime.now(UTC)}
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(schema.inbox).values(values).on_conflict_do_nothing()
    result = await conn.execute(statement)
    return bool(result.rowcount)


async def already_applied(conn: AsyncConnection, consumer: str, event_id: object) -> bool:
    row = await conn.scalar(
        sa.select(sa.literal(1)).where(
            schema.inbox.c.consumer == consumer, schema.inbox.c.event_id == event_id
        )
    )
    return row is not None
