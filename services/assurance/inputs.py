"""Tolerant readers of the events this service consumes: only the fields it needs.

Unknown fields are ignored, so producers may add to their payloads without breaking us. Each
consumed type is declared on its reader, and consumers.py subscribes to the types declared.
Intake's request v2 seals the person, which assurance never reads, so one reader reads both
versions. transport.custody_transferred {case_id, transferred_at, ...} is the shape we rely on.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, Field

from shared.messaging.cloudevents import ConsumedEvent
from shared.messaging.readers import Readers
from shared.messaging.tolerant import CaseEvent, Tolerant

from .domain import BasisChange, ChargeFacts, IntakeCharges

# The charge list an intake event carries (a submission or an amendment).
intake_readers: Readers[IntakeCharges] = Readers()
# The case and legal instant of a custody transfer.
transport_readers: Readers[tuple[str, datetime]] = Readers()
# A case moved to another basis (a treaty case overtaken by a national-security transfer).
judicial_readers: Readers[BasisChange] = Readers()


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


class BasisChangedView(CaseEvent):
    to_basis: str
    changed_on: date


def _facts(charges: tuple[IntakeCharge, ...]) -> tuple[ChargeFacts, ...]:
    return tuple(ChargeFacts(c.charge_id, c.statute, c.death_penalty_possible,
                             c.death_penalty_law) for c in charges)


def _charge_list(event: ConsumedEvent, source: str,
                 view: RequestSubmittedView | ChargesAmendedView, *,
                 legal_basis: str | None = None,
                 amendment_reason: str | None = None) -> IntakeCharges:
    """The charge list a submission or an amendment carries, with what only it says."""
    return IntakeCharges(case_id=view.case_id, source=source,
                         charges=_facts(view.charges), recorded_at=event.time,
                         intake_event_id=str(event.event_id), legal_basis=legal_basis,
                         amendment_reason=amendment_reason)


@intake_readers.on("intake.request_submitted", 1, 2)
def _submitted_charges(event: ConsumedEvent) -> IntakeCharges:
    submitted = RequestSubmittedView.model_validate(event.data)
    return _charge_list(event, "request_submitted", submitted, legal_basis=submitted.legal_basis)


@intake_readers.on("intake.charges_amended", 1)
def _amended_charges(event: ConsumedEvent) -> IntakeCharges:
    amended = ChargesAmendedView.model_validate(event.data)
    return _charge_list(event, "charges_amended", amended, amendment_reason=amended.reason)


@transport_readers.on("transport.custody_transferred", 1)
def custody_transferred(event: ConsumedEvent) -> tuple[str, datetime]:
    view = CustodyTransferredView.model_validate(event.data)
    return view.case_id, view.transferred_at


@judicial_readers.on("judicial.basis_changed", 1)
def basis_changed(event: ConsumedEvent) -> BasisChange:
    view = BasisChangedView.model_validate(event.data)
    return BasisChange(view.case_id, view.to_basis, view.changed_on, str(event.event_id))
