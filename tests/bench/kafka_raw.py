"""Raw aiokafka baselines: a plain idempotent acks=all producer and a plain consumer."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.jsoncanon import canonical_json
from shared.messaging.cloudevents import to_kafka
from tests.bench.common import (
    SOURCE,
    Config,
    CpuMeter,
    _sample_recorded_events,
    say,
)

# ------------------------------------------------------------------------------- Kafka: raw


async def bench_raw_produce(
    bootstrap: str, topic: str, cfg: Config, records: list[tuple[bytes, bytes, Any]],
    cpu: CpuMeter, **settings: Any,
) -> dict[str, Any]:
    """Plain idempotent acks=all producer: send everything, then await every delivery."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                enable_idempotence=True, **settings)
    await producer.start()
    try:
        async def burst(count: int) -> None:
            deliveries = []
            for i in range(count):
                key, value, headers = records[i % len(records)]
                deliveries.append(await producer.send(topic, value=value, key=key,
                                                      headers=headers))
            await asyncio.gather(*deliveries)

        await burst(cfg.raw_kafka_warmup_messages)
        await cpu.quiet()
        before = cpu.snap()
        await burst(cfg.raw_kafka_messages)
        after = cpu.snap()
    finally:
        await producer.stop()
    seconds = after.wall - before.wall
    return {"per_s": round(cfg.raw_kafka_messages / seconds, 1),
            "messages": cfg.raw_kafka_messages, "seconds": round(seconds, 3),
            "settings": {"acks": "all", "enable_idempotence": True, **settings},
            "cpu": cpu.usage(before, after)}


async def bench_raw_consume(
    bootstrap: str, topic: str, expected: int, cpu: CpuMeter, **settings: Any
) -> dict[str, Any]:
    """Plain consumer (no group) reading a topic from the beginning, timed from the first
    fetch to the last message; starting the client and loading metadata are the warm-up."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest", **settings)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p)
                      for p in sorted(consumer.partitions_for_topic(topic) or [])]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [TopicPartition(topic, p)
                          for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        await cpu.quiet()
        seen = 0
        before = cpu.snap()
        while seen < expected:
            batch = await consumer.getmany(timeout_ms=500, max_records=10_000)
            seen += sum(len(messages) for messages in batch.values())
            if time.monotonic() - before.wall > 120:
                raise TimeoutError(f"read {seen} of {expected} messages")
        after = cpu.snap()
    finally:
        await consumer.stop()
    seconds = after.wall - before.wall
    return {"per_s": round(seen / seconds, 1), "messages": seen,
            "seconds": round(seconds, 3), "settings": settings,
            "cpu": cpu.usage(before, after)}


async def bench_raw_kafka(
    bootstrap: str, cfg: Config, cpu: CpuMeter, payloads: list[dict[str, Any]],
    topics: dict[str, str],
) -> dict[str, Any]:
    plain = [(f"relay-case-{i:05d}".encode(), canonical_json(p).encode(), None)
             for i, p in enumerate(payloads)]
    result: dict[str, Any] = {}
    topic = topics["raw.defaults"]
    result["produce_defaults"] = await bench_raw_produce(bootstrap, topic, cfg, plain, cpu)
    say(f"raw produce (aiokafka defaults): {result['produce_defaults']['per_s']:.0f} msg/s")
    result["produce_relay_settings"] = await bench_raw_produce(
        bootstrap, topics["raw.relay_settings"], cfg, plain, cpu,
        linger_ms=2, max_batch_size=512 * 1024)
    say(f"raw produce (relay settings): {result['produce_relay_settings']['per_s']:.0f} msg/s")
    cloud = relay_records(payloads, topic)
    result["produce_relay_settings_cloudevents"] = await bench_raw_produce(
        bootstrap, topics["raw.cloudevents"], cfg, cloud, cpu,
        linger_ms=2, max_batch_size=512 * 1024)
    result["produce_relay_settings_cloudevents"]["note"] = (
        "pre-built relay records: same value and key plus CloudEvents headers")
    say("raw produce (relay settings, CloudEvents headers): "
        f"{result['produce_relay_settings_cloudevents']['per_s']:.0f} msg/s")
    total = cfg.raw_kafka_messages + cfg.raw_kafka_warmup_messages
    result["consume_defaults"] = await bench_raw_consume(bootstrap, topic, total, cpu)
    say(f"raw consume (aiokafka defaults): {result['consume_defaults']['per_s']:.0f} msg/s")
    # The settings shared.messaging.kafka.make_consumer gives ConsumerRuntime (no group here).
    result["consume_runtime_settings"] = await bench_raw_consume(
        bootstrap, topic, total, cpu, isolation_level="read_committed", max_poll_records=500,
        fetch_max_wait_ms=100)
    say("raw consume (make_consumer fetch settings): "
        f"{result['consume_runtime_settings']['per_s']:.0f} msg/s")
    return result




def relay_records(payloads: list[dict[str, Any]], topic: str) -> list[tuple[bytes, bytes, Any]]:
    """The relay's messages, pre-built: the same bytes plus ~1 KB of CloudEvents headers."""
    events = _sample_recorded_events(payloads)
    return [(r.key, r.value, r.headers) for r in
            (to_kafka(e, topic=topic, key=e.stream_id, source=SOURCE) for e in events)]
