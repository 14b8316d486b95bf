"""Concurrent writers and a tailing reader: nothing missed, nothing seen twice."""

from __future__ import annotations

import asyncio
import random
import time
import uuid

from shared.db import Database
from shared.eventstore import Actor, EventContext, EventStore, GlobalPosition, NewEvent

WRITERS = 16
APPENDS_PER_WRITER = 40
POLL_INTERVAL = 0.001
CONTEXT = EventContext(actor=Actor("test", "service"))


async def test_tailing_reader_sees_every_event_exactly_once_under_concurrent_writers(
    pg_db: Database, store: EventStore
) -> None:
    written: set[uuid.UUID] = set()
    seen: list[uuid.UUID] = []
    writers_done = asyncio.Event()
    rng = random.Random(7)

    async def writer(index: int) -> None:
        for n in range(APPENDS_PER_WRITER):
            # Streams are shared between writers so that appends also race on versions.
            stream = f"case-{(index + n) % 5}"
            new = NewEvent("test.appended", {"writer": index, "n": n})
            while True:
                try:
                    async with pg_db.transaction() as conn:
                        version = await store.stream_version(conn, stream)
                        await store.append(conn, stream_id=stream, stream_type="case",
                                           expected_version=version, events=[new],
                                           context=CONTEXT, topic=None)
                        # Hold the transaction open for a while after taking a position, so
                        # later positions routinely commit before earlier ones.
                        await asyncio.sleep(rng.random() * 0.004)
                    break
                except Exception as error:
                    if type(error).__name__ != "ConcurrencyConflict":
                        raise
            written.add(new.event_id)

    async def reader() -> None:
        position = GlobalPosition.START
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            async with pg_db.connect() as conn:
                batch = await store.read_all(conn, position, limit=50)
            for recorded in batch:
                seen.append(recorded.event_id)
                position = recorded.position
            if not batch:
                if writers_done.is_set() and len(seen) >= len(written):
                    return
                await asyncio.sleep(POLL_INTERVAL)
        raise AssertionError("reader did not catch up before the deadline")

    reading = asyncio.create_task(reader())
    await asyncio.gather(*(writer(i) for i in range(WRITERS)))
    writers_done.set()
    await reading

    assert len(written) == WRITERS * APPENDS_PER_WRITER
    assert len(seen) == len(set(seen)), "an event was delivered twice"
    assert set(seen) == written, f"{len(written - set(seen))} events were skipped"
