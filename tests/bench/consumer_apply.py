"""Consumer apply rate: `python -m tests.bench.consumer_apply` prints one JSON document.

Measured in one run, on fresh databases and fresh topics (6 partitions, as Runway's own):
    raw_single_row_insert_per_s    the baseline: 8 asyncpg connections, each doing
                                   BEGIN; INSERT one row; COMMIT
    trivial_handler_per_s          the consumer runtime with a handler that does nothing, so
                                   what is measured is the runtime: fetch, parse, inbox claim,
                                   commit, offsets
    judicial_handler_per_s         judicial's real handler of intake.request_submitted: load
                                   the case, decide, append, project the read model
Each rate counts from the consumer's partition assignment to its last applied event; the
ratios divide it by the raw insert rate.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.judicial.consumers import REQUEST_SUBMITTED_V1, intake_handlers
from services.judicial.service import SPEC as JUDICIAL
from shared.consumer import ConsumerRuntime, Handler
from shared.db import Database, asyncpg_dsn
from shared.eventstore import Actor, GlobalPosition, RecordedEvent
from shared.jsoncanon import canonical_json
from shared.messaging.cloudevents import ConsumedEvent, to_kafka
from shared.messaging.kafka import make_consumer, make_producer
from shared.migrate import migrate
from tests.support.infra import (
    create_database,
    create_topics,
    drop_database,
    kafka_bootstrap,
    pg_server_url,
    unique_topic,
)
from tests.support.requests import request
from tests.support.service_app import started_runtime

TRIVIAL_EVENTS = int(os.environ.get("BENCH_CONSUMER_EVENTS", "20000"))
JUDICIAL_EVENTS = int(os.environ.get("BENCH_CONSUMER_JUDICIAL_EVENTS", "3000"))
RAW_ROWS = 4000
RAW_CONNECTIONS = 8
PARTITIONS = 6
POLL_S = 0.01


def say(message: str) -> None:
    print(f"[consumer bench] {message}", file=sys.stderr, flush=True)


async def raw_single_row_inserts(url: str) -> float:
    """Rows/s of single-row insert transactions over 8 plain asyncpg connections."""
    dsn = asyncpg_dsn(url)
    conns = [await asyncpg.connect(dsn) for _ in range(RAW_CONNECTIONS)]
    await conns[0].execute("CREATE TABLE raw_rows (event_id uuid PRIMARY KEY, "
                           "stream_id text NOT NULL, payload text NOT NULL)")

    async def worker(conn: asyncpg.Connection) -> None:
        for _ in range(RAW_ROWS // RAW_CONNECTIONS):
            async with conn.transaction():
                await conn.execute("INSERT INTO raw_rows VALUES ($1, $2, $3)",
                                   uuid.uuid4(), f"case-{uuid.uuid4().hex}", "x" * 200)

    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker(conn) for conn in conns))
    finally:
        for conn in conns:
            await conn.close()
    return RAW_ROWS / (time.perf_counter() - started)


async def publish_requests(bootstrap: str, topic: str, count: int) -> None:
    producer = make_producer(bootstrap, "bench-consumer-fill")
    await producer.start()
    try:
        sends = []
        for n in range(count):
            case_id = f"case-{n}-{uuid.uuid4().hex[:6]}"
            record = to_kafka(_recorded(case_id), topic=topic, key=case_id,
                              source="/runway/intake")
            sends.append(await producer.send(topic, value=record.value, key=record.key,
                                              headers=record.headers))
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


def _recorded(case_id: str) -> RecordedEvent:
    body = {"case_id": case_id, **request(given=f"Bench {case_id}")}
    now = datetime.now(UTC)
    return RecordedEvent(
        event_id=uuid.uuid4(), stream_id=case_id, stream_type="intake_case", version=1,
        event_type="intake.request_submitted", schema_version=1,
        payload_json=canonical_json(body), occurred_at=now, recorded_at=now,
        actor=Actor("bench-operator", "operator"), correlation_id=str(uuid.uuid4()),
        causation_id=None, prev_hash="0" * 64, hash="1" * 64, position=GlobalPosition(1, 1))


async def apply_rate(database: Database, bootstrap: str, handler: Handler, count: int,
                     label: str) -> dict[str, Any]:
    """Events/s the consumer runtime applies with `handler`, from assignment to the last."""
    topic = unique_topic(f"bench-{label}")
    await create_topics(bootstrap, [topic, f"{topic}.dlq"], partitions=PARTITIONS)
    await publish_requests(bootstrap, topic, count)
    runtime = ConsumerRuntime(
        name=f"bench-{label}", database=database,
        consumer_factory=lambda: make_consumer(bootstrap, f"bench-{topic}", [topic]),
        producer_factory=lambda: make_producer(bootstrap, f"bench-{label}"),
        handlers={REQUEST_SUBMITTED_V1: handler}, dead_letter_topic=f"{topic}.dlq")
    stop = asyncio.Event()
    running = asyncio.create_task(runtime.run(stop))
    try:
        await _until(lambda: runtime.assigned.is_set(), running)
        started = time.perf_counter()
        await _until(lambda: runtime.stats.applied >= count, running)
        seconds = time.perf_counter() - started
    finally:
        stop.set()
        await running
    say(f"{label}: {count} events in {seconds:.2f}s")
    return {"per_s": round(count / seconds, 1), "events": count, "seconds": round(seconds, 3),
            "dead_lettered": runtime.stats.dead_lettered}


async def _until(condition: Callable[[], bool], running: asyncio.Task[None]) -> None:
    deadline = time.monotonic() + 600
    while not condition():
        if running.done():
            running.result()
            raise RuntimeError("the consumer stopped before it was done")
        if time.monotonic() > deadline:
            raise TimeoutError("the consumer did not finish within 600 s")
        await asyncio.sleep(POLL_S)


async def _nothing(_event: ConsumedEvent, _conn: object) -> None:
    return None


async def _in_fresh_database(server: str, body: Callable[[str], Awaitable[Any]]) -> Any:
    url = await create_database(server)
    try:
        return await body(url)
    finally:
        await drop_database(server, url)


async def main() -> dict[str, Any]:
    server, bootstrap = pg_server_url(), kafka_bootstrap()
    raw = await _in_fresh_database(server, raw_single_row_inserts)
    say(f"raw single-row inserts: {raw:.0f}/s")

    async def trivial(url: str) -> dict[str, Any]:
        database = Database(url)
        try:
            await migrate(database, ())
            return await apply_rate(database, bootstrap, _nothing, TRIVIAL_EVENTS, "trivial")
        finally:
            await database.dispose()

    async def judicial(url: str) -> dict[str, Any]:
        runtime = await started_runtime(JUDICIAL, url, bootstrap)
        try:
            handler = intake_handlers(runtime)[REQUEST_SUBMITTED_V1]
            return await apply_rate(runtime.database, bootstrap, handler, JUDICIAL_EVENTS,
                                    "judicial")
        finally:
            await runtime.database.dispose()

    trivial_result = await _in_fresh_database(server, trivial)
    judicial_result = await _in_fresh_database(server, judicial)
    return {
        "raw_single_row_insert_per_s": round(raw, 1),
        "trivial_handler": trivial_result,
        "judicial_handler": judicial_result,
        "ratio_trivial_vs_raw_insert": round(trivial_result["per_s"] / raw, 2),
        "ratio_judicial_vs_raw_insert": round(judicial_result["per_s"] / raw, 2),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main()), indent=2))
