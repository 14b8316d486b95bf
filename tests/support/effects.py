"""A test consumer's side effect: one row per applied event, with an order check."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.messaging.cloudevents import ConsumedEvent

CREATE = "CREATE TABLE IF NOT EXISTS effects (event_id uuid, stream_id text, version int)"


async def apply_in_order(event: ConsumedEvent, conn: AsyncConnection) -> None:
    """Record the event; refuse one that arrives out of its stream's order."""
    last = await conn.scalar(sa.text("SELECT max(version) FROM effects WHERE stream_id = :s"),
                             {"s": event.stream_id})
    if event.stream_version != (last or 0) + 1:
        raise AssertionError(f"{event.stream_id}: got version {event.stream_version} "
                             f"after {last}")
    await conn.execute(sa.text("INSERT INTO effects VALUES (:id, :s, :v)"),
                       {"id": event.event_id, "s": event.stream_id, "v": event.stream_version})


async def counts(conn: AsyncConnection) -> tuple[int, int]:
    """(rows, distinct event ids) in the effects table."""
    row = (await conn.execute(
        sa.text("SELECT count(*), count(DISTINCT event_id) FROM effects"))).one()
    return int(row[0]), int(row[1])
