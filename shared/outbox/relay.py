"""The outbox relay.

Reads unsent outbox rows in insertion order, publishes them as CloudEvents with an idempotent,
acks=all producer, and marks them sent only once the broker has acknowledged them. A crash
between the two leaves rows unsent, so they are sent again: delivery is at least once, and
consumers de-duplicate by event id. One relay at a time works a database (a PostgreSQL
advisory lock); it wakes on NOTIFY from the outbox trigger, on an in-process signal, or on a
fallback poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer

from shared.db import Database, asyncpg_dsn
from shared.eventstore import schema
from shared.eventstore.store import EVENT_COLUMNS, row_to_event
from shared.messaging.cloudevents import to_kafka

log = logging.getLogger("runway.relay")

_O = schema.outbox
_LOCK_KEY = zlib.crc32(b"runway-outbox-relay")


@dataclass
class RelayStats:
    published: int = 0
    batches: int = 0
    failures: int = 0


class OutboxRelay:
    def __init__(
        self,
        database: Database,
        producer_factory: Callable[[], AIOKafkaProducer],
        *,
        source: str,
        batch_size: int = 1000,
        poll_interval: float = 1.0,
        on_published: Callable[[int], Awaitable[None] | None] | None = None,
    ) -> None:
        self._db = database
        self._producer_factory = producer_factory
        self._source = source
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._wakeup = asyncio.Event()
        self._on_published = on_published
        self.stats = RelayStats()
        self.is_leader = False

    def wake(self) -> None:
        """Signal that new outbox rows have committed (same-process writers)."""
        self._wakeup.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set, recovering from broker or database failures."""
        backoff = 0.5
        while not stop.is_set():
            try:
                await self._run_as_leader(stop)
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception:
                self.stats.failures += 1
                log.exception("relay failed; retrying in %.1fs", backoff)
                await _wait(stop, backoff)
                backoff = min(backoff * 2, 15.0)

    async def _run_as_leader(self, stop: asyncio.Event) -> None:
        async with contextlib.AsyncExitStack() as stack:
            lock: asyncpg.Connection | None = None
            if self._db.is_postgres:
                lock = await stack.enter_async_context(self._leadership(stop))
                if stop.is_set():
                    return
            producer = self._producer_factory()
            await producer.start()
            stack.push_async_callback(producer.stop)
            self.is_leader = True
            stack.callback(setattr, self, "is_leader", False)
            while not stop.is_set():
                self._wakeup.clear()
                if lock is not None:
                    await _still_leader(lock)
                sent = await self.publish_pending(producer)
                if sent < self._batch_size:
                    await _wait_any(stop, self._wakeup, self._poll_interval)

    @contextlib.asynccontextmanager
    async def _leadership(self, stop: asyncio.Event) -> Any:
        """Hold the relay lock on a dedicated connection that also LISTENs for new rows.
        If this process dies, PostgreSQL drops the connection and with it the lock."""
        conn = await asyncpg.connect(asyncpg_dsn(self._db.url))
        try:
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", _LOCK_KEY):
                log.info("another relay holds the lock; standing by")
                if await _wait(stop, self._poll_interval):
                    break
            await conn.add_listener(schema.OUTBOX_CHANNEL, lambda *_: self._wakeup.set())
            yield conn
        finally:
            with contextlib.suppress(Exception):
                await conn.close(timeout=5)

    async def publish_pending(self, producer: AIOKafkaProducer) -> int:
        """Publish one batch of unsent rows; returns how many were sent and marked."""
        rows = await self._pending()
        if not rows:
            return 0
        deliveries = []
        for row in rows:
            record = to_kafka(row_to_event(row), topic=row.topic, key=row.message_key,
                              source=self._source)
            deliveries.append(await producer.send(record.topic, value=record.value,
                                                  key=record.key, headers=record.headers))
        results = await asyncio.gather(*deliveries, return_exceptions=True)
        acked = []
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                # Mark only the acknowledged prefix: the rest is retried in order.
                break
            acked.append({"b_id": row.outbox_id, "b_partition": result.partition,
                          "b_offset": result.offset})
        await self._mark_published(acked)
        self.stats.published += len(acked)
        self.stats.batches += 1
        if self._on_published is not None:
            outcome = self._on_published(len(acked))
            if outcome is not None:
                await outcome
        if len(acked) < len(rows):
            failure = results[len(acked)]
            assert isinstance(failure, BaseException)
            raise failure
        return len(acked)

    async def _pending(self) -> list[Any]:
        query = (
            sa.select(_O.c.id.label("outbox_id"), _O.c.topic, _O.c.message_key,
                      *EVENT_COLUMNS)
            .join(schema.events, schema.events.c.position == _O.c.event_position)
            .where(_O.c.published_at.is_(None))
            .order_by(_O.c.id)
            .limit(self._batch_size)
        )
        async with self._db.connect() as conn:
            return list((await conn.execute(query)).all())

    async def _mark_published(self, acked: list[dict[str, Any]]) -> None:
        if not acked:
            return
        statement = (
            sa.update(_O)
            .where(_O.c.id == sa.bindparam("b_id"))
            .values(published_at=datetime.now(UTC), kafka_partition=sa.bindparam("b_partition"),
                    kafka_offset=sa.bindparam("b_offset"))
        )
        async with self._db.transaction() as conn:
            await conn.execute(statement, acked)

    async def pending_count(self) -> int:
        async with self._db.connect() as conn:
            value = await conn.scalar(
                sa.select(sa.func.count()).select_from(_O).where(_O.c.published_at.is_(None))
            )
        return int(value or 0)


async def _still_leader(lock: asyncpg.Connection) -> None:
    """The lock lives as long as its connection. If that connection broke, another relay may
    hold the lock now: stop publishing (the caller restarts and queues for the lock)."""
    if lock.is_closed():
        raise ConnectionError("relay lock connection lost")
    held = await lock.fetchval(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 "
        "AND pid = pg_backend_pid() AND granted", _LOCK_KEY & 0xFFFFFFFF)
    if not held:
        raise ConnectionError("relay lock no longer held")


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Wait up to `seconds`; True if `stop` was set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    return stop.is_set()


async def _wait_any(stop: asyncio.Event, wakeup: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wakeup.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
