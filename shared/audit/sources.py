"""Where an audit reads from: each service's event store, and the Kafka topics."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaConnectionError, NodeNotReadyError, RequestTimedOutError

from shared.clock import as_utc
from shared.db import Database
from shared.eventstore import RecordedEvent, schema
from shared.eventstore.store import EVENT_COLUMNS, row_to_event
from shared.messaging.kafka import make_admin
from shared.messaging.security import PLAINTEXT, KafkaSecurity, options
from shared.messaging.topics import events_topic
from shared.retry import retry
from shared.settings import service_database_url
from shared.topology import SERVICES


@dataclass(frozen=True)
class AuditTarget:
    """The installation under audit: a store per service and the Kafka cluster (read with
    `security`'s credentials: under ACLs, a user that may read every events topic)."""

    stores: dict[str, str]
    bootstrap: str
    namespace: str = ""
    security: KafkaSecurity = PLAINTEXT

    @classmethod
    def from_server(cls, server_url: str, bootstrap: str, namespace: str = "",
                    services: tuple[str, ...] = SERVICES,
                    security: KafkaSecurity = PLAINTEXT, prefix: str = "runway",
                    ) -> AuditTarget:
        return cls({s: service_database_url(server_url, s, prefix) for s in services},
                   bootstrap, namespace, security)

    def topic(self, service: str) -> str:
        return events_topic(service, self.namespace)


async def stored_streams(url: str) -> AsyncIterator[list[RecordedEvent]]:
    """Every stream of one store, each in version order."""
    database = Database(url, pool_size=1)
    try:
        async with database.connect() as conn:
            result = await conn.stream(
                sa.select(*EVENT_COLUMNS).order_by(schema.events.c.stream_id,
                                                   schema.events.c.version))
            current: list[RecordedEvent] = []
            async for row in result:
                event = row_to_event(row)
                if current and current[-1].stream_id != event.stream_id:
                    yield current
                    current = []
                current.append(event)
            if current:
                yield current
    finally:
        await database.dispose()


async def publication_state(url: str) -> dict[str, bool]:
    """event id -> whether the relay has marked it published (False: still in the outbox)."""
    database = Database(url, pool_size=1)
    try:
        async with database.connect() as conn:
            rows = await conn.execute(
                sa.select(schema.events.c.event_id, schema.outbox.c.published_at)
                .join(schema.outbox, schema.outbox.c.event_position == schema.events.c.position))
            return {str(r.event_id): r.published_at is not None for r in rows}
    finally:
        await database.dispose()


async def occurrences(url: str, event_ids: Collection[str], chunk: int = 1000
                      ) -> dict[str, tuple[str, datetime]]:
    """event id -> (event type, occurred_at) of those of `event_ids` one store holds."""
    wanted = sorted({uuid.UUID(i) for i in event_ids if _is_uuid(i)})
    found: dict[str, tuple[str, datetime]] = {}
    if not wanted:
        return found
    events = schema.events.c
    database = Database(url, pool_size=1)
    try:
        async with database.connect() as conn:
            for start in range(0, len(wanted), chunk):
                rows = await conn.execute(
                    sa.select(events.event_id, events.event_type, events.occurred_at)
                    .where(events.event_id.in_(wanted[start:start + chunk])))
                found.update({str(r.event_id): (r.event_type, as_utc(r.occurred_at))
                              for r in rows})
    finally:
        await database.dispose()
    return found


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


# What a broker that died under the reader gives: the admin client asked a node it can no
# longer reach. A fresh client bootstraps from the brokers still up, so ask again.
BROKER_GONE = (NodeNotReadyError, KafkaConnectionError, RequestTimedOutError)
BROKER_GONE_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0)


async def partition_ids(bootstrap: str, topic: str,
                        security: KafkaSecurity | None = None) -> list[int]:
    """A topic's partitions, asked of the cluster (a consumer's metadata can be stale), again
    from the brokers still up when the one asked died (an audit during a broker failure)."""
    async def ask() -> list[int]:
        admin = make_admin(bootstrap, security=security)
        await admin.start()
        try:
            [description] = await admin.describe_topics([topic])
            return sorted(p["partition"] for p in description.get("partitions", []))
        finally:
            await admin.close()
    return await retry(ask, on=BROKER_GONE, delays=BROKER_GONE_DELAYS)


Message: TypeAlias = ConsumerRecord[bytes, bytes]


async def read_to_checkpoint(bootstrap: str, topic: str,
                             on_batch: Callable[[list[Message]], None],
                             timeout_s: float = 600.0,
                             security: KafkaSecurity | None = None) -> dict[int, int]:
    """Feed every message of `topic`, from each partition's first retained offset up to its
    end offset seen now (the checkpoint, returned), to `on_batch`. Ends by position, so a
    partition whose messages were compacted or aged out cannot keep it waiting; gives up
    with an error after `timeout_s` rather than hang."""
    partitions = [TopicPartition(topic, p)
                  for p in await partition_ids(bootstrap, topic, security)]
    if not partitions:
        return {}
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                isolation_level="read_committed",
                                max_partition_fetch_bytes=8 << 20, fetch_max_bytes=64 << 20,
                                **options(security))
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        deadline = time.monotonic() + timeout_s
        remaining = {tp for tp in partitions if await consumer.position(tp) < ends[tp]}
        while remaining:
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read {topic} to its checkpoint in {timeout_s}s")
            batch = await consumer.getmany(*remaining, timeout_ms=500, max_records=20_000)
            for tp, messages in batch.items():
                on_batch([m for m in messages if m.offset < ends[tp]])
            remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
        return {tp.partition: ends[tp] for tp in partitions}
    finally:
        await consumer.stop()


async def topic_messages(bootstrap: str, topic: str,
                         security: KafkaSecurity | None = None) -> dict[str, list[Message]]:
    """Every message on a topic, from its first offset to the end now, by ce_id."""
    by_id: dict[str, list[Message]] = defaultdict(list)

    def keep(messages: list[Message]) -> None:
        for message in messages:
            by_id[dict(message.headers).get("ce_id", b"").decode()].append(message)

    await read_to_checkpoint(bootstrap, topic, keep, security=security)
    return by_id
