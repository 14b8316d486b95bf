"""Loading and recording judicial cases: the event stream, the read model and the timers
change together, in the caller's transaction.

Every change to a case takes one path, `execute`: load -> decide -> append -> project. A
clerk's step (api.py), intake's facts (consumers.py) and a clock running out (scheduler.py)
differ only in their decision."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.aggregate import Loaded, Repository
from shared.eventstore import EventContext, NewEvent, RecordedEvent
from shared.service import ServiceRuntime

from . import read_model, timers
from .events import STREAM_TYPE
from .state import State, evolve, initial


def case_repository(runtime: ServiceRuntime) -> Repository[State]:
    return Repository(runtime.store, stream_type=STREAM_TYPE, topic=runtime.events_topic,
                      initial=initial, evolve=evolve)


async def record(runtime: ServiceRuntime, conn: AsyncConnection, loaded: Loaded[State],
                 events: Sequence[NewEvent], context: EventContext,
                 ) -> tuple[State, list[RecordedEvent]]:
    """Append `events` after the loaded version and project them; nothing to do for none."""
    if not events:
        return loaded.state, []
    # Taken by `execute` before the load; again here for a caller that loaded on its own
    # (taking it twice in one transaction is harmless).
    await timers.lock_case(conn, loaded.stream_id)
    state, recorded = await case_repository(runtime).append(conn, loaded, events, context)
    # The events' own recorded time, not the clock: a replay of the log rebuilds the same row.
    await read_model.project(conn, state, recorded[-1].recorded_at)
    return state, recorded


Decide = Callable[[State], Sequence[NewEvent]]


async def execute(runtime: ServiceRuntime, conn: AsyncConnection, case_id: str,
                  decide: Decide, context: EventContext, *, must_exist: bool = True,
                  before_append: Callable[[Sequence[NewEvent]], Awaitable[None]] | None = None,
                  ) -> tuple[State, list[RecordedEvent]]:
    """Load the case, decide on its state, append the events and project them, in the
    caller's transaction. `must_exist` makes an unknown case a 404 (a clerk's step); a
    consumer or the scheduler decides on the empty state instead. `before_append` runs
    between the decision and the append (the scheduler marks its timer there, before the
    projection re-syncs the case's timers)."""
    # One lock order for every writer of a case: the case lock, then its timer rows (the
    # scheduler's claim, the projection's sync), then its stream (the append). Taken before
    # the load, so the decision is made on the state no other writer is changing.
    await timers.lock_case(conn, case_id)
    repo = case_repository(runtime)
    loaded = await (repo.load_existing(conn, case_id) if must_exist
                    else repo.load(conn, case_id))
    events = decide(loaded.state)
    if before_append is not None:
        await before_append(events)
    return await record(runtime, conn, loaded, events, context)
