"""Decisions on other services' events: what the court learns before the person arrives, and
the intake record that opens when they land. Pure: (state, input, now) -> new events.

Intake's and judicial's events arrive on other topics than transport's, so their order is not
guaranteed. Judicial terms are noted whenever they come; an amendment before the request, or a
landing before the request (or, on the treaty and simplified bases, before the surrender
order) is refused with a rule so that the consumer retries it: the court never guesses which
charges a person may be tried on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.eventstore import NewEvent
from shared.legaltime import legal_date
from shared.payloads import Frozen

from . import events as ev
from . import rules as R  # noqa: N812 (the rule book: R.X)
from . import specialty
from .events import ChargeText, LegalBasis, TermsSource
from .state import CourtCase, Terms


@dataclass(frozen=True)
class IntakeRequest:
    """What the court needs of intake.request_submitted."""

    case_id: str
    legal_basis: LegalBasis
    requesting_district: str
    person_id: str | None  # the name stays sealed; person_names holds the one to show
    charges: tuple[ChargeText, ...]
    intake_event_id: str
    # The request's legal time: the CloudEvents time intake published it with (the date of
    # the US request or diplomatic note when the operator gave one), never our clock.
    recorded_at: datetime


@dataclass(frozen=True)
class IntakeAmendment:
    case_id: str
    charges: tuple[ChargeText, ...]
    reason: str | None
    intake_event_id: str
    recorded_at: datetime


@dataclass(frozen=True)
class JudicialTerms(Terms):
    """What the court needs of a judicial grant, surrender order or NS authorization: the
    terms the case keeps, and which case and judicial event they came from."""

    case_id: str
    judicial_event_id: str
    recorded_at: datetime


@dataclass(frozen=True)
class Landing:
    """transport.person_landed: {case_id, flight_id, landed_at, airport, district, diverted}.
    `district` is the person's charging district, not the airport's."""

    case_id: str
    flight_id: str
    landed_at: datetime
    airport: str
    district: str
    transport_event_id: str
    diverted: bool = False


def new_event(event_type: str, payload: Frozen, occurred_at: datetime | None = None
              ) -> NewEvent:
    return NewEvent(event_type, payload.model_dump(mode="json"),
                    schema_version=ev.schema_version(event_type),
                    occurred_at=occurred_at)


def note_request(state: CourtCase, request: IntakeRequest, now: datetime) -> list[NewEvent]:
    """The request opens the court's file; a repeated submission changes nothing."""
    if state.request_seen:
        return []
    return [new_event(ev.REQUEST_NOTED, ev.RequestNoted(
        case_id=request.case_id, legal_basis=request.legal_basis,
        requesting_district=request.requesting_district, person_id=request.person_id,
        charges=request.charges, intake_event_id=request.intake_event_id, noted_at=now),
        request.recorded_at)]


def note_amendment(state: CourtCase, amendment: IntakeAmendment,
                   now: datetime) -> list[NewEvent]:
    if not state.request_seen:
        R.REQUEST_NOT_SEEN.refuse(f"case {amendment.case_id}: intake's request has not been "
                                  "seen yet; the charges amendment is retried until it has")
    listed = {c.charge_id: c for c in amendment.charges}
    added = tuple(c for c in listed if c not in state.charges)
    removed = tuple(c.charge_id for c in state.charges.values()
                    if c.in_request and c.charge_id not in listed)
    changed = [c for c in amendment.charges if c.charge_id in state.charges
               and state.charges[c.charge_id].text() != c]
    if not (added or removed or changed):
        return []
    return [new_event(ev.CHARGES_AMENDMENT_NOTED, ev.ChargesAmendmentNoted(
        case_id=amendment.case_id, charges=amendment.charges, added_charge_ids=added,
        removed_charge_ids=removed, reason=amendment.reason,
        intake_event_id=amendment.intake_event_id, noted_at=now,
        after_intake_opened=state.intake is not None,
        amended_on=legal_date(amendment.recorded_at)), amendment.recorded_at)]


def note_terms(state: CourtCase, terms: JudicialTerms, now: datetime) -> list[NewEvent]:
    """Surrender terms count until the person lands; afterwards they were what the person was
    surrendered under, and a late or repeated judicial event changes nothing."""
    if state.intake is not None:
        return []
    known = state.terms.get(terms.source)
    fresh = Terms(terms.source, terms.legal_basis, terms.requesting_district,
                  terms.granted_charge_ids, terms.kind, terms.return_obligation,
                  terms.return_conditions, terms.decided_on, terms.authorized_at)
    if known == fresh:
        return []
    return [new_event(ev.SURRENDER_TERMS_NOTED, ev.SurrenderTermsNoted(
        case_id=terms.case_id, source=terms.source, legal_basis=terms.legal_basis,
        requesting_district=terms.requesting_district,
        granted_charge_ids=terms.granted_charge_ids, kind=terms.kind,
        return_obligation=terms.return_obligation, return_conditions=terms.return_conditions,
        decided_on=terms.decided_on, authorized_at=terms.authorized_at,
        judicial_event_id=terms.judicial_event_id, noted_at=now), terms.recorded_at)]


def open_intake(state: CourtCase, landing: Landing) -> list[NewEvent]:
    """The person landed: open the intake record in the charging district (once)."""
    if not state.request_seen:
        R.REQUEST_NOT_SEEN.refuse(f"case {landing.case_id} landed but intake's request has "
                                  "not been seen yet; the landing is retried until it has")
    if state.intake is not None:
        return []
    basis = state.legal_basis
    assert basis is not None and state.requesting_district is not None
    terms = _terms_for_intake(state, landing.case_id, basis)
    restated: tuple[str, ...] = ()
    if basis is LegalBasis.NATIONAL_SECURITY:
        granted = tuple(c.charge_id for c in state.charges.values() if c.in_request)
    else:
        assert terms is not None and terms.granted_charge_ids is not None
        granted = specialty.within_grant(state, terms)
        restated = _restated_after_grant(state, granted)
    district = state.requesting_district
    landing_district, in_district = _where_landed(landing, district)
    return [new_event(ev.INTAKE_OPENED, ev.IntakeOpened(
        case_id=landing.case_id, district=district, landing_district=landing_district,
        landed_in_charging_district=in_district,
        landed_at=landing.landed_at, airport=landing.airport, flight_id=landing.flight_id,
        legal_basis=basis, person_id=state.person_id,
        charges=tuple(state.charges[c].text() for c in granted
                      if c in state.charges and c not in restated),
        granted_charge_ids=granted, restated_after_grant=restated,
        terms_source=terms.source if terms else None,
        specialty_defence_available=basis is not LegalBasis.NATIONAL_SECURITY,
        specialty_note=None if basis is not LegalBasis.NATIONAL_SECURITY
        else specialty.NATIONAL_SECURITY_NOTE,
        surrender_kind=terms.kind if terms else None,
        return_obligation=bool(terms and terms.return_obligation),
        return_conditions=terms.return_conditions if terms else None,
        transport_event_id=landing.transport_event_id), landing.landed_at)]


def _where_landed(landing: Landing, district: str) -> tuple[str, bool]:
    """The district of the airport landed at, and whether it is the charging district.
    Transport names the person's charging district, not the airport's: a flight that was
    not diverted lands the person at the airport routed for that district; a diverted one
    lands elsewhere, in a district the court is not told (empty), so it never claims the
    landing was in the charging district (Fed. R. Crim. P. 5(c)(4): the person must still be
    brought there)."""
    if landing.diverted:
        return "", False
    return landing.district, landing.district == district


def _restated_after_grant(state: CourtCase, granted: tuple[str, ...]) -> tuple[str, ...]:
    """Granted charges intake's amendments put under another law than the one they stood
    under on the day of Mexico's grant: the SRE granted the offence as the request stated it
    then, so the charge as amended is another offence, however the amendments and the landing
    arrived (moved and moved back, it is the granted offence)."""
    granted_on = state.grant_day
    if granted_on is None:
        return ()
    return tuple(c for c in granted if c in state.charges
                 and state.charges[c].restated_since(granted_on))


def _terms_for_intake(state: CourtCase, case_id: str, basis: LegalBasis) -> Terms | None:
    """On the treaty and simplified bases the surrender order names the granted charges and
    the kind of surrender (temporary means a return obligation): without it, don't guess. An
    order an SRE decision dated after it voided (a final amparo sent the matter back) is no
    longer the order: the landing waits for the new one."""
    if basis is LegalBasis.NATIONAL_SECURITY:
        return state.terms.get(TermsSource.NATIONAL_SECURITY_TRANSFER_AUTHORIZED)
    order = state.effective_terms
    if (order is None or order.source is not TermsSource.SURRENDER_ORDERED
            or order.granted_charge_ids is None):
        R.SURRENDER_ORDER_NOT_SEEN.refuse(
            f"case {case_id} ({basis} basis) landed but judicial's surrender order, which "
            "names the granted charges, has not been seen yet (or the one seen came before "
            "the SRE's latest decision, which voids it); the landing is retried until it has")
    return order
