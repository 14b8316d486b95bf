"""Kafka handlers: intake's request and charges, judicial's surrender terms, and transport's
landings drive the case up to its intake record.

Each runs in the consumer's transaction with its inbox row, so a redelivered event has no
second effect; the decisions are idempotent on their own too. A landing (or an amendment)
for a case whose request has not been applied yet raises, so the consumer retries it and
dead-letters it if the request never comes: the court never guesses the charges.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.consumer import Handler
from shared.eventstore import Actor, NewEvent
from shared.messaging.cloudevents import ConsumedEvent
from shared.pii.consume import personal_data_handlers
from shared.service import ConsumerSpec, ServiceRuntime

from . import arrival, handling, inputs
from .state import CourtCase

SERVICE_ACTOR = Actor.system("court")


class _Input(Protocol):
    @property
    def case_id(self) -> str: ...


T = TypeVar("T", bound=_Input)


def _noting(runtime: ServiceRuntime, read: Callable[[ConsumedEvent], T],
            note: Callable[[CourtCase, T, datetime], list[NewEvent]]) -> Handler:
    """A handler that reads what the event says and notes it on its case at the clock's now
    (the case may not exist yet: the first event of any source opens it)."""
    async def handle(event: ConsumedEvent, conn: AsyncConnection) -> None:
        item = read(event)
        now = runtime.clock.now()
        await handling.run(runtime, conn, item.case_id, lambda s: note(s, item, now),
                           event.caused(SERVICE_ACTOR), must_exist=False)

    return handle


def intake_handlers(runtime: ServiceRuntime) -> dict[str, Handler]:
    on_request = _noting(runtime, inputs.intake_request, arrival.note_request)
    # Both versions of the request; each also puts the name to show in person_names (opened
    # with the person's key), and an erasure blanks it (shared/pii/consume.py).
    return {**personal_data_handlers(on_request, lambda: runtime.pii),
            **dict.fromkeys(inputs.amendment_readers.types(),
                            _noting(runtime, inputs.amendment_readers.read,
                                    arrival.note_amendment))}


def judicial_handler(runtime: ServiceRuntime) -> Handler:
    return _noting(runtime, inputs.terms_readers.read, arrival.note_terms)


def transport_handler(runtime: ServiceRuntime) -> Handler:
    async def on_landed(event: ConsumedEvent, conn: AsyncConnection) -> None:
        landing = inputs.landing_readers.read(event)
        await handling.run(runtime, conn, landing.case_id,
                           lambda s: arrival.open_intake(s, landing), event.caused(SERVICE_ACTOR),
                           must_exist=False)

    return on_landed


def consumers(runtime: ServiceRuntime) -> Sequence[ConsumerSpec]:
    return [
        ConsumerSpec.of_events(runtime, "intake", intake_handlers(runtime)),
        ConsumerSpec.of_events(runtime, "judicial", dict.fromkeys(
            inputs.terms_readers.types(), judicial_handler(runtime))),
        ConsumerSpec.of_events(runtime, "transport", dict.fromkeys(
            inputs.landing_readers.types(), transport_handler(runtime))),
    ]
