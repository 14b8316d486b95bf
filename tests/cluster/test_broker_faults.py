"""A chaos broker fault is recovered only once the broker is whole again, and a cluster is
not started over one left running on its ports. Three real KRaft brokers, no services.

The tests share one cluster and run in order: each leaves it whole."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.chaos.faults import Injector
from shared.infra.cluster import Cluster
from shared.messaging.kafka import make_consumer, make_producer
from shared.messaging.topics import events_topic
from tests.cluster.brokers import brokers_only
from tests.support.infra import kafka_admin

pytestmark = pytest.mark.timeout(900)

# Sized for a machine three times slower than a developer's.
SEND_S = 120.0


@pytest.fixture(scope="module")
async def brokers(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    async with brokers_only(Path(tmp_path_factory.mktemp("broker-faults")), "faults",
                            topics=True) as cluster:
        yield cluster


async def _use_a_consumer_group(cluster: Cluster) -> None:
    """An event written and its offset committed: __consumer_offsets exists, as in a run."""
    topic = events_topic("intake", cluster.layout.namespace)
    producer = make_producer(cluster.layout.bootstrap, "broker-faults")
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"an event", key=b"k")
    finally:
        await producer.stop()
    consumer = make_consumer(cluster.layout.bootstrap, f"{cluster.layout.namespace}.faults",
                             [topic])
    await consumer.start()
    try:
        read = await consumer.getmany(timeout_ms=int(SEND_S * 1000))
        assert sum(len(records) for records in read.values()) == 1
        await consumer.commit()
    finally:
        await consumer.stop()


async def test_a_broker_fault_recovers_once_the_broker_is_back_in_every_isr(
        brokers: Cluster) -> None:
    await _use_a_consumer_group(brokers)
    injector = Injector(brokers, postgres=None, say=print)  # type: ignore[arg-type]
    victim = brokers.layout.brokers[0]
    await injector.broker_fault(victim.node_id)
    # What "recovered" promises, asked the moment it was reported.
    assert await brokers.serves(victim), (
        f"broker fault reported recovered while broker {victim.node_id} did not answer on "
        f"its port {victim.port} or was not registered")
    assert await injector.fully_replicated(), "recovered with an ISR still short"
    described = await _isr_sizes(brokers)
    assert described["__consumer_offsets"] == {3}, described


async def _isr_sizes(cluster: Cluster) -> dict[str, set[int]]:
    async with kafka_admin(cluster.layout.bootstrap) as admin:
        topics = await admin.describe_topics(["__consumer_offsets"])
    return {t["topic"]: {len(p["isr"]) for p in t["partitions"]} for t in topics}


async def test_a_second_cluster_on_the_same_ports_is_refused(brokers: Cluster) -> None:
    # `brokers` stands for what a killed `make cluster` left running (same root, ports).
    second = Cluster(brokers.layout, database_url=lambda service: "")
    try:
        with pytest.raises(RuntimeError, match=r"already in use.*make cluster-down"):
            await second.start_brokers()
    finally:
        await second.stop()  # whatever it did start, however this test failed
    assert second.brokers == {}, "brokers were started on ports already in use"
    assert await brokers.live_brokers() == 3
