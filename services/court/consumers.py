"""Kafka handlers: intake's request and charges, judicial's surrender terms, and transport's
landings drive the case up to its intake record.

Each runs in the consumer's transaction with its inbox row, so a redelivered event has no
second effect; the decisions are idempotent on their own too. A landing (or an amendment)
for a case whose request has not been applied yet raises, so the consumer retries it and
dead-letters it if the request never comes: the court never guesses the charges.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.consumer import Handler
from shared.eventstore import Actor, EventContext
from shared.messaging.cloudevents import ConsumedEvent
from shared.pii.consume import personal_data_handlers
from shared.service import ConsumerSpec, ServiceRuntime

from . import arrival, handling, inputs

SERVICE_ACTOR = Actor.system("court")


def _context(event: ConsumedEvent) -> EventContext:
    return EventContext(actor=SERVICE_ACTOR, correlation_id=event.correlation_id,
                        causation_id=str(event.event_id))


def intake_handlers(runtime: ServiceRuntime) -> dict[str, Handler]:
    async def on_request(event: ConsumedEvent, conn: AsyncConnection) -> None:
        request = inputs.intake_request(event)
        now = runtime.clock.now()
        await handling.run(runtime, conn, request.case_id,
                           lambda s: arrival.note_request(s, request, now), _context(event),
                           must_exist=False)

    async def on_amendment(event: ConsumedEvent, conn: AsyncConnection) -> None:
        amendment = inputs.intake_amendment(event)
        now = runtime.clock.now()
        await handling.run(runtime, conn, amendment.case_id,
                           lambda s: arrival.note_amendment(s, amendment, now),
                           _context(event), must_exist=False)

    # Both versions of the request; each also puts the name to show in person_names (opened
    # with the person's key), and an erasure blanks it (shared/pii/consume.py).
    return {**personal_data_handlers(on_request, lambda: runtime.pii),
            inputs.CHARGES_AMENDED_V1: on_amendment}


def judicial_handler(runtime: ServiceRuntime) -> Handler:
    async def on_terms(event: ConsumedEvent, conn: AsyncConnection) -> None:
        terms = inputs.judicial_terms(event)
        now = runtime.clock.now()
        await handling.run(runtime, conn, terms.case_id,
                           lambda s: arrival.note_terms(s, terms, now), _context(event),
                           must_exist=False)

    return on_terms


def transport_handler(runtime: ServiceRuntime) -> Handler:
    async def on_landed(event: ConsumedEvent, conn: AsyncConnection) -> None:
        landing = inputs.landing(event)
        await handling.run(runtime, conn, landing.case_id,
                           lambda s: arrival.open_intake(s, landing), _context(event),
                           must_exist=False)

    return on_landed


def consumers(runtime: ServiceRuntime) -> Sequence[ConsumerSpec]:
    on_terms = judicial_handler(runtime)
    return [
        ConsumerSpec(name="court.intake-events", topics=[runtime.events_topic_of("intake")],
                     handlers=intake_handlers(runtime)),
        ConsumerSpec(name="court.judicial-events",
                     topics=[runtime.events_topic_of("judicial")],
                     handlers={inputs.SRE_GRANTED_V1: on_terms,
                               inputs.SURRENDER_ORDERED_V1: on_terms,
                               inputs.NS_TRANSFER_AUTHORIZED_V1: on_terms}),
        ConsumerSpec(name="court.transport-events",
                     topics=[runtime.events_topic_of("transport")],
                     handlers={inputs.PERSON_LANDED_V1: transport_handler(runtime)}),
    ]
