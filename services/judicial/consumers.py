"""Judicial's reading of intake's events (tolerant readers: only the fields used, any others
ignored).

* intake.request_submitted (v1, and v2 with the person sealed) opens the judicial case (once:
  a case already open is left as it is). Judicial keeps no name: the case names the person
  by id only (v2; none on v1), so an erasure has nothing to blank here.
* transport.custody_transferred.v1 is recorded as `judicial.handed_over`, dated by the
  transfer's legal instant and its legal date (LEGAL_TIMEZONE), not by when it arrives: every
  clock stops and the case reads "surrendered"; nothing may expire or release the person
  after it. On a case judicial never opened it is dropped.
* intake.charges_amended.v1 is recorded as `judicial.charges_amendment_noted` with the charges
  added and removed, and whether the SRE had already granted extradition (new counts are then
  not covered by the grant). It changes no rule here; on a case judicial never opened it is
  dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.consumer import Handler
from shared.eventstore import Actor, EventContext, NewEvent
from shared.legaltime import legal_date
from shared.messaging.cloudevents import ConsumedEvent
from shared.messaging.tolerant import Tolerant
from shared.service import ConsumerSpec, ServiceRuntime

from . import domain
from .events import CaseOpened, HandedOver, LegalBasis
from .persistence import execute
from .state import State

log = logging.getLogger("runway.judicial.consumers")

REQUEST_SUBMITTED_V1 = "intake.request_submitted.v1"
REQUEST_SUBMITTED_V2 = "intake.request_submitted.v2"
CHARGES_AMENDED_V1 = "intake.charges_amended.v1"
CUSTODY_TRANSFERRED_V1 = "transport.custody_transferred.v1"


class _Person(Tolerant):
    person_id: str | None = None  # v2 only


class _Charge(Tolerant):
    charge_id: str


class IntakeRequest(Tolerant):
    case_id: str
    legal_basis: LegalBasis
    requesting_district: str
    provisional_arrest_date: date | None = None
    person: _Person | None = None
    charges: tuple[_Charge, ...] = ()
    us_request_reference: str | None = None


class IntakeAmendment(Tolerant):
    case_id: str
    charges: tuple[_Charge, ...]
    reason: str = ""


class CustodyTransfer(Tolerant):
    case_id: str
    flight_id: str
    transferred_at: datetime
    place: str


def _context(event: ConsumedEvent) -> EventContext:
    return EventContext(Actor.system("judicial.intake-events"),
                        correlation_id=event.correlation_id, causation_id=str(event.event_id))


def intake_handlers(runtime: ServiceRuntime) -> dict[str, Handler]:
    async def on_request_submitted(event: ConsumedEvent, conn: AsyncConnection) -> None:
        request = IntakeRequest.model_validate(event.data)
        opened = CaseOpened(
            # Derived from intake's request: it takes the request's legal time (its
            # document's date when the operator gave one), not the moment it was consumed.
            case_id=request.case_id, opened_at=event.time,
            legal_basis=request.legal_basis, requesting_district=request.requesting_district,
            provisional_arrest_date=request.provisional_arrest_date,
            person_id=request.person.person_id if request.person else None,
            charge_ids=tuple(c.charge_id for c in request.charges),
            us_request_reference=request.us_request_reference,
            intake_event_id=str(event.event_id))
        await execute(runtime, conn, request.case_id,
                      lambda state: domain.open_case(state, opened), _context(event),
                      must_exist=False)

    async def on_charges_amended(event: ConsumedEvent, conn: AsyncConnection) -> None:
        amendment = IntakeAmendment.model_validate(event.data)

        def note(state: State) -> list[NewEvent]:
            if not state.opened:
                log.warning("charges amended on a case judicial never opened",
                            extra={"case_id": amendment.case_id})
            # Dated at the amendment's legal time (the superseding indictment's date when
            # intake was given it), as its cause: not when judicial heard of it.
            return domain.note_charges(state, tuple(c.charge_id for c in amendment.charges),
                                       amendment.reason, event.time)

        await execute(runtime, conn, amendment.case_id, note, _context(event),
                      must_exist=False)

    async def on_custody_transferred(event: ConsumedEvent, conn: AsyncConnection) -> None:
        transfer = CustodyTransfer.model_validate(event.data)
        handover = HandedOver(
            case_id=transfer.case_id, handed_over_at=transfer.transferred_at,
            handed_over_on=legal_date(transfer.transferred_at),
            flight_id=transfer.flight_id, place=transfer.place,
            custody_transfer_event_id=str(event.event_id))

        def hand_over(state: State) -> list[NewEvent]:
            if not state.opened:
                log.warning("custody transferred on a case judicial never opened",
                            extra={"case_id": transfer.case_id})
            return domain.note_handover(state, handover)

        await execute(runtime, conn, transfer.case_id, hand_over, _context(event),
                      must_exist=False)

    return {REQUEST_SUBMITTED_V1: on_request_submitted, REQUEST_SUBMITTED_V2: on_request_submitted,
            CHARGES_AMENDED_V1: on_charges_amended, CUSTODY_TRANSFERRED_V1: on_custody_transferred}


def consumers(runtime: ServiceRuntime) -> Sequence[ConsumerSpec]:
    return [ConsumerSpec(name="judicial.intake-events",
                         topics=[runtime.events_topic_of("intake"),
                                 runtime.events_topic_of("transport")],
                         handlers=intake_handlers(runtime))]
