"""Tolerant readers of the events this service consumes: only the fields it needs.

Unknown fields are ignored, so producers may add to their payloads without breaking us.
- intake.request_submitted.v1 and .v2 (v2 seals the person, which assurance never reads) /
  intake.charges_amended.v1 (services/intake/events.py)
- transport.custody_transferred.v1: {case_id, transferred_at, ...} (the transport service
  does not exist yet; this is the shape we rely on)
"""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, Field

from shared.messaging.cloudevents import ConsumedEvent, ce_type
from shared.messaging.tolerant import CaseEvent, Tolerant

from .domain import ChargeFacts, IntakeCharges

REQUEST_SUBMITTED_V1 = ce_type("intake.request_submitted", 1)
REQUEST_SUBMITTED_V2 = ce_type("intake.request_submitted", 2)
CHARGES_AMENDED_V1 = ce_type("intake.charges_amended", 1)
CUSTODY_TRANSFERRED_V1 = ce_type("transport.custody_transferred", 1)


class IntakeCharge(Tolerant):
    charge_id: str = Field(min_length=1)
    statute: str
    death_penalty_possible: bool
    death_penalty_law: str | None = None


class RequestSubmittedView(CaseEvent):
    legal_basis: str
    charges: tuple[IntakeCharge, ...]


class ChargesAmendedView(CaseEvent):
    charges: tuple[IntakeCharge, ...]
    reason: str | None = None


class CustodyTransferredView(CaseEvent):
    transferred_at: AwareDatetime


def _facts(charges: tuple[IntakeCharge, ...]) -> tuple[ChargeFacts, ...]:
    return tuple(ChargeFacts(c.charge_id, c.statute, c.death_penalty_possible,
                             c.death_penalty_law) for c in charges)


def intake_charges(event: ConsumedEvent) -> IntakeCharges:
    """The charge list an intake event carries (a submission or an amendment)."""
    if event.ce_type in (REQUEST_SUBMITTED_V1, REQUEST_SUBMITTED_V2):
        submitted = RequestSubmittedView.model_validate(event.data)
        return IntakeCharges(case_id=submitted.case_id, source="request_submitted",
                             charges=_facts(submitted.charges), recorded_at=event.time,
                             intake_event_id=str(event.event_id),
                             legal_basis=submitted.legal_basis)
    amended = ChargesAmendedView.model_validate(event.data)
    return IntakeCharges(case_id=amended.case_id, source="charges_amended",
                         charges=_facts(amended.charges), recorded_at=event.time,
                         intake_event_id=str(event.event_id), amendment_reason=amended.reason)


def custody_transferred(event: ConsumedEvent) -> tuple[str, datetime]:
    view = CustodyTransferredView.model_validate(event.data)
    return view.case_id, view.transferred_at
