"""The scheduler: fires the timers whose clocks have run out.

Each due timer is handled in its own transaction: the timer row is locked, the case is
loaded and re-checked (`domain.decide_timer`), and either the lapse events are appended
(timer fired) or, if the clock was stopped meanwhile, the timer is cancelled. The loop polls
every SCHEDULER_INTERVAL_S against `runtime.clock`; tests call `run_due_timers` directly.

Timers are isolated from each other: if handling one raises (a corrupt stream, a bug), the
failure is logged with the timer and its case, counted on the row with the error, and the
timer is held back (exponential backoff, see timers.retry_delay) while the round goes on with
the other due timers, so one poison timer cannot block every later deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Sequence

from shared.eventstore import Actor, ConcurrencyConflict, EventContext, NewEvent
from shared.retry import retry_transient
from shared.service import BackgroundTask, ServiceRuntime

from . import timers
from .domain import TimerAction, TimerOutcome, decide_timer
from .persistence import execute
from .settings import settings_of
from .state import ClockKind, State

log = logging.getLogger("runway.judicial.scheduler")
SCHEDULER = Actor.system("judicial.scheduler")


async def run_due_timers(runtime: ServiceRuntime, *, limit: int = 500) -> int:
    """Handle every timer due at `runtime.clock.now()`; returns how many fired (recorded
    events). A timer whose case a clerk changed concurrently is retried on the next call."""
    now = runtime.clock.now()
    async with runtime.database.connect() as conn:
        due = await timers.due_ids(conn, now, limit,
                                   settings_of(runtime).backfill_grace)
    fired = 0
    for timer_id in due:
        try:
            # A deadlock or serialization failure rolled the timer's transaction back whole:
            # run it again at once rather than hold the timer back as a failure.
            fired += await retry_transient(functools.partial(_run_timer, runtime, timer_id))
        except ConcurrencyConflict as conflict:
            log.info("timer deferred: its case changed meanwhile",
                     extra={"timer_id": timer_id, "error": str(conflict)})
        except Exception as error:  # isolate each timer: recorded on its row, then go on
            await _record_failure(runtime, timer_id, error)
    return fired


async def _record_failure(runtime: ServiceRuntime, timer_id: int, error: Exception) -> None:
    now = runtime.clock.now()
    async with runtime.database.transaction() as conn:
        recorded = await timers.record_failure(conn, timer_id, f"{type(error).__name__}: "
                                               f"{error}", now)
    case_id, failures = recorded if recorded is not None else (None, 0)
    log.error("timer failed; held back and retried later, the other timers go on",
              exc_info=error, extra={"timer_id": timer_id, "case_id": case_id,
                                     "failures": failures})


async def _run_timer(runtime: ServiceRuntime, timer_id: int) -> bool:
    now = runtime.clock.now()
    async with runtime.command() as conn:
        # The case lock before the timer row (timers.lock_case): a case a clerk or another
        # scheduler is changing is left to the next round, never waited on with a row held.
        case_id = await timers.case_of(conn, timer_id)
        if case_id is None or not await timers.try_lock_case(conn, case_id):
            return False
        timer = await timers.claim(conn, timer_id)
        if timer is None:
            return False
        outcomes: list[TimerOutcome] = []

        def run_out(state: State) -> tuple[NewEvent, ...]:
            outcomes.append(decide_timer(state, ClockKind(timer.kind), now))
            return outcomes[-1].events

        async def mark(_events: Sequence[NewEvent]) -> None:
            # Before the append: the projection then re-syncs the case's timers and must
            # find this one handled, not pending (it would cancel a timer that fired).
            if outcomes[-1].action is not TimerAction.WAIT:
                await timers.mark(conn, timer_id, fired=outcomes[-1].action is TimerAction.FIRE,
                                  now=now)

        context = EventContext(SCHEDULER, causation_id=f"timer:{timer_id}")
        await execute(runtime, conn, timer.case_id, run_out, context, must_exist=False,
                      before_append=mark)
    fired = outcomes[-1].action is TimerAction.FIRE
    if fired:
        log.info("timer fired", extra={"case_id": timer.case_id, "kind": timer.kind})
    return fired


def scheduler_loop(runtime: ServiceRuntime) -> BackgroundTask:
    async def loop(stop: asyncio.Event) -> None:
        interval = settings_of(runtime).scheduler_interval_s
        while not stop.is_set():
            try:
                await run_due_timers(runtime)
            except Exception:
                # A database outage must not end the scheduler; the timers wait in the table.
                log.exception("scheduler round failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    return loop
