"""Tolerant readers of the events this service consumes: only the fields it needs.

Unknown fields are ignored, so producers may add to their payloads without breaking us. Each
consumed type is declared on its reader, and consumers.py subscribes to the types declared.
Intake's request (.v1 and .v2; v2 names the person by id) is the exception: the handlers of
shared/pii/consume.py subscribe to both versions and put the name to show in person_names.
transport.person_landed {case_id, flight_id, landed_at, airport, district, diverted} is the
fixed transport contract (`district` is the person's charging district; `diverted`, optional,
says the flight landed at a diversion airport).
"""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, Field

from shared.messaging.cloudevents import ConsumedEvent
from shared.messaging.readers import Readers
from shared.messaging.tolerant import CaseEvent, Tolerant

from .arrival import IntakeAmendment, IntakeRequest, JudicialTerms, Landing
from .events import ChargeText, LegalBasis, TermsSource

amendment_readers: Readers[IntakeAmendment] = Readers()
terms_readers: Readers[JudicialTerms] = Readers()
landing_readers: Readers[Landing] = Readers()


class _Charge(Tolerant):
    charge_id: str = Field(min_length=1)
    statute: str = ""
    description: str = ""


class _Person(Tolerant):
    person_id: str | None = None  # v2 only


class _Request(CaseEvent):
    legal_basis: LegalBasis
    requesting_district: str = Field(min_length=1)
    person: _Person | None = None
    charges: tuple[_Charge, ...] = ()


class _Amendment(CaseEvent):
    charges: tuple[_Charge, ...]
    reason: str | None = None


class _Grant(CaseEvent):
    legal_basis: LegalBasis
    decided_on: date | None = None
    granted_charge_ids: tuple[str, ...]


class _Order(CaseEvent):
    legal_basis: LegalBasis
    requesting_district: str | None = None
    ordered_on: date | None = None
    kind: str
    return_obligation: bool = False
    return_conditions: str | None = None
    granted_charge_ids: tuple[str, ...]


class _Authorization(CaseEvent):
    authorized_at: AwareDatetime | None = None
    requesting_district: str | None = None


class _Landed(CaseEvent):
    flight_id: str = Field(min_length=1)
    landed_at: AwareDatetime
    airport: str = Field(min_length=1)
    district: str = Field(min_length=1)  # the person's charging district
    diverted: bool = False  # additive in transport's v1: landed at a diversion airport


def _texts(charges: tuple[_Charge, ...]) -> tuple[ChargeText, ...]:
    return tuple(ChargeText(charge_id=c.charge_id, statute=c.statute,
                            description=c.description) for c in charges)


def intake_request(event: ConsumedEvent) -> IntakeRequest:
    request = _Request.model_validate(event.data)
    return IntakeRequest(case_id=request.case_id, legal_basis=request.legal_basis,
                         requesting_district=request.requesting_district,
                         person_id=request.person.person_id if request.person else None,
                         charges=_texts(request.charges),
                         intake_event_id=str(event.event_id), recorded_at=event.time)


@amendment_readers.on("intake.charges_amended", 1)
def intake_amendment(event: ConsumedEvent) -> IntakeAmendment:
    amendment = _Amendment.model_validate(event.data)
    return IntakeAmendment(case_id=amendment.case_id, charges=_texts(amendment.charges),
                           reason=amendment.reason, intake_event_id=str(event.event_id),
                           recorded_at=event.time)


# Surrender terms, from whichever of the three judicial events states them.

@terms_readers.on("judicial.sre_extradition_granted", 1)
def _granted_terms(event: ConsumedEvent) -> JudicialTerms:
    grant = _Grant.model_validate(event.data)
    return JudicialTerms(
        case_id=grant.case_id, source=TermsSource.SRE_EXTRADITION_GRANTED,
        legal_basis=grant.legal_basis, requesting_district=None,
        granted_charge_ids=grant.granted_charge_ids, kind=None, return_obligation=False,
        return_conditions=None, decided_on=grant.decided_on, authorized_at=None,
        judicial_event_id=str(event.event_id), recorded_at=event.time)


@terms_readers.on("judicial.surrender_ordered", 1)
def _ordered_terms(event: ConsumedEvent) -> JudicialTerms:
    order = _Order.model_validate(event.data)
    return JudicialTerms(
        case_id=order.case_id, source=TermsSource.SURRENDER_ORDERED,
        legal_basis=order.legal_basis, requesting_district=order.requesting_district,
        granted_charge_ids=order.granted_charge_ids, kind=order.kind,
        return_obligation=order.return_obligation,
        return_conditions=order.return_conditions, decided_on=order.ordered_on,
        authorized_at=None, judicial_event_id=str(event.event_id), recorded_at=event.time)


@terms_readers.on("judicial.national_security_transfer_authorized", 1)
def _authorized_terms(event: ConsumedEvent) -> JudicialTerms:
    authorization = _Authorization.model_validate(event.data)
    return JudicialTerms(
        case_id=authorization.case_id,
        source=TermsSource.NATIONAL_SECURITY_TRANSFER_AUTHORIZED,
        legal_basis=LegalBasis.NATIONAL_SECURITY,
        requesting_district=authorization.requesting_district, granted_charge_ids=None,
        kind=None, return_obligation=False, return_conditions=None, decided_on=None,
        authorized_at=authorization.authorized_at, judicial_event_id=str(event.event_id),
        recorded_at=event.time)


@landing_readers.on("transport.person_landed", 1)
def landing(event: ConsumedEvent) -> Landing:
    landed = _Landed.model_validate(event.data)
    return Landing(case_id=landed.case_id, flight_id=landed.flight_id,
                   landed_at=landed.landed_at, airport=landed.airport,
                   district=landed.district, transport_event_id=str(event.event_id),
                   diverted=landed.diverted)
