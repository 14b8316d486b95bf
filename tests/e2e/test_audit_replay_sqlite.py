"""`runway audit replay` on the embedded SQLite default: the rebuild goes into fresh SQLite
files in a temporary folder (it once tried CREATE DATABASE on the SQLite file)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from services.intake.audit import REPLAY
from services.intake.events import REQUEST_SUBMITTED
from services.intake.service import SPEC
from shared.audit.replay import ReplayInput
from shared.audit.sources import stored_streams
from shared.clock import SystemClock
from shared.db import Database
from shared.eventstore import Actor, EventContext, EventStore, NewEvent
from shared.messaging.kafka import make_producer
from shared.messaging.topics import events_topic
from shared.migrate import migrate
from shared.outbox import OutboxRelay
from tests.support.infra import create_topics, fresh_namespace
from tests.support.requests import request

CASES = 5


async def intake_store_on_sqlite(url: str, topic: str, kafka: str) -> None:
    """An intake store file with a few requests, published to Kafka by the relay, and the
    live read models its service would have projected."""
    database = Database(url)
    store = EventStore(SystemClock())
    try:
        await migrate(database, SPEC.migrations)
        for index in range(CASES):
            case_id = f"RWY-S{index:07d}"
            async with database.transaction() as conn:
                await store.append(
                    conn, stream_id=case_id, stream_type="intake_case", expected_version=0,
                    events=[NewEvent(REQUEST_SUBMITTED, {"case_id": case_id,
                                                         **request(given=f"Lite {index}")})],
                    context=EventContext(Actor("tester", "operator")), topic=topic)
        relay = OutboxRelay(database, lambda: make_producer(kafka, "test-relay"),
                            source="/runway/intake")
        producer = make_producer(kafka, "test-relay")
        await producer.start()
        try:
            assert await relay.publish_pending(producer) == CASES
        finally:
            await producer.stop()
        streams = [s async for s in stored_streams(url)]
        live = ReplayInput("intake", {s[0].stream_id: s for s in streams},
                           [("intake", e) for s in streams for e in s])
        async with database.transaction() as conn:
            await REPLAY.rebuild(conn, live)
    finally:
        await database.dispose()


async def test_replay_on_sqlite_rebuilds_into_temporary_sqlite_files(
    tmp_path: Path, kafka: str
) -> None:
    namespace = fresh_namespace("lite")
    await create_topics(kafka, [events_topic("intake", namespace)])
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'intake.db'}"
    await intake_store_on_sqlite(url, events_topic("intake", namespace), kafka)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    for source in ("kafka", "stores"):
        process = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "runway"), "audit", "--bootstrap", kafka,
            "--namespace", namespace, f"--store=intake={url}", "replay", "--source", source,
            env={**os.environ, "TMPDIR": str(scratch)},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
        output = out.decode()
        assert process.returncode == 0, output
        assert f"replay from {source}: {CASES} events" in output, output
        assert "0 difference(s)" in output, output
    assert list(scratch.iterdir()) == [], "the rebuilt SQLite files were not removed"
