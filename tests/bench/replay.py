"""Audit replay rate: `python -m tests.bench.replay` prints one JSON document.

Fills a fresh intake store with a case history (a request and amendments per case), publishes
it with the real outbox relay to a fresh topic, then measures in the same run:
    replay_from_kafka_events_per_s    `runway audit replay --source kafka` (read, parse,
                                      rebuild intake's read models, compare with the live ones)
    replay_from_stores_events_per_s   the same from the event store
    raw_aiokafka_consume_per_s        a plain AIOKafkaConsumer reading the same topic
so the replay figures read as ratios of the raw consume rate. `rebuild_*` counts reading and
rebuilding (what the 20,000 events/s target is about); `replay_*` adds creating the fresh
database and comparing every row with the live read model.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.intake.audit import REPLAY
from services.intake.events import CHARGES_AMENDED, REQUEST_SUBMITTED
from services.intake.service import SPEC
from shared.audit.replay import ReplayInput, replay
from shared.audit.sources import AuditTarget, partition_ids, stored_streams
from shared.clock import SystemClock
from shared.db import Database
from shared.eventstore import Actor, EventContext, EventStore, NewEvent
from shared.messaging.kafka import make_producer
from shared.migrate import migrate
from shared.outbox import OutboxRelay
from tests.support.infra import (
    create_database,
    create_topics,
    drop_database,
    kafka_bootstrap,
    pg_server_url,
)
from tests.support.requests import charge, request

CASES = int(os.environ.get("BENCH_REPLAY_CASES", "4000"))
AMENDMENTS = 4  # events per case: 1 request + 4 amendments
TARGET = 20_000.0


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def case_events(case_id: str) -> list[NewEvent]:
    body = request(capital=True, given=f"Bench {case_id}")
    submitted = {"case_id": case_id, **body}
    events = [NewEvent(REQUEST_SUBMITTED, submitted)]
    for n in range(AMENDMENTS):
        charges = [charge("c1"), *[charge(f"x{i}") for i in range(n + 1)]]
        events.append(NewEvent(CHARGES_AMENDED, {"case_id": case_id, "charges": charges,
                                                 "reason": f"amendment {n + 1}"}))
    return events


async def fill(url: str, topic: str, bootstrap: str) -> int:
    database = Database(url, pool_size=8)
    store = EventStore(SystemClock())
    context = EventContext(Actor("bench", "operator"))
    try:
        await migrate(database, SPEC.migrations)

        async def one(index: int) -> None:
            case_id = f"RWY-B{index:07d}"
            async with database.transaction() as conn:
                await store.append(conn, stream_id=case_id, stream_type="intake_case",
                                   expected_version=0, events=case_events(case_id),
                                   context=context, topic=topic)

        for start in range(0, CASES, 50):
            await asyncio.gather(*(one(i) for i in range(start, min(CASES, start + 50))))
        relay = OutboxRelay(database, lambda: make_producer(bootstrap, "bench-relay"),
                            source="/runway/intake", batch_size=2000)
        producer = make_producer(bootstrap, "bench-relay")
        await producer.start()
        try:
            while await relay.publish_pending(producer):
                pass
        finally:
            await producer.stop()
        await project_live(database)
        return CASES * (1 + AMENDMENTS)
    finally:
        await database.dispose()


async def project_live(database: Database) -> None:
    """The read models the intake service would have built (no service runs in the bench)."""
    streams = [s async for s in stored_streams(database.url)]
    data = ReplayInput("intake", {s[0].stream_id: s for s in streams},
                       sorted((("intake", e) for s in streams for e in s),
                              key=lambda p: (p[1].recorded_at, str(p[1].event_id))))
    async with database.transaction() as conn:
        await REPLAY.rebuild(conn, data)


async def raw_consume(bootstrap: str, topic: str, expected: int) -> float:
    partitions = [TopicPartition(topic, p) for p in await partition_ids(bootstrap, topic)]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                max_partition_fetch_bytes=8 << 20, fetch_max_bytes=64 << 20)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        started, seen = time.perf_counter(), 0
        while seen < expected:
            batch = await consumer.getmany(timeout_ms=1000, max_records=20_000)
            seen += sum(len(m) for m in batch.values())
        return seen / (time.perf_counter() - started)
    finally:
        await consumer.stop()


async def main() -> dict[str, Any]:
    server, bootstrap = pg_server_url(), kafka_bootstrap()
    namespace = f"bench{uuid.uuid4().hex[:8]}"
    target_topic = f"{namespace}.runway.intake.events"
    await create_topics(bootstrap, [target_topic])
    url = await create_database(server)
    try:
        say(f"filling {CASES} cases ({CASES * (1 + AMENDMENTS)} events)")
        events = await fill(url, target_topic, bootstrap)
        target = AuditTarget({"intake": url}, bootstrap, namespace)
        raw = await raw_consume(bootstrap, target_topic, events)
        say(f"raw consume {raw:,.0f}/s")
        results: dict[str, float] = {}
        phases: dict[str, dict[str, float]] = {}
        for source in ("kafka", "stores"):
            report = await replay(target, {"intake": REPLAY}, url, source=source)
            if report.errors:
                raise AssertionError(f"replay found differences: {report.errors[:3]}")
            results[source] = report.events / report.seconds
            rebuild_s = report.phases["read"] + report.phases["rebuild"]
            results[f"{source}_rebuild"] = report.events / rebuild_s
            phases[source] = {k: round(v, 3) for k, v in report.phases.items()}
            say(f"replay from {source}: {results[source]:,.0f} events/s")
        return {
            "events": events,
            "replay_from_kafka_events_per_s": round(results["kafka"]),
            "replay_from_stores_events_per_s": round(results["stores"]),
            "rebuild_from_kafka_events_per_s": round(results["kafka_rebuild"]),
            "rebuild_from_stores_events_per_s": round(results["stores_rebuild"]),
            "phase_seconds": phases,
            "raw_aiokafka_consume_per_s": round(raw),
            "ratios": {"replay_kafka_vs_raw_consume": round(results["kafka"] / raw, 3),
                       "rebuild_kafka_vs_raw_consume": round(results["kafka_rebuild"] / raw, 3),
                       "replay_stores_vs_raw_consume": round(results["stores"] / raw, 3)},
            "targets": {"rebuild_from_kafka_events_per_s": TARGET},
            "meets_target": {"rebuild_from_kafka_events_per_s": results["kafka_rebuild"] >= TARGET},
        }
    finally:
        await drop_database(server, url)


if __name__ == "__main__":
    print(json.dumps({"replay": asyncio.run(main())}, indent=2))
