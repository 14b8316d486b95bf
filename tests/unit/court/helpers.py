"""Building blocks for the pure court-domain tests: other services' inputs, folding, steps."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from services.court import arrival, domain
from services.court.arrival import IntakeRequest, JudicialTerms, Landing
from services.court.domain import CourtCase, Policy
from services.court.events import ChargeText, LegalBasis, Plea, TermsSource
from shared.eventstore import NewEvent, RecordedEvent
from tests.support.stored import as_recorded

CASE = "RWY-COURT-1"
LANDED = datetime(2025, 8, 12, 18, 0, tzinfo=UTC)
NOW = LANDED + timedelta(days=3)
POLICY = Policy()


def text(charge_id: str) -> ChargeText:
    return ChargeText(charge_id=charge_id, statute=f"21 U.S.C. § 84{charge_id[-1]}",
                      description=f"count {charge_id}")


def request(*charge_ids: str, basis: LegalBasis = LegalBasis.TREATY,
            district: str = "EDNY") -> IntakeRequest:
    return IntakeRequest(case_id=CASE, legal_basis=basis, requesting_district=district,
                         person_id="PER-RAFAEL",
                         charges=tuple(text(c) for c in charge_ids),
                         intake_event_id=str(uuid.uuid4()),
                         recorded_at=LANDED - timedelta(days=200))


def surrender_order(*granted: str, kind: str = "full", basis: LegalBasis = LegalBasis.TREATY,
                    conditions: str | None = None) -> JudicialTerms:
    temporary = kind == "temporary"
    return JudicialTerms(
        case_id=CASE, source=TermsSource.SURRENDER_ORDERED, legal_basis=basis,
        requesting_district="EDNY", granted_charge_ids=granted, kind=kind,
        return_obligation=temporary,
        return_conditions=(conditions or "return within 30 days of the verdict")
        if temporary else None,
        decided_on=date(2025, 7, 1), authorized_at=None, judicial_event_id=str(uuid.uuid4()),
        recorded_at=LANDED - timedelta(days=40))


def sre_grant(*granted: str) -> JudicialTerms:
    return JudicialTerms(
        case_id=CASE, source=TermsSource.SRE_EXTRADITION_GRANTED, legal_basis=LegalBasis.TREATY,
        requesting_district=None, granted_charge_ids=granted, kind=None,
        return_obligation=False, return_conditions=None, decided_on=date(2025, 5, 1),
        authorized_at=None, judicial_event_id=str(uuid.uuid4()),
        recorded_at=LANDED - timedelta(days=100))


def ns_authorization() -> JudicialTerms:
    return JudicialTerms(
        case_id=CASE, source=TermsSource.NATIONAL_SECURITY_TRANSFER_AUTHORIZED,
        legal_basis=LegalBasis.NATIONAL_SECURITY, requesting_district="EDNY",
        granted_charge_ids=None, kind=None, return_obligation=False, return_conditions=None,
        decided_on=None, authorized_at=LANDED - timedelta(hours=6),
        judicial_event_id=str(uuid.uuid4()), recorded_at=LANDED - timedelta(hours=6))


def landing(district: str = "EDNY", at: datetime = LANDED) -> Landing:
    return Landing(case_id=CASE, flight_id="FLT-0001", landed_at=at, airport="JFK",
                   district=district, transport_event_id=str(uuid.uuid4()))


def fold(state: CourtCase, events: Sequence[NewEvent]) -> CourtCase:
    return domain.preview(state, events)


def step(state: CourtCase, events: Sequence[NewEvent]) -> CourtCase:
    assert events, "the decision recorded nothing"
    return fold(state, events)


def known(*charge_ids: str, basis: LegalBasis = LegalBasis.TREATY,
          granted: Sequence[str] | None = None, kind: str = "full") -> CourtCase:
    """A case the court knows (request, and the surrender order on a judicial basis)."""
    state = domain.initial()
    state = step(state, arrival.note_request(state, request(*charge_ids, basis=basis), NOW))
    if basis is LegalBasis.NATIONAL_SECURITY:
        return step(state, arrival.note_terms(state, ns_authorization(), NOW))
    order = surrender_order(*(charge_ids if granted is None else granted), kind=kind,
                            basis=basis)
    return step(state, arrival.note_terms(state, order, NOW))


def landed(*charge_ids: str, basis: LegalBasis = LegalBasis.TREATY,
           granted: Sequence[str] | None = None, kind: str = "full") -> CourtCase:
    state = known(*charge_ids, basis=basis, granted=granted, kind=kind)
    return step(state, arrival.open_intake(state, landing()))


def appeared(state: CourtCase, hours: float = 20, policy: Policy = POLICY) -> CourtCase:
    held_at = LANDED + timedelta(hours=hours)
    return step(state, domain.hold_initial_appearance(state, held_at, "Judge Levy", NOW,
                                                      policy))


def ready_to_arraign(*charge_ids: str, basis: LegalBasis = LegalBasis.TREATY,
                     granted: Sequence[str] | None = None, kind: str = "full") -> CourtCase:
    """Landed, docketed, appeared, detention ordered."""
    state = landed(*charge_ids, basis=basis, granted=granted, kind=kind)
    state = step(state, domain.assign_docket(state, "1:09-cr-00466", NOW))
    state = appeared(state)
    return step(state, domain.decide_detention(state, "detained", NOW.date(),
                                               "risk of flight", NOW))


def arraign(state: CourtCase, *charge_ids: str, now: datetime = NOW) -> list[NewEvent]:
    """Arraigned on `now`'s day (the day after the detention hearing by default)."""
    return domain.arraign(state, now.date(), Plea.NOT_GUILTY, charge_ids, now)


def supersede(state: CourtCase, *charge_ids: str) -> list[NewEvent]:
    return domain.file_superseding_indictment(state, NOW.date(),
                                              [text(c) for c in charge_ids], NOW)


def request_consent(state: CourtCase, *charge_ids: str) -> list[NewEvent]:
    return domain.request_consent(state, charge_ids, NOW.date(), "US note 2025-301", NOW)


def decide_consent(state: CourtCase, granted: bool, *charge_ids: str) -> list[NewEvent]:
    return domain.decide_consent(state, granted, charge_ids, NOW.date(), "SRE note 2025-88",
                                 NOW)


def recorded(events: Sequence[NewEvent], start_version: int = 1) -> list[RecordedEvent]:
    """The events as the store would hand them back (hashes are not checked by evolve)."""
    return as_recorded(events, stream_id=CASE, stream_type="court_case", at=NOW,
                       start_version=start_version)
