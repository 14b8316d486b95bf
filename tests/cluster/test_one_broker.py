"""`make cluster BROKERS=1`: one real KRaft broker whose internal topics it can hold, so a
consumer group finds its coordinator and reads what was written (with the three-broker
settings, __consumer_offsets could never be created and no group ever read anything)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from shared.messaging.kafka import make_consumer, make_producer
from shared.messaging.topics import events_topic
from shared.retry import poll
from tests.cluster.brokers import brokers_only

pytestmark = pytest.mark.timeout(600)

# Sized for a machine three times slower than a developer's.
READ_S = 120.0
ATTEMPT_S = 30.0


async def test_a_consumer_group_reads_on_a_one_broker_cluster(tmp_path: Path) -> None:
    async with brokers_only(tmp_path, "one", count=1, topics=True) as cluster:
        bootstrap, namespace = cluster.layout.bootstrap, cluster.layout.namespace
        topic = events_topic("intake", namespace)
        producer = make_producer(bootstrap, "one-broker")
        await producer.start()
        try:
            # min.insync.replicas above the brokers there are refuses it for ever
            await asyncio.wait_for(producer.send_and_wait(topic, b"an event", key=b"k"),
                                   READ_S)
        finally:
            await producer.stop()
        consumer = make_consumer(bootstrap, f"{namespace}.judicial", [topic])
        read: list[bytes | None] = []

        async def has_read() -> bool:
            try:  # without a coordinator a fetch may never return: bound each one
                batches = await asyncio.wait_for(consumer.getmany(timeout_ms=1000), ATTEMPT_S)
            except TimeoutError:
                return False
            read.extend(r.value for records in batches.values() for r in records)
            return bool(read)

        await consumer.start()
        try:
            await poll(has_read, within=READ_S, every=0.1,
                       what="a consumer group on the one-broker cluster to read the event")
        finally:
            await consumer.stop()
        assert read == [b"an event"]
