"""Where an audit reads from: each service's event store, and the Kafka topics."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.db import Database, with_database
from shared.eventstore import RecordedEvent, schema
from shared.eventstore.store import EVENT_COLUMNS, row_to_event
from shared.messaging.topics import events_topic

SERVICES = ("intake", "judicial", "assurance", "transport", "court")


@dataclass(frozen=True)
class AuditTarget:
    """The installation under audit: a store per service and the Kafka cluster."""

    stores: dict[str, str]
    bootstrap: str
    namespace: str = ""

    @classmethod
    def from_server(cls, server_url: str, bootstrap: str, namespace: str = "",
                    services: tuple[str, ...] = SERVICES) -> AuditTarget:
        return cls({s: with_database(server_url, f"runway_{s}") for s in services},
                   bootstrap, namespace)

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


async def partition_ids(bootstrap: str, topic: str) -> list[int]:
    """A topic's partitions, asked of the cluster (a consumer's metadata can be stale)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [description] = await admin.describe_topics([topic])
        return sorted(p["partition"] for p in description.get("partitions", []))
    finally:
        await admin.close()


async def topic_messages(bootstrap: str, topic: str
                         ) -> dict[str, list[ConsumerRecord[bytes, bytes]]]:
    """Every message on a topic, from its first offset to the end now, by ce_id."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                isolation_level="read_committed")
    await consumer.start()
    by_id: dict[str, list[ConsumerRecord[bytes, bytes]]] = defaultdict(list)
    try:
        partitions = [TopicPartition(topic, p) for p in await partition_ids(bootstrap, topic)]
        if not partitions:
            return by_id
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            for tp, messages in batch.items():
                for message in messages:
                    ce_id = dict(message.headers).get("ce_id", b"").decode()
                    by_id[ce_id].append(message)
                if messages and messages[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
        return by_id
    finally:
        await consumer.stop()
