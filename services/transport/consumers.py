"""Kafka handlers: judicial, assurance and intake events drive each case's eligibility.

Each runs in the consumer's transaction with its inbox row: the fact is noted on the case
stream, eligibility is re-announced if it changed, and a person whose rules no longer hold
comes off an open manifest (case stream and flight stream) in that same transaction. Topics
are not ordered with each other (a clearance may arrive before judicial's first word), so any
fact may be the first a case hears; facts that change nothing record nothing. A departure
committed meanwhile makes the flight append conflict; the consumer retries and then finds
the person aboard a departed flight, who stays on it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.consumer import Handler
from shared.eventstore import Actor, EventContext
from shared.messaging.cloudevents import ConsumedEvent
from shared.pii.consume import personal_data_handlers
from shared.service import ConsumerSpec, ServiceRuntime

from . import domain, inputs
from .persistence import Session
from .settings import routes_of

SERVICE_ACTOR = Actor.system("transport")


def _context(event: ConsumedEvent) -> EventContext:
    return EventContext(actor=SERVICE_ACTOR, correlation_id=event.correlation_id,
                        causation_id=str(event.event_id))


def input_handler(runtime: ServiceRuntime) -> Handler:
    async def on_input(event: ConsumedEvent, conn: AsyncConnection) -> None:
        item = inputs.readers.read(event)
        routes = routes_of(runtime)
        session = Session(runtime, conn, _context(event), routes)
        case = await session.case(item.case_id)
        flight = await session.open_flight_of(case)
        outcome = domain.note_input(case, flight, item, runtime.clock.now(), routes)
        await session.commit(outcome)

    return on_input


def consumers(runtime: ServiceRuntime) -> Sequence[ConsumerSpec]:
    handler = input_handler(runtime)
    return [
        ConsumerSpec(name="transport.judicial-events",
                     topics=[runtime.events_topic_of("judicial")],
                     handlers=dict.fromkeys(inputs.JUDICIAL_TYPES, handler)),
        ConsumerSpec(name="transport.assurance-events",
                     topics=[runtime.events_topic_of("assurance")],
                     handlers=dict.fromkeys(inputs.ASSURANCE_TYPES, handler)),
        # Intake's request names the person: besides the fact, the name to show goes to
        # person_names (opened with the person's key), and an erasure blanks it.
        ConsumerSpec(name="transport.intake-events",
                     topics=[runtime.events_topic_of("intake")],
                     handlers=personal_data_handlers(handler, lambda: runtime.pii)),
    ]
