"""Kafka handlers: intake's charges, judicial's basis changes and transport's custody
transfers drive the case.

Each runs in the consumer's transaction with its inbox row, so a redelivered event has no
second effect; the decisions are also idempotent on their own (same charges, same transfer:
nothing new). An amendment or transfer for a case whose submission has not been applied yet
raises, so the consumer retries it (and dead-letters it if the submission never comes).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.consumer import Handler
from shared.eventstore import Actor
from shared.messaging.cloudevents import ConsumedEvent
from shared.service import ConsumerSpec, ServiceRuntime

from . import domain, handling, inputs

SERVICE_ACTOR = Actor.system("assurance")


def intake_handler(runtime: ServiceRuntime) -> Handler:
    async def on_intake_charges(event: ConsumedEvent, conn: AsyncConnection) -> None:
        intake = inputs.intake_readers.read(event)
        now = runtime.clock.now()
        await handling.run(runtime, conn, intake.case_id,
                           lambda state: domain.take_charges(state, intake, now),
                           event.caused(SERVICE_ACTOR), must_exist=False)

    return on_intake_charges


def transport_handler(runtime: ServiceRuntime) -> Handler:
    async def on_custody_transferred(event: ConsumedEvent, conn: AsyncConnection) -> None:
        case_id, transferred_at = inputs.transport_readers.read(event)
        now = runtime.clock.now()
        # Judged on the handoff's legal instant; when transport recorded it is clerical.
        await handling.run(runtime, conn, case_id,
                           lambda state: domain.note_transfer(
                               state, case_id, transferred_at, str(event.event_id), now,
                               recorded_at=event.recorded_at),
                           event.caused(SERVICE_ACTOR), must_exist=False)

    return on_custody_transferred


def judicial_handler(runtime: ServiceRuntime) -> Handler:
    async def on_basis_changed(event: ConsumedEvent, conn: AsyncConnection) -> None:
        change = inputs.judicial_readers.read(event)
        await handling.run(runtime, conn, change.case_id,
                           lambda state: domain.note_basis_change(state, change),
                           event.caused(SERVICE_ACTOR), must_exist=False)

    return on_basis_changed


def consumers(runtime: ServiceRuntime) -> Sequence[ConsumerSpec]:
    return [
        ConsumerSpec.of_events(runtime, "intake", dict.fromkeys(
            inputs.intake_readers.types(), intake_handler(runtime))),
        ConsumerSpec.of_events(runtime, "transport", dict.fromkeys(
            inputs.transport_readers.types(), transport_handler(runtime))),
        ConsumerSpec.of_events(runtime, "judicial", dict.fromkeys(
            inputs.judicial_readers.types(), judicial_handler(runtime))),
    ]
