"""A test consumer's side effect: one row per applied event, with an order check."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.messaging.cloudevents import ConsumedEvent

_TABLE = "CREATE TABLE IF NOT EXISTS effects (event_id uuid, stream_id text, version int)"
# The order check reads a stream's last version per event: without an index that read scans
# every row so far, and a 30,000-event run would spend its time there, not in the runtime.
_INDEX = "CREATE INDEX IF NOT EXISTS effects_stream ON effects (stream_id, version)"


async def create(conn: AsyncConnection) -> None:
    """The effects table, with no unique key: a second effect must show up as a second row."""
    await conn.execute(sa.text(_TABLE))
    await conn.execute(sa.text(_INDEX))


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
