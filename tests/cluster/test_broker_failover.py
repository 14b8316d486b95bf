"""A consumer that takes over a partition after a broker failover reads it (issue 16).

Seen in a cluster test: a broker was killed and restarted, its partitions' leadership moved,
and a consumer that then took over a partition in a rebalance asked the old leader for the
partition's first offset, got NotLeaderForPartition, and asked it again for minutes. aiokafka's
offset-reset path logs that error without refreshing its metadata (the Java client's KAFKA-9535),
so only the periodic refresh (metadata_max_age_ms, 5 minutes by default) ended the stall.
Runway's consumers refresh far more often (shared.messaging.kafka.METADATA_MAX_AGE_MS).

Only three brokers run here: this is about the Kafka client, not the services."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import NewTopic
from aiokafka.errors import ConsumerStoppedError

from shared.infra.cluster import Cluster
from shared.messaging.kafka import make_consumer, make_producer
from shared.retry import poll
from tests.cluster.brokers import brokers_only
from tests.support.infra import kafka_admin

pytestmark = pytest.mark.timeout(600)

# Partition 0 is led by broker 1, partition 1 by broker 2 (the first replica leads), so the
# broker killed below leads only the partition the leaving consumer held.
ASSIGNMENT = {0: [1, 3, 2], 1: [2, 3, 1]}
# Sized for a machine three times slower than a developer's, and well under the 5 minutes an
# unrefreshed consumer waited.
TAKEOVER_S = 120.0
SETTLE_S = 120.0


@pytest.fixture(scope="module")
async def brokers(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    async with brokers_only(Path(tmp_path_factory.mktemp("brokers")), "failover") as cluster:
        yield cluster


async def leader_of(bootstrap: str, topic: str, partition: int) -> int:
    async with kafka_admin(bootstrap, request_timeout_ms=5000) as admin:
        [described] = await admin.describe_topics([topic])
    return next(int(p["leader"]) for p in described["partitions"]
                if p["partition"] == partition)


async def create_topic(bootstrap: str, topic: str) -> None:
    async with kafka_admin(bootstrap, request_timeout_ms=10_000) as admin:
        await admin.create_topics([NewTopic(topic, num_partitions=-1, replication_factor=-1,
                                            replica_assignments=ASSIGNMENT)])


@contextlib.asynccontextmanager
async def polling(consumer: AIOKafkaConsumer, seen: list[tuple[int, bytes]]
                  ) -> AsyncIterator[None]:
    """The consumer polls in the background (as a service's consumer loop does), keeping
    what it reads in `seen`."""
    async def loop() -> None:
        while True:
            try:
                batches = await consumer.getmany(timeout_ms=200)
            except ConsumerStoppedError:  # the leaving consumer leaves the group
                return
            for tp, records in batches.items():
                seen.extend((tp.partition, record.value or b"") for record in records)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_partition_taken_over_after_its_leader_moved_is_read(brokers: Cluster
                                                                    ) -> None:
    bootstrap = brokers.layout.bootstrap
    topic = f"{brokers.layout.namespace}failover"
    group = f"{brokers.layout.namespace}failover-group"
    await create_topic(bootstrap, topic)
    staying = make_consumer(bootstrap, group, [topic])
    leaving = make_consumer(bootstrap, group, [topic])
    seen: list[tuple[int, bytes]] = []
    await staying.start()
    await leaving.start()
    try:
        async with polling(staying, seen), polling(leaving, []):
            async def split() -> bool:
                return len(staying.assignment()) == 1 and len(leaving.assignment()) == 1
            await poll(split, within=SETTLE_S, every=0.2,
                       what="the two consumers to share the two partitions")
            [taken_over] = leaving.assignment()
            old_leader = ASSIGNMENT[taken_over.partition][0]
            assert await leader_of(bootstrap, topic, taken_over.partition) == old_leader

            # The leader of the leaving consumer's partition dies and comes back: leadership
            # has moved, and the staying consumer's metadata still names the old leader.
            await brokers.kill_broker(old_leader)

            async def moved() -> bool:
                with contextlib.suppress(Exception):
                    return await leader_of(bootstrap, topic, taken_over.partition) not in (
                        old_leader, -1)
                return False
            await poll(moved, within=SETTLE_S, every=0.2, what=f"a new leader for {taken_over}")
            await brokers.restart_broker(old_leader)

            producer = make_producer(bootstrap, "failover-producer")
            await producer.start()
            try:
                await producer.send_and_wait(topic, b"after the failover",
                                             partition=taken_over.partition)
            finally:
                await producer.stop()

            await leaving.stop()

            async def read() -> bool:
                return (taken_over.partition, b"after the failover") in seen
            await poll(read, within=TAKEOVER_S, every=0.2,
                       what=f"the staying consumer to read {taken_over} after taking it over")
            assert staying.assignment() == {TopicPartition(topic, 0), TopicPartition(topic, 1)}
    finally:
        await staying.stop()
        await leaving.stop()
