"""The outbox relay.

Reads unsent outbox rows in insertion order, publishes them as CloudEvents with an idempotent,
acks=all producer, and marks them sent only once the broker has acknowledged them. A crash
between the two leaves rows unsent, so they are sent again: delivery is at least once, and
consumers de-duplicate by event id. One relay at a time works a database (a PostgreSQL
advisory lock); it wakes on NOTIFY from the outbox trigger, on an in-process signal, or on a
fallback poll.

Throughput: on PostgreSQL the relay keeps up to `max_in_flight` batches between "handed to
the producer" and "marked": it reads and sends the next batch while the broker acknowledges
the previous one (a relay that waited for each batch's acks before reading the next ran at a
quarter of the raw producer's rate). Marks still follow acks, batch after batch in order: a
batch is marked only once every earlier batch was, so after a failure the unmarked rows are
a suffix, sent again in order.

Wake-ups: the outbox trigger notifies only while the relay says it waits (migration
0003_outbox_wake), because every NOTIFY serialises the writers' commits. A writer whose insert
ran just before the relay said so, and which commits just after the relay last looked, is
picked up by the in-process signal (same-process writers) or the fallback poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from sqlalchemy.dialects import postgresql

from shared.db import Database, asyncpg_dsn
from shared.eventstore import schema
from shared.eventstore.store import EVENT_COLUMNS, row_to_event
from shared.messaging.cloudevents import to_kafka
from shared.retry import Backoff

log = logging.getLogger("runway.relay")

_O = schema.outbox
_LOCK_KEY = zlib.crc32(b"runway-outbox-relay")
# Takeover. A relay process that dies on a live host (SIGKILL, OOM) closes its socket; PostgreSQL
# ends the session and drops the lock at once, and a standby relay, which asks for the lock
# every `poll_interval` (RELAY_POLL_INTERVAL_S, 1 s), takes it at its next ask and starts its
# producer: publishing resumes within about poll_interval plus a producer start (seconds).
# A host that vanishes sends nothing; PostgreSQL then probes the lock's connection with TCP
# keepalives and ends it after idle + interval * count seconds of silence (10 + 5 * 3 = 25 s)
# instead of the kernel's default two hours. docs/operations.md states both bounds.
LOCK_CONNECTION_KEEPALIVE = {"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5",
                             "tcp_keepalives_count": "3"}


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
        max_in_flight: int = 3,
    ) -> None:
        self._db = database
        self._producer_factory = producer_factory
        self._source = source
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        # SQLite serialises writers anyway, and its query could not exclude in-flight rows
        # cheaply: one batch at a time there.
        self._max_in_flight = max(1, max_in_flight) if database.is_postgres else 1
        self._wakeup = asyncio.Event()
        self._on_published = on_published
        self.stats = RelayStats()
        self.is_leader = False

    def wake(self) -> None:
        """Signal that new outbox rows have committed (same-process writers)."""
        self._wakeup.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set, recovering from broker or database failures."""
        backoff = Backoff(0.5, cap=15.0)
        while not stop.is_set():
            try:
                await self._run_as_leader(stop)
                backoff.reset()
            except asyncio.CancelledError:
                raise
            except Exception:
                self.stats.failures += 1
                delay = next(backoff)
                log.exception("relay failed; retrying in %.1fs", delay)
                await _wait(stop, delay)

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
                await self.drain(producer)
                await self._idle(lock, stop)

    async def _idle(self, lock: asyncpg.Connection | None, stop: asyncio.Event) -> None:
        """Wait for new rows. On PostgreSQL, say so first (writers notify only then), and look
        once more: a row committed after the last read but before the flag brought no NOTIFY."""
        if lock is None:
            await _wait_any(stop, self._wakeup, self._poll_interval)
            return
        await _set_waiting(lock, True)
        try:
            if not await _has_pending(lock):
                await _wait_any(stop, self._wakeup, self._poll_interval)
        finally:
            await _set_waiting(lock, False)

    @contextlib.asynccontextmanager
    async def _leadership(self, stop: asyncio.Event) -> Any:
        """Hold the relay lock on a dedicated connection that also LISTENs for new rows.
        If this process dies, PostgreSQL drops the connection and with it the lock."""
        conn = await asyncpg.connect(asyncpg_dsn(self._db.url),
                                     server_settings=LOCK_CONNECTION_KEEPALIVE)
        try:
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", _LOCK_KEY):
                log.info("another relay holds the lock; standing by")
                if await _wait(stop, self._poll_interval):
                    break
            else:
                # With the last "standing by" before it, the moment of a takeover.
                log.info("relay holds the lock; publishing")
            # The waiting flag is a hint (a lost update costs at most one poll interval), so
            # its writes need not wait for the WAL flush.
            await conn.execute("SET synchronous_commit = off")
            await conn.add_listener(schema.OUTBOX_CHANNEL, lambda *_: self._wakeup.set())
            yield conn
        finally:
            with contextlib.suppress(Exception):
                await conn.close(timeout=5)

    async def drain(self, producer: AIOKafkaProducer) -> int:
        """Publish until a read finds less than a full batch; returns how many rows were sent
        and marked. Reads and sends the next batch while earlier ones await their acks."""
        window: deque[asyncio.Task[int]] = deque()
        in_flight: set[int] = set()
        published = 0
        try:
            while True:
                rows = await self._pending(in_flight)
                if rows:
                    in_flight.update(row.outbox_id for row in rows)
                    deliveries = await self._send(producer, rows)
                    previous = window[-1] if window else None
                    window.append(asyncio.create_task(
                        self._settle(rows, deliveries, previous, in_flight)))
                more = len(rows) == self._batch_size
                while window and (not more or len(window) >= self._max_in_flight):
                    published += await window.popleft()
                if not more:
                    return published
        except asyncio.CancelledError:
            for task in window:
                task.cancel()
            await asyncio.gather(*window, return_exceptions=True)
            raise
        except Exception:
            # Batches already handed to the producer still get their acks and marks: cancelling
            # them would send rows the broker has acknowledged again on the next round.
            await asyncio.gather(*window, return_exceptions=True)
            raise

    async def publish_pending(self, producer: AIOKafkaProducer) -> int:
        """Publish one batch of unsent rows; returns how many were sent and marked."""
        rows = await self._pending(set())
        if not rows:
            return 0
        return await self._settle(rows, await self._send(producer, rows), None, set())

    async def _send(self, producer: AIOKafkaProducer,
                    rows: list[Any]) -> list[asyncio.Future[Any]]:
        """Hand a batch to the producer, in order; the futures resolve on the broker's ack."""
        deliveries = []
        for row in rows:
            record = to_kafka(row_to_event(row), topic=row.topic, key=row.message_key,
                              source=self._source)
            deliveries.append(await producer.send(record.topic, value=record.value,
                                                  key=record.key, headers=record.headers))
        return deliveries

    async def _settle(self, rows: list[Any], deliveries: list[asyncio.Future[Any]],
                      previous: asyncio.Task[int] | None, in_flight: set[int]) -> int:
        """Wait for a batch's acks, then mark the acknowledged prefix: only after the batch
        before it was marked in full (its failure fails this one, unmarked), so that the
        rows left unsent are always a suffix of the outbox, sent again in order."""
        results = await asyncio.gather(*deliveries, return_exceptions=True)
        if previous is not None:
            await previous
        acked = []
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                break
            acked.append((row.outbox_id, result.partition, result.offset))
        await self._mark_published(acked)
        in_flight.difference_update(row.outbox_id for row in rows)
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

    async def _pending(self, in_flight: set[int]) -> list[Any]:
        query = (
            sa.select(_O.c.id.label("outbox_id"), _O.c.topic, _O.c.message_key,
                      *EVENT_COLUMNS)
            .join(schema.events, schema.events.c.position == _O.c.event_position)
            .where(_O.c.published_at.is_(None))
            .order_by(_O.c.id)
            .limit(self._batch_size)
        )
        if in_flight:
            # Rows sent but not yet marked (PostgreSQL only: see max_in_flight).
            query = query.where(_O.c.id != sa.func.all(
                sa.literal(sorted(in_flight), type_=postgresql.ARRAY(sa.BigInteger))))
        async with self._db.connect() as conn:
            return list((await conn.execute(query)).all())

    async def _mark_published(self, acked: list[tuple[int, int, int]]) -> None:
        """Mark (outbox id, partition, offset) rows published: one statement on PostgreSQL."""
        if not acked:
            return
        now = datetime.now(UTC)
        async with self._db.transaction() as conn:
            if self._db.is_postgres:
                ids, partitions, offsets = (list(column) for column in zip(*acked, strict=True))
                await conn.execute(_MARK_MANY, {"now": now, "ids": ids,
                                                "partitions": partitions, "offsets": offsets})
                return
            await conn.execute(
                sa.update(_O).where(_O.c.id == sa.bindparam("b_id"))
                .values(published_at=now, kafka_partition=sa.bindparam("b_partition"),
                        kafka_offset=sa.bindparam("b_offset")),
                [{"b_id": i, "b_partition": p, "b_offset": o} for i, p, o in acked])

    async def pending_count(self) -> int:
        async with self._db.connect() as conn:
            value = await conn.scalar(
                sa.select(sa.func.count()).select_from(_O).where(_O.c.published_at.is_(None))
            )
        return int(value or 0)


# One UPDATE for a whole batch instead of one per row (an executemany).
_MARK_MANY = sa.text("""
UPDATE outbox SET published_at = :now, kafka_partition = m.kafka_partition,
                  kafka_offset = m.kafka_offset
FROM unnest(CAST(:ids AS bigint[]), CAST(:partitions AS integer[]),
            CAST(:offsets AS bigint[])) AS m(id, kafka_partition, kafka_offset)
WHERE outbox.id = m.id
""")


async def _set_waiting(lock: asyncpg.Connection, waiting: bool) -> None:
    await lock.execute("UPDATE outbox_relay_state SET waiting = $1 WHERE id = 1", waiting)


async def _has_pending(lock: asyncpg.Connection) -> bool:
    return bool(await lock.fetchval(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE published_at IS NULL)"))


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
