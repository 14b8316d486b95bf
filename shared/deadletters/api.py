"""HTTP routes of dead letters, on every service that consumes (its ServiceSpec's routers are
`with_dead_letters(routes)`):

    GET  /dead-letters[?status=waiting]      the operator's work list
    GET  /dead-letters/{id}                  one letter, with the message as it was read
    POST /dead-letters/{id}/redrive          replay it through its consumer (409 if it fails)
    POST /dead-letters/{id}/discard          resolve it unapplied, with a mandatory reason

Who may call them is shared/security/permissions.yaml's (the `operations` role re-drives and
discards; auditors read).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import Field

from shared.errors import NotFound
from shared.service import ServiceRuntime
from shared.web.actor import Context
from shared.web.params import Limit, Offset
from shared.web.requests import RequestBody
from shared.web.responses import IsoInstant, ResponseBody

from . import redrive as decisions
from . import store
from .schema import DeadLetterStatus

LetterId = Annotated[int, Path(ge=1, le=2**62, description="the dead letter's id")]


class Origin(ResponseBody):
    topic: str
    partition: int
    offset: int


class DeadLetter(ResponseBody):
    id: int
    consumer: str
    origin: Origin
    event_id: str | None
    ce_type: str | None
    case_id: str | None
    error_type: str
    error_message: str
    attempts: int = Field(description="handler attempts, re-drives included")
    failed_at: IsoInstant = Field(description="the last failure")
    status: DeadLetterStatus
    resolved_at: IsoInstant | None
    resolved_by: str | None
    note: str | None = Field(description="why it was discarded, or what its re-drive did")


class StoredMessage(ResponseBody):
    key: str | None
    headers: list[dict[str, str]] = Field(description="name and text (or base64) of each")
    value: str | None


class DeadLetterDetail(DeadLetter):
    message: StoredMessage


class DeadLetterList(ResponseBody):
    dead_letters: list[DeadLetter]
    count: int


class RedriveResult(ResponseBody):
    outcome: str = Field(description="applied, already_applied (the inbox held the event), "
                                     "ignored, or already_redriven (nothing done)")
    dead_letter: DeadLetter


class DiscardBody(RequestBody):
    reason: str = Field(min_length=3, max_length=2000,
                        description="why the message is not to be applied (kept on the row)")


def _runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


async def _summary(runtime: ServiceRuntime, letter_id: int) -> dict[str, Any]:
    async with runtime.database.connect() as conn:
        found = await store.show(conn, letter_id)
    if found is None:
        raise NotFound("dead letter", str(letter_id))
    found.pop("message")
    return found


def dead_letter_routes() -> APIRouter:
    router = APIRouter(tags=["dead letters"])

    @router.get("/dead-letters", summary="Dead-lettered messages, optionally by status",
                response_model=DeadLetterList)
    async def list_dead_letters(
        request: Request,
        status: Annotated[DeadLetterStatus | None, Query()] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        async with _runtime(request).database.connect() as conn:
            found = await store.list_letters(conn, status, limit, offset)
        return {"dead_letters": found, "count": len(found)}

    @router.get("/dead-letters/{letter_id}", summary="A dead letter and its message",
                response_model=DeadLetterDetail)
    async def show_dead_letter(letter_id: LetterId, request: Request) -> dict[str, Any]:
        async with _runtime(request).database.connect() as conn:
            found = await store.show(conn, letter_id)
        if found is None:
            raise NotFound("dead letter", str(letter_id))
        return found

    @router.post("/dead-letters/{letter_id}/redrive",
                 summary="Replay a dead letter through its consumer (once the cause is fixed)",
                 response_model=RedriveResult)
    async def redrive_dead_letter(letter_id: LetterId, request: Request,
                                  context: Context) -> dict[str, Any]:
        runtime = _runtime(request)
        done = await decisions.redrive(runtime, letter_id, context.actor.subject)
        return {"outcome": done.outcome, "dead_letter": await _summary(runtime, letter_id)}

    @router.post("/dead-letters/{letter_id}/discard",
                 summary="Resolve a dead letter without applying it, with a reason",
                 response_model=DeadLetter)
    async def discard_dead_letter(letter_id: LetterId, body: DiscardBody, request: Request,
                                  context: Context) -> dict[str, Any]:
        runtime = _runtime(request)
        await decisions.discard(runtime, letter_id, context.actor.subject, body.reason)
        return await _summary(runtime, letter_id)

    return router


def with_dead_letters(
    routers: Callable[[ServiceRuntime], Sequence[APIRouter]],
) -> Callable[[ServiceRuntime], Sequence[APIRouter]]:
    """A service's routers plus the dead-letter routes, for a service whose consumers can
    dead-letter a message."""
    def all_routers(runtime: ServiceRuntime) -> Sequence[APIRouter]:
        return [*routers(runtime), dead_letter_routes()]

    return all_routers
