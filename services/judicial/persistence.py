"""Loading and recording judicial cases: the event stream, the read model and the timers
change together, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence

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
    # One lock order for every writer of a case: its timer rows, then its stream. The
    # scheduler locks a timer row before it appends; a clerk that appended first and then
    # updated the same row (timers.sync) deadlocked with it.
    await timers.lock_case(conn, loaded.stream_id)
    state, recorded = await case_repository(runtime).append(conn, loaded, events, context)
    # The events' own recorded time, not the clock: a replay of the log rebuilds the same row.
    await read_model.project(conn, state, recorded[-1].recorded_at)
    return state, recorded
