"""A court case as a fold of its events (pure: no I/O, no clock).

Before the person lands the case holds what other services told us: the request's charges
and basis (intake) and the surrender terms (judicial). From the landing on it holds the
court's own steps: intake, docket, initial appearance, detention, arraignments, superseding
indictments and Mexico's specialty consents, and the end of the proceedings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from pydantic import BaseModel

from shared import citations
from shared.aggregate import EventTable
from shared.legaltime import legal_date

from . import events as ev
from .events import ChargeOrigin, ChargeText, LegalBasis, Plea, SpecialtyException, TermsSource


@dataclass(frozen=True)
class Charge:
    charge_id: str
    statute: str
    description: str
    origin: ChargeOrigin
    in_request: bool = True        # still in intake's latest charge list
    indictment: int | None = None  # the superseding indictment that added it
    # The charge whose facts (the conduct in the extradition request) this count rests on:
    # itself for the request's charges; for a superseding count what the indictment said,
    # as that charge's facts stood on its filing (never a chain read later).
    facts_of: str | None = None
    # The filing day of the indictment that made it rest on those facts (None: the request).
    facts_since: date | None = None
    # Each intake amendment that put it under another statute: (its legal date, the statute
    # it left), in the order noted (none for amendments noted without their date).
    statute_moves: tuple[tuple[date, str], ...] = ()

    def statute_on(self, day: date) -> str:
        """The statute it stood under on `day`: the one the earliest move dated on or after
        that day left, else the one it stands under now."""
        later = sorted(move for move in self.statute_moves if move[0] >= day)
        return later[0][1] if later else self.statute

    def restated_since(self, day: date) -> bool:
        """Put under another law than the one it stood under on `day` (moved and moved back
        to the same law, however written, it is the same offence)."""
        return not citations.same(self.statute_on(day), self.statute)

    def text(self) -> ChargeText:
        return ChargeText(charge_id=self.charge_id, statute=self.statute,
                          description=self.description)


@dataclass(frozen=True)
class Terms:
    source: TermsSource
    legal_basis: LegalBasis
    requesting_district: str | None
    granted_charge_ids: tuple[str, ...] | None
    kind: str | None
    return_obligation: bool
    return_conditions: str | None
    decided_on: date | None
    authorized_at: datetime | None

    @property
    def legal_day(self) -> date | None:
        """The legal date of the judicial act (Mexico's calendar): the grant's or order's
        day, or the day of the national-security authorization."""
        if self.authorized_at is not None:
            return legal_date(self.authorized_at)
        return self.decided_on


# Judicial's path, in its order: on one day a later step follows an earlier one.
_STEP = {TermsSource.SRE_EXTRADITION_GRANTED: 0, TermsSource.SURRENDER_ORDERED: 1,
         TermsSource.NATIONAL_SECURITY_TRANSFER_AUTHORIZED: 2}
# The fixed preference for terms noted without a date.
_PRIORITY = (TermsSource.SURRENDER_ORDERED, TermsSource.NATIONAL_SECURITY_TRANSFER_AUTHORIZED,
             TermsSource.SRE_EXTRADITION_GRANTED)


@dataclass(frozen=True)
class Intake:
    district: str
    landing_district: str
    landed_at: datetime
    airport: str
    flight_id: str
    legal_basis: LegalBasis
    granted_charge_ids: tuple[str, ...]
    terms_source: TermsSource | None
    specialty_defence_available: bool
    specialty_note: str | None
    surrender_kind: str | None
    return_obligation: bool
    return_conditions: str | None
    landed_in_charging_district: bool


@dataclass(frozen=True)
class Appearance:
    held_at: datetime
    magistrate: str
    hours_elapsed: float
    limit_hours: float
    late: bool


@dataclass(frozen=True)
class Detention:
    outcome: str  # "detained" | "released_on_conditions"
    decided_on: date
    detail: str | None  # grounds, or the release conditions


@dataclass(frozen=True)
class Arraignment:
    arraigned_on: date
    plea: Plea
    charge_ids: tuple[str, ...]


@dataclass(frozen=True)
class Indictment:
    number: int
    filed_on: date
    charge_ids: tuple[str, ...]
    added_charge_ids: tuple[str, ...]
    specialty_block_applies: bool


@dataclass(frozen=True)
class Consent:
    """Mexico's consent for one charge: requested, then granted or refused."""

    status: str  # "requested" | "granted" | "refused"
    requested_on: date
    decided_on: date | None = None
    diplomatic_note_reference: str | None = None


@dataclass(frozen=True)
class ExceptionFound:
    """An exception of treaty art. 17 the court recorded (see events.SpecialtyException)."""

    exception: SpecialtyException
    found_on: date
    charge_ids: tuple[str, ...]  # empty: the whole case
    # Counts restated since on other facts, or as a new offence: the finding was about the
    # offence as then charged, so it no longer lifts the bar on them.
    lapsed_charge_ids: tuple[str, ...] = ()

    def lifts(self, charge_id: str) -> bool:
        """Whether this finding lifts the bar on the count now."""
        return not self.charge_ids or (charge_id in self.charge_ids
                                       and charge_id not in self.lapsed_charge_ids)

    def lapsing(self, charge_ids: tuple[str, ...]) -> ExceptionFound:
        """The finding once the counts `charge_ids` were restated off it (a whole-case
        finding is about the person, not a count: it never lapses)."""
        ended = tuple(c for c in charge_ids if c in self.charge_ids
                      and c not in self.lapsed_charge_ids)
        if not ended:
            return self
        return replace(self, lapsed_charge_ids=(*self.lapsed_charge_ids, *ended))


@dataclass(frozen=True)
class Reextradition:
    """A third state's request for the person, and Mexico's answer (treaty art. 17)."""

    requested_on: date
    consent: str = "pending"  # "pending" | "granted" | "refused"
    decided_on: date | None = None
    diplomatic_note_reference: str | None = None
    surrendered_on: date | None = None


@dataclass(frozen=True)
class ReturnDue:
    due_on: date
    conditions: str | None


@dataclass(frozen=True)
class CourtCase:
    seq: int = 0  # events folded so far (= stream version)
    case_id: str | None = None
    request_basis: LegalBasis | None = None
    requesting_district: str | None = None
    person_id: str | None = None  # names stay sealed; person_names holds the one to show
    request_seen: bool = False
    charges: Mapping[str, Charge] = field(default_factory=dict)
    terms: Mapping[TermsSource, Terms] = field(default_factory=dict)
    intake: Intake | None = None
    docket_number: str | None = None
    appearance: Appearance | None = None
    detention: Detention | None = None
    arraignments: tuple[Arraignment, ...] = ()
    indictments: tuple[Indictment, ...] = ()
    flagged: frozenset[str] = frozenset()  # counts a specialty_violation_blocked named
    consents: Mapping[str, Consent] = field(default_factory=dict)
    ended: ev.ProceedingsEnded | None = None  # the end of the proceedings, as recorded
    return_due: ReturnDue | None = None
    exceptions: tuple[ExceptionFound, ...] = ()
    reextraditions: Mapping[str, Reextradition] = field(default_factory=dict)  # by state

    @property
    def exists(self) -> bool:
        return self.case_id is not None

    @property
    def effective_terms(self) -> Terms | None:
        """Judicial's latest act on the case, by its legal date: an SRE decision after a
        surrender order means a final amparo annulled that order (judicial's `_reopened`), and
        a national-security authorization after either means the treaty case was overtaken by
        a transfer (brief, "Basis change"; Caro Quintero, 27 Feb 2025). The dates decide, not
        the order the events were consumed in. On the same day the later step of judicial's
        path wins (`_STEP`); an act noted without its date (older events) keeps the fixed
        order: the order, else the authorization, else the grant."""
        if not self.terms:
            return None
        if any(terms.legal_day is None for terms in self.terms.values()):
            return next(self.terms[s] for s in _PRIORITY if s in self.terms)
        return max(self.terms.values(), key=lambda t: (t.legal_day, _STEP[t.source]))

    @property
    def grant_day(self) -> date | None:
        """The day Mexico's grant settled which offences the person was surrendered for: the
        SRE's decision in force (its latest), else the surrender order's day."""
        for source in (TermsSource.SRE_EXTRADITION_GRANTED, TermsSource.SURRENDER_ORDERED):
            found = self.terms.get(source)
            if found is not None and found.decided_on is not None:
                return found.decided_on
        return None

    @property
    def legal_basis(self) -> LegalBasis | None:
        """Fixed at intake; before, judicial's latest word (consent may make a treaty case
        simplified), else the request's."""
        if self.intake is not None:
            return self.intake.legal_basis
        terms = self.effective_terms
        return terms.legal_basis if terms is not None else self.request_basis

    @property
    def arraigned_charge_ids(self) -> frozenset[str]:
        return frozenset(c for a in self.arraignments for c in a.charge_ids)


initial = CourtCase


def _charge(text: ChargeText, origin: ChargeOrigin, indictment: int | None = None) -> Charge:
    """A request's (or amendment's) charge rests on its own facts; a superseding count on
    the facts its indictment names (events.CountText.facts_of)."""
    facts_of = text.facts_of if isinstance(text, ev.CountText) else text.charge_id
    return Charge(text.charge_id, text.statute, text.description, origin,
                  in_request=origin is not ChargeOrigin.SUPERSEDING, indictment=indictment,
                  facts_of=facts_of)


def _request(state: CourtCase, e: BaseModel) -> CourtCase:
    assert isinstance(e, ev.RequestNoted)
    charges = {c.charge_id: _charge(c, ChargeOrigin.REQUEST) for c in e.charges}
    return replace(state, case_id=e.case_id, request_basis=e.legal_basis,
                   requesting_district=e.requesting_district, person_id=e.person_id,
                   request_seen=True, charges={**state.charges, **charges})


def _amended(state: CourtCase, e: BaseModel) -> CourtCase:
    assert isinstance(e, ev.ChargesAmendmentNoted)
    listed = {c.charge_id: c for c in e.charges}
    charges: dict[str, Charge] = {}
    for charge_id, charge in state.charges.items():
        text = listed.get(charge_id)
        if text is not None:
            # A charge the request puts under another statute once Mexico's grant settled it
            # is another offence (as a superseding count naming no facts).
            moved = not citations.same(text.statute, charge.statute)
            moves = (*charge.statute_moves, (e.amended_on, charge.statute)) \
                if moved and e.amended_on else charge.statute_moves
            charge = replace(charge, statute=text.statute, description=text.description,
                             in_request=True, statute_moves=moves,
                             facts_of=_facts_after_move(state, e, charge, text, moved))
        elif charge.origin is not ChargeOrigin.SUPERSEDING:
            charge = replace(charge, in_request=False)
        charges[charge_id] = charge
    for charge_id in e.added_charge_ids:
        charges[charge_id] = _charge(listed[charge_id], ChargeOrigin.AMENDMENT)
    return replace(state, charges=charges)


def _facts_after_move(state: CourtCase, e: ev.ChargesAmendmentNoted, charge: Charge,
                      text: ChargeText, moved: bool) -> str | None:
    """The facts a charge rests on after intake's amendment: another statute once Mexico's
    grant settled it is another offence (as a superseding count naming no facts); put back
    under the law it was granted under, it is the granted offence again, on its own facts."""
    if not moved or not _after_the_grant(state, e):
        return charge.facts_of
    granted_on = state.grant_day
    if granted_on is not None and charge.origin is not ChargeOrigin.SUPERSEDING \
            and citations.same(text.statute, charge.statute_on(granted_on)):
        return charge.charge_id
    return None


def _after_the_grant(state: CourtCase, e: ev.ChargesAmendmentNoted) -> bool:
    """Whether the amendment came once Mexico's grant was settled. Before the landing it
    waits: the grant may still be decided again, and the intake judges the amendment's date
    against the grant it opens on (IntakeOpened.restated_after_grant). After the landing, its
    legal date against the grant's day, on or after it (the SRE decided on the request as it
    stood before). An amendment noted without its date (older events) is read as it was then:
    after the landing, always after the grant."""
    if state.intake is None:
        return False
    granted_on = state.grant_day
    if e.amended_on is None or granted_on is None:
        return e.after_intake_opened
    return e.amended_on >= granted_on


def _terms(state: CourtCase, e: BaseModel) -> CourtCase:
    assert isinstance(e, ev.SurrenderTermsNoted)
    terms = Terms(e.source, e.legal_basis, e.requesting_district, e.granted_charge_ids,
                  e.kind, e.return_obligation, e.return_conditions, e.decided_on,
                  e.authorized_at)
    return replace(state, case_id=e.case_id, terms={**state.terms, e.source: terms})


def _intake(state: CourtCase, e: BaseModel) -> CourtCase:
    assert isinstance(e, ev.IntakeOpened)
    # Restated after the grant: another offence, resting on no facts of the request.
    charges = {**state.charges, **{c: replace(state.charges[c], facts_of=None)
                                   for c in e.restated_after_grant if c in state.charges}}
    return replace(state, charges=charges, intake=Intake(
        e.district, e.landing_district, e.landed_at, e.airport, e.flight_id, e.legal_basis,
        e.granted_charge_ids, e.terms_source, e.specialty_defence_available, e.specialty_note,
        e.surrender_kind, e.return_obligation, e.return_conditions,
        e.landed_in_charging_district))


def _docket(state: CourtCase, e: BaseModel) -> CourtCase:
    assert isinstance(e, ev.DocketAssigned)
    return replace(state, docket_number=e.docket_number)


def _appearance(state: CourtCase, e: BaseModel) -> CourtCase:
    assert isinstance(e, ev.InitialAppearanceHeld)
    return replace(state, appearance=Appearance(e.held_at, e.magistrate, e.hours_elapsed,
                                                e.limit_hours, e.late))


def _detained(state: CourtCase, e: BaseModel) -> CourtCase:
    assert isinstance(e, ev.DetentionOrdered)
    return replace(state, detention=Detention("detained", e.ordered_on, e.grounds))


def _released(state: CourtCase, e: BaseModel) -> CourtCase:
    assert isinstance(e, ev.ReleasedOnConditions)
    return replace(state, detention=Detention("released_on_conditions", e.released_on,
                                              e.conditions))


def _arraigned(state: CourtCase, e: BaseModel) -> CourtCase:
    assert isinstance(e, ev.Arraigned)
    return replace(state, arraignments=(*state.arraignments,
                                        Arraignment(e.arraigned_on, e.plea, e.charge_ids)))


def _superseding(state: CourtCase, e: BaseModel) -> CourtCase:
    assert isinstance(e, ev.SupersedingIndictmentFiled)
    charges = dict(state.charges)
    for text in e.charges:
        known = charges.get(text.charge_id)
        # Resolved on filing (the domain's request_facts); older indictments name a charge.
        facts = text.facts_of if e.facts_resolved else _facts_on_filing(state, text.facts_of)
        if known is None:
            charges[text.charge_id] = replace(
                _charge(text, ChargeOrigin.SUPERSEDING, e.indictment_number), facts_of=facts,
                facts_since=e.filed_on)
        else:
            since = known.facts_since if facts == known.facts_of else e.filed_on
            charges[text.charge_id] = replace(known, statute=text.statute,
                                              description=text.description, facts_of=facts,
                                              facts_since=since)
    indictment = Indictment(e.indictment_number, e.filed_on,
                            tuple(c.charge_id for c in e.charges), e.added_charge_ids,
                            e.specialty_block_applies)
    consents = {c: consent for c, consent in state.consents.items()
                if c not in e.consents_lapsed}
    exceptions = tuple(found.lapsing(e.exceptions_lapsed) for found in state.exceptions)
    return replace(state, charges=charges, indictments=(*state.indictments, indictment),
                   consents=consents, exceptions=exceptions)


def _facts_on_filing(state: CourtCase, named: str | None) -> str | None:
    """How indictments filed before `facts_resolved` are read: a count naming `named` rests
    on the facts `named` itself rested on when the count was filed (its own, a granted
    charge's it re-described, or none), so re-describing `named` later moves no count filed on
    it before (treaty art. 17(2)(a): the facts set forth in the request)."""
    known = state.charges.get(named) if named is not None else None
    return named if known is None else known.facts_of


def request_facts(state: CourtCase, named: str) -> str | None:
    """The charge whose request facts a count naming `named` rests on: the facts `named`
    rested on when the count was filed (its own, or a granted charge's it re-described), so
    re-describing `named` later moves no count filed on it before. A charge of the request (or
    of an amendment) that the US restated as a new offence, resting on no request facts now,
    still has the conduct the request described for it, and that is what a count naming it
    rests on (treaty art. 17(2)(a): "the same group of facts established in the request");
    a superseding count has no request facts but those it rested on."""
    known = state.charges.get(named)
    if known is None:
        return named
    if known.origin is ChargeOrigin.SUPERSEDING or known.facts_of is not None:
        return known.facts_of
    return named


def _blocked(state: CourtCase, e: BaseModel) -> CourtCase:
    assert isinstance(e, ev.SpecialtyViolationBlocked)
    return replace(state, flagged=state.flagged | set(e.charge_ids))


def _consent_requested(state: CourtCase, e: BaseModel) -> CourtCase:
    assert isinstance(e, ev.SpecialtyConsentRequested)
    updates = {c: Consent("requested", e.requested_on) for c in e.charge_ids}
    return replace(state, consents={**state.consents, **updates})


def _consent_decided(status: str) -> Callable[[CourtCase, BaseModel], CourtCase]:
    def applier(state: CourtCase, e: BaseModel) -> CourtCase:
        assert isinstance(e, ev.SpecialtyConsentDecided)
        updates = {c: replace(state.consents[c], status=status, decided_on=e.decided_on,
                              diplomatic_note_reference=e.diplomatic_note_reference)
                   for c in e.charge_ids}
        return replace(state, consents={**state.consents, **updates})

    return applier


def _ended(state: CourtCase, e: BaseModel) -> CourtCase:
    assert isinstance(e, ev.ProceedingsEnded)
    return replace(state, ended=e)


def _return_due(state: CourtCase, e: BaseModel) -> CourtCase:
    assert isinstance(e, ev.ReturnToMexicoDue)
    return replace(state, return_due=ReturnDue(e.due_on, e.conditions))


def _exception(state: CourtCase, e: BaseModel) -> CourtCase:
    assert isinstance(e, ev.SpecialtyExceptionRecorded)
    found = ExceptionFound(e.exception, e.found_on, e.charge_ids)
    return replace(state, exceptions=(*state.exceptions, found))


def _reextradition_requested(state: CourtCase, e: BaseModel) -> CourtCase:
    assert isinstance(e, ev.ReextraditionRequested)
    return replace(state, reextraditions={**state.reextraditions,
                                          e.requesting_state: Reextradition(e.requested_on)})


def _reextradition_decided(consent: str) -> Callable[[CourtCase, BaseModel], CourtCase]:
    def applier(state: CourtCase, e: BaseModel) -> CourtCase:
        assert isinstance(e, ev.ReextraditionConsentDecided)
        decided = replace(state.reextraditions[e.requesting_state], consent=consent,
                          decided_on=e.decided_on,
                          diplomatic_note_reference=e.diplomatic_note_reference)
        return replace(state, reextraditions={**state.reextraditions,
                                              e.requesting_state: decided})

    return applier


def _onward(state: CourtCase, e: BaseModel) -> CourtCase:
    assert isinstance(e, ev.OnwardSurrenderRecorded)
    surrendered = replace(state.reextraditions[e.requesting_state],
                          surrendered_on=e.surrendered_on)
    return replace(state, reextraditions={**state.reextraditions,
                                          e.requesting_state: surrendered})


_APPLIERS = {
    ev.REQUEST_NOTED: _request,
    ev.CHARGES_AMENDMENT_NOTED: _amended,
    ev.SURRENDER_TERMS_NOTED: _terms,
    ev.INTAKE_OPENED: _intake,
    ev.DOCKET_ASSIGNED: _docket,
    ev.INITIAL_APPEARANCE_HELD: _appearance,
    ev.DETENTION_ORDERED: _detained,
    ev.RELEASED_ON_CONDITIONS: _released,
    ev.ARRAIGNED: _arraigned,
    ev.SUPERSEDING_INDICTMENT_FILED: _superseding,
    ev.SPECIALTY_VIOLATION_BLOCKED: _blocked,
    ev.SPECIALTY_CONSENT_REQUESTED: _consent_requested,
    ev.SPECIALTY_CONSENT_GRANTED: _consent_decided("granted"),
    ev.SPECIALTY_CONSENT_REFUSED: _consent_decided("refused"),
    ev.PROCEEDINGS_ENDED: _ended,
    ev.RETURN_TO_MEXICO_DUE: _return_due,
    ev.SPECIALTY_EXCEPTION_RECORDED: _exception,
    ev.REEXTRADITION_REQUESTED: _reextradition_requested,
    ev.REEXTRADITION_CONSENT_GRANTED: _reextradition_decided("granted"),
    ev.REEXTRADITION_CONSENT_REFUSED: _reextradition_decided("refused"),
    ev.ONWARD_SURRENDER_RECORDED: _onward,
}

# The state after one event (by type and payload, or as recorded); unknown event types only
# advance the sequence.
FOLD: EventTable[CourtCase] = EventTable(ev.EVENT_MODELS, _APPLIERS)
apply = FOLD.apply
evolve = FOLD.evolve
