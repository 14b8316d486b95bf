"""Commit -> consumer latency (DB commit, relay, Kafka, ConsumerRuntime handler) against the
raw produce -> consume latency of plain aiokafka clients, measured in the same run."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.audit.sources import partition_ids
from shared.consumer import ConsumerRuntime
from shared.db import Database
from shared.eventstore import (
    NewEvent,
    RecordedEvent,
)
from shared.messaging.cloudevents import ConsumedEvent
from shared.messaging.kafka import make_consumer, make_producer
from shared.outbox import OutboxRelay
from tests.bench.common import (
    EVENT_TYPE,
    SOURCE,
    Cleanup,
    Config,
    CpuMeter,
    CpuSnapshot,
    _sleep_watching,
    append,
    config,
    contended,
    make_payloads,
    migrated_template,
    percentiles,
    ratio,
    say,
    stopwatch,
)
from tests.bench.kafka_raw import relay_records
from tests.support.infra import kafka_bootstrap, pg_server_url

# ------------------------------------------------------------------- commit -> consumer latency


class StampedRelay(OutboxRelay):
    """The real relay, noting when each event left the outbox query and when the broker had
    acknowledged its batch. Only observes: every step is the base class's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fetched: dict[uuid.UUID, float] = {}
        self.acked: dict[uuid.UUID, float] = {}
        self._event_of_row: dict[int, uuid.UUID] = {}

    async def _pending(self, in_flight: set[int]) -> list[Any]:
        rows = await super()._pending(in_flight)
        now = time.monotonic()
        for row in rows:
            self.fetched.setdefault(row.event_id, now)
            self._event_of_row[row.outbox_id] = row.event_id
        return rows

    async def _mark_published(self, acked: list[tuple[int, int, int]]) -> None:
        now = time.monotonic()
        for outbox_id, _, _ in acked:
            self.acked.setdefault(self._event_of_row.pop(outbox_id), now)
        await super()._mark_published(acked)



async def bench_latency(
    server: str, template: str, bootstrap: str, cfg: Config, cpu: CpuMeter,
    payloads: list[dict[str, Any]], cleanup: Cleanup, topic: str, dead_letters: str,
    *, events: int | None = None, runtime_class: type[ConsumerRuntime] = ConsumerRuntime,
) -> dict[str, Any]:
    writer_url = await cleanup.database(server, template)
    consumer_url = await cleanup.database(server, template)
    writer_db = Database(writer_url, pool_size=4)
    consumer_db = Database(consumer_url, pool_size=2)
    committed: dict[uuid.UUID, float] = {}
    handled: dict[uuid.UUID, float] = {}
    applied: dict[uuid.UUID, float] = {}
    total = cfg.latency_warmup_events + (events or cfg.latency_events)
    all_handled = asyncio.Event()
    offset_commits: list[float] = []

    async def handler(event: ConsumedEvent, conn: AsyncConnection) -> None:
        handled[event.event_id] = time.monotonic()
        if len(handled) >= total:
            all_handled.set()

    def on_applied(event: ConsumedEvent) -> None:
        applied[event.event_id] = time.monotonic()

    relay = StampedRelay(writer_db, lambda: make_producer(bootstrap, "bench-latency-relay"),
                         source=SOURCE, batch_size=1000, poll_interval=1.0)
    def consumer_factory() -> AIOKafkaConsumer:
        """make_consumer's consumer, with its offset commits timed."""
        consumer = make_consumer(bootstrap, f"bench-{topic}", [topic])
        commit = consumer.commit

        async def timed_commit(*args: Any, **kwargs: Any) -> Any:
            with stopwatch(offset_commits.append):
                return await commit(*args, **kwargs)

        consumer.commit = timed_commit
        return consumer

    runtime = runtime_class(
        name="bench-latency", database=consumer_db,
        consumer_factory=consumer_factory,
        producer_factory=lambda: make_producer(bootstrap, "bench-latency-consumer"),
        handlers={f"{EVENT_TYPE}.v1": handler}, dead_letter_topic=dead_letters,
        on_applied=on_applied,
    )
    stop = asyncio.Event()
    tasks = [asyncio.create_task(relay.run(stop)), asyncio.create_task(runtime.run(stop))]
    try:
        deadline = time.monotonic() + 60
        while not (relay.is_leader and runtime.assigned.is_set()):
            await _sleep_watching(tasks, 0.01)
            if time.monotonic() > deadline:
                raise TimeoutError("relay leadership or consumer assignment")
        await cpu.quiet()
        heads: dict[int, RecordedEvent] = {}
        run = uuid.uuid4().hex[:8]
        interval = 1.0 / cfg.latency_rate_per_s
        say(f"latency: appending {total} events at {cfg.latency_rate_per_s:.0f}/s "
            f"({cfg.latency_warmup_events} warm-up)")
        started = time.monotonic()
        measured_from = 0.0
        before: CpuSnapshot | None = None
        for i in range(total):
            if i == cfg.latency_warmup_events:
                measured_from, before = time.monotonic(), cpu.snap()
            delay = started + i * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            slot = i % cfg.latency_streams
            head = heads.get(slot)
            [recorded] = await append(
                writer_db, f"latency-{run}-{slot}", 0 if head is None else head.version,
                [NewEvent(EVENT_TYPE, payloads[i % len(payloads)])], topic,
                head_hash=None if head is None else head.hash)
            committed[recorded.event_id] = time.monotonic()
            heads[slot] = recorded
            for task in tasks:
                if task.done():
                    task.result()
        append_seconds = time.monotonic() - measured_from
        await asyncio.wait_for(all_handled.wait(), timeout=60)
        after = cpu.snap()
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        await writer_db.dispose()
        await consumer_db.dispose()
    measured = list(committed)[cfg.latency_warmup_events:]
    to_handler = [handled[e] - committed[e] for e in measured]
    to_applied = [applied[e] - committed[e] for e in measured if e in applied]
    assert before is not None
    return {
        "events": len(measured),
        "rate_per_s_achieved": round(len(measured) / append_seconds, 1),
        "commit_to_handler": percentiles(to_handler),
        "commit_to_consumer_db_commit": percentiles(to_applied),
        "breakdown": {
            "commit_to_relay_fetched": percentiles(
                [relay.fetched[e] - committed[e] for e in measured]),
            "relay_fetched_to_broker_acked": percentiles(
                [relay.acked[e] - relay.fetched[e] for e in measured]),
            "broker_acked_to_handler": percentiles(
                [handled[e] - relay.acked[e] for e in measured]),
            "note": ("relay stamps: rows returned by OutboxRelay._pending; acks at the start of "
                     "_mark_published, i.e. after every delivery of the batch resolved. A "
                     "negative acked->handler is a consumer that saw the message before the "
                     "whole relay batch was acknowledged."),
        },
        "kafka_offset_commit": percentiles(offset_commits),
        "consumer_runtime": runtime_class.__name__,
        "events_per_relay_batch": round(len(committed) / max(relay.stats.batches, 1), 2),
        "relay_batches": relay.stats.batches,
        "consumer_applied": runtime.stats.applied,
        "consumer_duplicates": runtime.stats.duplicates,
        "cpu": cpu.usage(before, after),
        "setup": ("one process: writer + OutboxRelay.run (woken by NOTIFY, poll 1 s) + "
                  "ConsumerRuntime (make_consumer) with its own database; 20 streams, "
                  "appends with expected_version and head_hash"),
    }


async def latency_experiments(
    server: str, template: str, bootstrap: str, cfg: Config, cpu: CpuMeter,
    payloads: list[dict[str, Any]], cleanup: Cleanup, topics: dict[str, str],
) -> dict[str, Any]:
    """The stock runtime again, on fresh databases and a fresh topic, with half the events of
    the headline run: how much the headline moves from run to run. (The background offset
    commit this experiment once measured is now the runtime's own behaviour.)"""
    runs: dict[str, Any] = {}
    events = max(cfg.latency_events // 2, 100)
    for name, runtime_class in (("repeat", ConsumerRuntime),):
        say(f"latency experiment {name}")
        runs[name] = await bench_latency(
            server, template, bootstrap, cfg, cpu, payloads, cleanup,
            topics[f"latency.{name}"], topics["latency.dlq"], events=events,
            runtime_class=runtime_class)
        say(f"  {json.dumps(runs[name]['commit_to_handler'])}")
    return {
        "summary": {name: {k: run["commit_to_handler"].get(k) for k in ("p50", "p90", "p99")}
                    | {"broker_acked_to_handler_p50":
                       run["breakdown"]["broker_acked_to_handler"].get("p50"),
                       "offset_commit_p50": run["kafka_offset_commit"].get("p50")}
                    for name, run in runs.items()},
        "runs": runs,
    }




async def raw_produce_to_consume(
    bootstrap: str, topic: str, cfg: Config, payloads: list[dict[str, Any]], cpu: CpuMeter,
) -> dict[str, Any]:
    """The baseline: make_producer's producer and a consumer with make_consumer's fetch
    settings (assigned every partition, no group), the relay's records, at the rate and count
    of the platform figure; each message timed from send to read."""
    producer = make_producer(bootstrap, "bench-raw-latency")
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                isolation_level="read_committed", max_poll_records=500,
                                fetch_max_wait_ms=100)
    total = cfg.latency_warmup_events + cfg.latency_events
    sent: dict[bytes, float] = {}
    received: dict[bytes, float] = {}
    await producer.start()
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in await partition_ids(bootstrap, topic)]
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        for partition in partitions:
            await consumer.position(partition)  # resolve the end now, before the first send

        async def read() -> None:
            while len(received) < total:
                batch = await consumer.getmany(timeout_ms=500)
                now = time.monotonic()
                for messages in batch.values():
                    for message in messages:
                        received.setdefault(message.key or b"", now)

        reading = asyncio.create_task(read())
        await cpu.quiet()
        before = cpu.snap()
        records = relay_records(payloads, topic)
        started, interval = time.monotonic(), 1.0 / cfg.latency_rate_per_s
        for i in range(total):
            delay = started + i * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing the load, as the platform figure does
            key, value, headers = records[i % len(records)]
            key = f"{key.decode()}-{i}".encode()
            sent[key] = time.monotonic()
            await producer.send(topic, value=value, key=key, headers=headers)
        await asyncio.wait_for(reading, timeout=60)
        after = cpu.snap()
    finally:
        await consumer.stop()
        await producer.stop()
    measured = list(sent)[cfg.latency_warmup_events:]
    return {"produce_to_consume": percentiles([received[k] - sent[k] for k in measured]),
            "cpu": cpu.usage(before, after),
            "setup": "make_producer + a read_committed consumer, fetch_max_wait_ms=100"}


async def main() -> dict[str, Any]:
    """Commit -> consumer p50 vs raw produce -> consume p50 (goal <= 3x)."""
    cfg, server, bootstrap, cpu = config(), pg_server_url(), kafka_bootstrap(), CpuMeter()
    cleanup = Cleanup(cpu)
    payloads = make_payloads(64, cfg.payload_bytes)
    details: dict[str, Any] = {}
    try:
        topics = await cleanup.create_topics(
            bootstrap, ["latency", "latency.dlq", "latency.raw", "latency.repeat"])
        details["raw"] = await raw_produce_to_consume(bootstrap, topics["latency.raw"], cfg,
                                                      payloads, cpu)
        say("raw produce -> consume: " + json.dumps(details["raw"]["produce_to_consume"]))
        async with migrated_template(server, cleanup) as template:
            details["latency"] = await bench_latency(
                server, template, bootstrap, cfg, cpu, payloads, cleanup, topics["latency"],
                topics["latency.dlq"])
            say("latency: " + json.dumps(details["latency"]["commit_to_handler"]))
            if cfg.experiments:
                details["experiments"] = await latency_experiments(
                    server, template, bootstrap, cfg, cpu, payloads, cleanup, topics)
    finally:
        await cleanup.run()
    platform = details["latency"]["commit_to_handler"]
    raw = details["raw"]["produce_to_consume"]
    return {
        "commit_to_consumer_latency_ms": {k: platform.get(k) for k in ("p50", "p90", "p99")},
        "raw_produce_to_consume_latency_ms": {k: raw.get(k) for k in ("p50", "p90", "p99")},
        "ratio_p50_vs_raw": ratio(platform.get("p50"), raw.get("p50")),
        "goal_ratio_at_most": 3.0,
        "contended_measurements": contended(details),
        "details": details,
    }
