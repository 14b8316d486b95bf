"""Judicial's lock order on PostgreSQL, and commands PostgreSQL rolls back for their timing.

The deadlock a chaos trial met (issue 16): the scheduler locked a timer row and then appended to
the case's stream, while a clerk's command appended and then updated the same timer row. Each
then waited for the other. Every writer of a case now takes one order: the case lock
(timers.lock_case), then its timer rows, then its stream. And a command that PostgreSQL still
rolls back with a deadlock or a serialization failure is run again (shared/web/transient.py):
the clerk gets the answer the command would have had, never a 500."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.judicial import read_model
from services.judicial import timers as timer_table
from services.judicial.events import STREAM_TYPE
from services.judicial.scheduler import run_due_timers
from shared.clock import ManualClock
from shared.eventstore import Actor, EventContext, NewEvent
from shared.retry import is_transient_database_error
from shared.service import ServiceRuntime
from tests.support.kafka_read import wait_for
from tests.support.people import as_v2
from tests.support.requests import request
from tests.support.service_app import feed, off_kafka

START = datetime(2026, 1, 2, 12, tzinfo=UTC)
DUE = datetime(2026, 3, 3, 12, tzinfo=UTC)  # day 60 of the provisional detention: timer due
# Generous for a machine three times slower than this one; nothing here is timed.
WAIT_S = 60.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def any_store_url(pg_url: str) -> str:
    """PostgreSQL only: SQLite takes its one write lock at BEGIN, so it has no lock order to
    get wrong, and no pg_locks to see a waiter in (the folder's `runtime` runs on this)."""
    return pg_url


async def detained_case(runtime: ServiceRuntime, client: httpx.AsyncClient,
                        clock: ManualClock) -> str:
    """A case in provisional detention since 2 Jan 2026, the clock moved to the day its
    timer falls due."""
    case_id = f"RWY-{uuid.uuid4().hex[:10].upper()}"
    consumed = off_kafka("intake", "intake.request_submitted",
                         as_v2({"case_id": case_id, **request()}), case_id, at=START,
                         schema_version=2)
    await feed(runtime, consumed)
    ordered = await client.post(f"/cases/{case_id}/provisional-detention",
                                json={"ordered_on": "2026-01-02"})
    assert ordered.status_code == 200, ordered.text
    clock.set(DUE)
    return case_id


async def pending_timer(runtime: ServiceRuntime, case_id: str) -> int:
    async with runtime.database.connect() as conn:
        ids = await timer_table.due_ids(conn, DUE, 10)
        found = [t for t in ids if await timer_table.case_of(conn, t) == case_id]
    assert len(found) == 1, found
    return found[0]


async def someone_waits_for_a_lock(runtime: ServiceRuntime) -> bool:
    async with runtime.database.connect() as conn:
        waiting = await conn.scalar(sa.text(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE NOT l.granted AND a.datname = current_database()"))
    return bool(waiting)


async def outcome(work: Awaitable[Any]) -> BaseException | None:
    """None when `work` went through, else the error it ended with."""
    try:
        await work
    except Exception as error:
        return error
    return None


async def event_types(runtime: ServiceRuntime, case_id: str) -> list[str]:
    async with runtime.database.connect() as conn:
        rows = await conn.execute(sa.text(
            "SELECT event_type FROM events WHERE stream_id = :c ORDER BY version"),
            {"c": case_id})
        return [row.event_type for row in rows]


async def test_the_two_old_lock_orders_deadlock(
    runtime: ServiceRuntime, client: httpx.AsyncClient, clock: ManualClock,
) -> None:
    """The hazard, shown with the old orders step by step: the clerk appends (it now owns the
    stream's next version), the scheduler locks the timer row, the clerk goes for the timer
    row and the scheduler for the stream's next version. PostgreSQL finds the cycle and rolls
    one of them back with `deadlock detected`."""
    case_id = await detained_case(runtime, client, clock)
    timer_id = await pending_timer(runtime, case_id)
    async with runtime.database.connect() as conn:
        version = await runtime.store.stream_version(conn, case_id)
    context = EventContext(Actor.system("lock-order-test"))

    def append(conn: AsyncConnection, event_type: str) -> Awaitable[Any]:
        return runtime.store.append(conn, stream_id=case_id, stream_type=STREAM_TYPE,
                                    expected_version=version, context=context, topic=None,
                                    events=[NewEvent(event_type, {})])

    async with runtime.database.engine.connect() as clerk, \
            runtime.database.engine.connect() as scheduler:
        await clerk.begin()
        await scheduler.begin()
        await append(clerk, "test.clerk_step")                       # clerk: stream ...
        await scheduler.execute(sa.select(timer_table.timers.c.id)   # scheduler: timer row ...
                                .where(timer_table.timers.c.id == timer_id).with_for_update())
        clerk_update = asyncio.create_task(outcome(clerk.execute(    # ... clerk: timer row
            timer_table.timers.update().where(timer_table.timers.c.id == timer_id)
            .values(cancelled_at=DUE))))
        await wait_for(lambda: someone_waits_for_a_lock(runtime), timeout=WAIT_S,
                       what="the clerk to wait for the scheduler's timer row")
        scheduler_append = outcome(append(scheduler, "test.timer_fired"))  # ... stream
        errors = await asyncio.wait_for(asyncio.gather(scheduler_append, clerk_update),
                                        timeout=WAIT_S)
        await clerk.rollback()
        await scheduler.rollback()
    deadlocks = [e for e in errors if e is not None and is_transient_database_error(e)]
    assert len(deadlocks) == 1, errors
    assert "deadlock" in str(deadlocks[0]), deadlocks[0]



async def test_a_scheduler_holding_a_timer_and_a_clerk_never_deadlock(
    runtime: ServiceRuntime, client: httpx.AsyncClient, clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The scheduler has claimed the due timer (the case lock, then the timer row) and is held
    there. A second scheduler leaves the case alone; the clerk's formal request waits for the
    case lock before it reads the case. Released, the scheduler records the lapse; the clerk's
    command then decides on the case as it now stands and answers normally: the request was
    received on 2 Mar, the day before the deadline, so it stops the clock and records the
    lapse void (`provisional_lapse_voided`)."""
    case_id = await detained_case(runtime, client, clock)
    claimed, release = asyncio.Event(), asyncio.Event()
    real_claim = timer_table.claim

    async def held_claim(conn: AsyncConnection, timer_id: int) -> Any:
        timer = await real_claim(conn, timer_id)
        if timer is not None and timer.case_id == case_id and not release.is_set():
            claimed.set()
            await release.wait()
        return timer

    monkeypatch.setattr(timer_table, "claim", held_claim)
    scheduler = asyncio.create_task(run_due_timers(runtime))
    await asyncio.wait_for(claimed.wait(), timeout=WAIT_S)
    assert await asyncio.wait_for(run_due_timers(runtime), timeout=WAIT_S) == 0
    clerk = asyncio.create_task(client.post(f"/cases/{case_id}/formal-request",
                                            json={"received_on": "2026-03-02"}))
    await wait_for(lambda: someone_waits_for_a_lock(runtime), timeout=WAIT_S,
                   what="the clerk to wait for the case lock")
    release.set()
    assert await asyncio.wait_for(scheduler, timeout=WAIT_S) == 1
    answer = await asyncio.wait_for(clerk, timeout=WAIT_S)

    assert answer.status_code == 200, answer.text
    recorded = await event_types(runtime, case_id)
    assert recorded.count("judicial.provisional_detention_lapsed") == 1, recorded
    assert recorded[-2:] == ["judicial.formal_request_received",
                             "judicial.provisional_lapse_voided"], recorded
    assert answer.json()["version"] == len(recorded)


async def test_a_clerk_holding_the_case_and_the_scheduler_never_deadlock(
    runtime: ServiceRuntime, client: httpx.AsyncClient, clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The other way round, the interleaving that deadlocked: the clerk has appended its formal
    request and is held before it updates the timer row. The scheduler, due on that row,
    finds the case locked and leaves it to its next round; the clerk's command stops the clock
    and the timer is cancelled, not fired."""
    case_id = await detained_case(runtime, client, clock)
    appended, release = asyncio.Event(), asyncio.Event()
    real_sync = timer_table.sync

    async def held_sync(conn: AsyncConnection, state: Any, now: datetime) -> None:
        if state.case_id == case_id and not release.is_set():
            appended.set()
            await release.wait()
        await real_sync(conn, state, now)

    monkeypatch.setattr(timer_table, "sync", held_sync)
    clerk = asyncio.create_task(client.post(f"/cases/{case_id}/formal-request",
                                            json={"received_on": "2026-03-02"}))
    await asyncio.wait_for(appended.wait(), timeout=WAIT_S)
    assert await asyncio.wait_for(run_due_timers(runtime), timeout=WAIT_S) == 0
    release.set()
    answer = await asyncio.wait_for(clerk, timeout=WAIT_S)

    assert answer.status_code == 200, answer.text
    assert await run_due_timers(runtime) == 0
    async with runtime.database.connect() as conn:
        rows = await timer_table.for_case(conn, case_id)
    assert [(r["kind"], r["fired_at"], r["failures"]) for r in rows] == \
        [("provisional_detention", None, 0)]
    assert rows[0]["cancelled_at"] is not None


async def raise_sqlstate(conn: AsyncConnection, code: str) -> None:
    """A real PostgreSQL error with the given SQLSTATE, raised inside the command's own
    transaction: it reaches the service as a true deadlock or serialization failure does."""
    await conn.execute(sa.text(
        f"DO $$ BEGIN RAISE EXCEPTION 'forced by the test' USING ERRCODE = '{code}'; "
        "END $$"))


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"],
                         ids=["deadlock_detected", "serialization_failure"])
async def test_a_command_rolled_back_for_its_timing_answers_its_normal_result(
    runtime: ServiceRuntime, client: httpx.AsyncClient, clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch, sqlstate: str,
) -> None:
    """The clerk's command is rolled back twice by PostgreSQL after its append; it is run
    again and answers 200 with its one event, recorded once."""
    case_id = await detained_case(runtime, client, clock)
    before = await event_types(runtime, case_id)
    failures = {"left": 2}
    real_project = read_model.project

    async def failing_project(conn: AsyncConnection, state: Any, now: datetime,
                              opened_at: datetime | None = None) -> None:
        if state.case_id == case_id and failures["left"]:
            failures["left"] -= 1
            await raise_sqlstate(conn, sqlstate)
        await real_project(conn, state, now, opened_at)

    monkeypatch.setattr(read_model, "project", failing_project)
    answer = await client.post(f"/cases/{case_id}/formal-request",
                               json={"received_on": "2026-03-02"})

    assert answer.status_code == 200, answer.text
    assert failures["left"] == 0
    assert answer.json()["version"] == len(before) + 1
    assert await event_types(runtime, case_id) == [*before, "judicial.formal_request_received"]


async def test_a_command_the_database_keeps_rolling_back_is_a_503_not_a_500(
    runtime: ServiceRuntime, client: httpx.AsyncClient, clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Should the failures not stop, after a few attempts the clerk is told to send the
    command again (503, Retry-After) and nothing of it is recorded."""
    case_id = await detained_case(runtime, client, clock)
    before = await event_types(runtime, case_id)

    async def always_deadlocked(conn: AsyncConnection, *_args: Any, **_kwargs: Any) -> None:
        await raise_sqlstate(conn, "40P01")

    monkeypatch.setattr(read_model, "project", always_deadlocked)
    answer = await client.post(f"/cases/{case_id}/formal-request",
                               json={"received_on": "2026-03-02"})

    assert answer.status_code == 503, answer.text
    assert answer.json()["error"] == "busy"
    assert answer.headers["retry-after"] == "1"
    assert await event_types(runtime, case_id) == before
