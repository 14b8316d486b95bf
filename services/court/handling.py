"""One way to run a decision: load the case, decide, append, project, in the caller's
transaction (a clerk's command, or a consumer's with its inbox row)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.aggregate import Repository
from shared.eventstore import EventContext, NewEvent
from shared.service import ServiceRuntime

from . import read_model
from .events import STREAM_TYPE
from .state import CourtCase, evolve, initial

Decision = Callable[[CourtCase], list[NewEvent]]


def repository(runtime: ServiceRuntime) -> Repository[CourtCase]:
    return Repository(runtime.store, stream_type=STREAM_TYPE, topic=runtime.events_topic,
                      initial=initial, evolve=evolve)


async def run(runtime: ServiceRuntime, conn: AsyncConnection, case_id: str, decide: Decision,
              context: EventContext, *, must_exist: bool = True) -> CourtCase:
    """Returns the case after the decision; a RuleViolation leaves everything unwritten."""
    repo = repository(runtime)
    loaded = await (repo.load_existing(conn, case_id) if must_exist
                    else repo.load(conn, case_id))
    decided = decide(loaded.state)
    if not decided:
        return loaded.state
    state, recorded = await repo.append(conn, loaded, decided, context)
    # The events' own recorded time, not the clock: a replay of the log rebuilds the same row.
    await read_model.project(conn, state, recorded[-1].recorded_at)
    return state
