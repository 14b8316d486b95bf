"""One way to run a decision: load the case, decide, append, project, in the caller's
transaction (a command's, or a consumer's with its inbox row)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.aggregate import Repository, decide_and_record
from shared.eventstore import EventContext, NewEvent
from shared.service import ServiceRuntime

from . import read_model
from .state import AssuranceCase, evolve, initial

STREAM_TYPE = "assurance_case"

Decision = Callable[[AssuranceCase], list[NewEvent]]


def repository(runtime: ServiceRuntime) -> Repository[AssuranceCase]:
    return Repository(runtime.store, stream_type=STREAM_TYPE, topic=runtime.events_topic,
                      initial=initial, evolve=evolve)


async def run(runtime: ServiceRuntime, conn: AsyncConnection, case_id: str, decide: Decision,
              context: EventContext, *, must_exist: bool = True) -> AssuranceCase:
    """Returns the case after the decision; a RuleViolation leaves everything unwritten."""
    return await decide_and_record(repository(runtime), conn, case_id, decide, context,
                                   read_model.project, must_exist=must_exist)
