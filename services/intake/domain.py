"""Intake's rules: what a clerk checks before an extradition request becomes a case.

`check_request` returns every problem at once, each naming the field and the rule, so an
operator can fix a request in one pass. The case stream itself is small: the request, then
any charge amendments, and perhaps the erasure of the person's personal data.

Rules are checked on the request as submitted (the person in clear); the event records the
person sealed (shared/pii), so the rules never read a sealed field.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime

from shared.errors import InvalidRequest, Problem
from shared.eventstore import NewEvent, RecordedEvent
from shared.legaltime import legal_date, start_of_legal_day
from shared.pii.sealing import Sealed

from . import rules as R  # noqa: N812 (the rule book: R.X)
from .districts import US_DISTRICTS
from .events import (
    CHARGES_AMENDED,
    PERSONAL_DATA_ERASED,
    REQUEST_SUBMITTED,
    Charge,
    ChargesAmended,
    DocumentRef,
    LegalBasis,
    PersonalDataErased,
    RequestSubmitted,
    RequestSubmittedV1,
    SealedPerson,
    schema_version,
)


class ClearRequest(RequestSubmittedV1):
    """The request as submitted, the person in clear: v1's payload (rules read it; only v2,
    with the person sealed, is recorded now) and the request's legal date if given."""

    requested_on: date | None = None

# Treaty arts. 1-2: each offence punishable by at least a year in both countries; a sentence
# is enforced only with at least six months of it left to serve.
MIN_PENALTY_YEARS = 1.0
MIN_SENTENCE_REMAINING_YEARS = 0.5


def new_case_id() -> str:
    return f"RWY-{secrets.token_hex(5).upper()}"


def check_charges(charges: tuple[Charge, ...], loc: str = "charges") -> list[Problem]:
    problems: list[Problem] = []
    if not charges:
        problems.append(Problem((loc,), R.CHARGES_REQUIRED.id, "at least one charge is required"))
    seen: set[str] = set()
    for index, charge in enumerate(charges):
        where = (loc, index)
        if charge.charge_id in seen:
            problems.append(Problem((*where, "charge_id"), R.CHARGE_ID_UNIQUE.id,
                                    f"charge_id {charge.charge_id!r} appears twice"))
        seen.add(charge.charge_id)
        for side, penalty in (("max_penalty_us", charge.max_penalty_us),
                              ("max_penalty_mx", charge.max_penalty_mx)):
            if not penalty.at_least(MIN_PENALTY_YEARS):
                country = "the US" if side.endswith("us") else "Mexico"
                problems.append(Problem(
                    (*where, side), R.DUAL_CRIMINALITY.id,
                    f"the offence must carry at least {MIN_PENALTY_YEARS:g} year in {country} "
                    "(treaty arts. 1-2)"))
        remaining = charge.sentence_remaining
        if remaining is not None and not remaining.at_least(MIN_SENTENCE_REMAINING_YEARS):
            problems.append(Problem(
                (*where, "sentence_remaining"), R.SENTENCE_REMAINING_TOO_SHORT.id,
                "at least six months of the sentence must be left to serve (treaty art. 2)"))
        if charge.death_penalty_possible and not (charge.death_penalty_law or "").strip():
            problems.append(Problem((*where, "death_penalty_law"), R.DEATH_PENALTY_LAW_REQUIRED.id,
                                    "name the law under which death is a possible sentence"))
    return problems


def _has(documents: tuple[DocumentRef, ...], kind: str) -> bool:
    return any(d.kind == kind for d in documents)


def check_basis(request: ClearRequest) -> list[Problem]:
    problems: list[Problem] = []
    docs = request.documents
    if request.legal_basis in (LegalBasis.TREATY, LegalBasis.SIMPLIFIED) and not _has(
            docs, "arrest_warrant"):
        problems.append(Problem(("documents",), R.ARREST_WARRANT_REQUIRED.id,
                                f"the {request.legal_basis.value} basis needs the certified "
                                "arrest warrant (a document of kind 'arrest_warrant')"))
    if request.legal_basis is LegalBasis.TREATY and not (
            _has(docs, "diplomatic_note") or request.provisional_arrest_date):
        problems.append(Problem(("documents",), R.DIPLOMATIC_NOTE_OR_PROVISIONAL_ARREST.id,
                                "a treaty request arrives by diplomatic note (a document of kind "
                                "'diplomatic_note') or starts with a provisional arrest date"))
    if request.legal_basis is LegalBasis.SIMPLIFIED and not _has(docs, "consent_statement"):
        problems.append(Problem(("documents",), R.CONSENT_STATEMENT_REQUIRED.id,
                                "the simplified basis rests on the person's consent (a "
                                "document of kind 'consent_statement')"))
    if request.legal_basis is LegalBasis.NATIONAL_SECURITY \
            and not (request.us_request_reference or "").strip():
        problems.append(Problem(("us_request_reference",), R.WRITTEN_US_REQUEST_REQUIRED.id,
                                "a national-security transfer needs the written US request"))
    return problems


def check_dates(request: ClearRequest, today: date) -> list[Problem]:
    problems: list[Problem] = []
    born = request.person.date_of_birth
    arrested = request.provisional_arrest_date
    if born and born >= today:
        problems.append(Problem(("person", "date_of_birth"), R.DATES_IN_ORDER.id,
                                "the date of birth must be in the past"))
    if arrested and arrested > today:
        problems.append(Problem(("provisional_arrest_date",), R.DATES_IN_ORDER.id,
                                "the provisional arrest date cannot be in the future"))
    if born and arrested and arrested <= born:
        problems.append(Problem(("provisional_arrest_date",), R.DATES_IN_ORDER.id,
                                "the provisional arrest must come after the date of birth"))
    if born and request.requested_on and request.requested_on <= born:
        problems.append(Problem(("requested_on",), R.DATES_IN_ORDER.id,
                                "the request's date must come after the date of birth"))
    if request.requested_on and request.requested_on > today:
        problems.append(Problem(("requested_on",), R.DATE_IN_FUTURE.id,
                                f"the request's date {request.requested_on} is after today's "
                                f"legal date ({today})"))
    return problems


def check_request(request: ClearRequest, today: date) -> list[Problem]:
    problems = check_charges(request.charges) + check_basis(request) + check_dates(request, today)
    if request.requesting_district not in US_DISTRICTS:
        problems.append(Problem(("requesting_district",), R.KNOWN_US_DISTRICT.id,
                                f"{request.requesting_district!r} is not a US district "
                                "abbreviation such as EDNY, SDCA or DDC"))
    return problems


@dataclass(frozen=True)
class CaseState:
    case_id: str | None = None
    # v2 (the person sealed), or v1 for a case submitted before personal data was sealed.
    request: RequestSubmitted | RequestSubmittedV1 | None = None
    personal_data_erased_at: datetime | None = None
    # The legal time of the charges as they stand: the request's, or the last amendment's.
    charges_at: datetime | None = None

    @property
    def person_id(self) -> str | None:
        """The person's id (their data key's name); None before v2 sealed the person."""
        return self.request.person.person_id if isinstance(self.request,
                                                           RequestSubmitted) else None


def initial() -> CaseState:
    return CaseState()


def evolve(state: CaseState, event: RecordedEvent) -> CaseState:
    if event.event_type == REQUEST_SUBMITTED:
        model = RequestSubmittedV1 if event.schema_version == 1 else RequestSubmitted
        request = model.model_validate_json(event.payload_json)
        return CaseState(case_id=request.case_id, request=request,
                         charges_at=event.occurred_at)
    if event.event_type == CHARGES_AMENDED and state.request is not None:
        amended = ChargesAmended.model_validate_json(event.payload_json)
        return replace(state, request=state.request.model_copy(
            update={"charges": amended.charges}), charges_at=event.occurred_at)
    if event.event_type == PERSONAL_DATA_ERASED:
        erased = PersonalDataErased.model_validate_json(event.payload_json)
        return replace(state, personal_data_erased_at=erased.erased_at)
    return state


def check_submission(request: ClearRequest, today: date) -> None:
    problems = check_request(request, today)
    if problems:
        raise InvalidRequest(problems)


def submitted(request: ClearRequest, person_id: str, sealed: Sealed) -> list[NewEvent]:
    """The request as recorded: everything but the person's identity in clear. It happened
    on its legal date (the US request's or the diplomatic note's), not when it was typed in,
    so a timeline in legal order puts it before the acts it started; without a date given,
    the moment of entry is the best there is (the store fills it in)."""
    person = SealedPerson(person_id=person_id, nationality=request.person.nationality,
                          sealed=sealed)
    event = RequestSubmitted(**{**dict(request), "person": person})
    occurred_at = (None if request.requested_on is None
                   else start_of_legal_day(request.requested_on))
    return [NewEvent(REQUEST_SUBMITTED, event.model_dump(mode="json"),
                     schema_version=schema_version(REQUEST_SUBMITTED),
                     occurred_at=occurred_at)]


def person_to_erase(state: CaseState) -> str:
    """The id of the person whose personal data may be erased now, or the rule refusing."""
    if state.request is None:
        R.CASE_MUST_EXIST.refuse("there is no request on this case")
    if state.personal_data_erased_at is not None:
        R.PERSONAL_DATA_ALREADY_ERASED.refuse("the personal data of this case was erased on "
                                              f"{state.personal_data_erased_at.isoformat()}")
    if state.person_id is None:
        R.PERSONAL_DATA_NOT_SEALED.refuse(
            "this request was recorded before personal data was sealed "
            "(intake.request_submitted v1): its names are in clear in the event log, and "
            "deleting a key cannot erase them")
    return state.person_id


def erase_personal_data(state: CaseState, erased_at: datetime, reason: str) -> list[NewEvent]:
    person_id = person_to_erase(state)
    assert state.case_id is not None
    payload = PersonalDataErased(case_id=state.case_id, person_id=person_id,
                                 erased_at=erased_at, reason=reason)
    return [NewEvent(PERSONAL_DATA_ERASED, payload.model_dump(mode="json"),
                     schema_version=schema_version(PERSONAL_DATA_ERASED))]


def _by_id(charges: tuple[Charge, ...]) -> dict[str, Charge]:
    """Charges as a case holds them: each by its id (unique), in no order."""
    return {c.charge_id: c for c in charges}


def amend_charges(state: CaseState, charges: tuple[Charge, ...], reason: str,
                  amended_on: date | None, today: date) -> list[NewEvent]:
    """The charges replaced. The amendment happened on its legal date when the operator gave
    it (the superseding indictment's), so the counts it adds are charged from that day in
    every service; without one, from its entry."""
    if state.request is None or state.case_id is None:
        R.CASE_MUST_EXIST.refuse("there is no request to amend")
    problems = [*check_charges(charges), *_amendment_date_problems(state, amended_on, today)]
    if problems:
        raise InvalidRequest(problems)
    if _by_id(charges) == _by_id(state.request.charges):
        R.AMENDMENT_CHANGES_NOTHING.refuse("the charges are unchanged")
    payload = ChargesAmended(case_id=state.case_id, charges=charges, reason=reason,
                             amended_on=amended_on)
    occurred_at = None if amended_on is None else _amended_at(state, amended_on)
    return [NewEvent(CHARGES_AMENDED, payload.model_dump(mode="json"),
                     occurred_at=occurred_at)]


def _amendment_date_problems(state: CaseState, amended_on: date | None,
                             today: date) -> list[Problem]:
    if amended_on is None:
        return []
    if amended_on > today:
        return [Problem(("amended_on",), R.DATE_IN_FUTURE.id,
                        f"the amendment's date {amended_on} is after today's legal date "
                        f"({today})")]
    replaced_on = None if state.charges_at is None else legal_date(state.charges_at)
    if replaced_on is not None and amended_on < replaced_on:
        return [Problem(("amended_on",), R.DATES_IN_ORDER.id,
                        f"the amendment's date {amended_on} is before the date of the charges "
                        f"it replaces ({replaced_on})")]
    return []


def _amended_at(state: CaseState, amended_on: date) -> datetime:
    """The start of its legal day, but never before the charges it replaces: on the day of a
    request dated by its entry, the amendment comes after it, not at midnight before it."""
    start = start_of_legal_day(amended_on)
    return start if state.charges_at is None else max(start, state.charges_at)
