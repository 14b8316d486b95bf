"""The intake service's events: its published contract (topic runway.intake.events).

Payloads are pydantic models; `event_type` strings are explicit and never change meaning.
A change that isn't backwards compatible gets a new schema_version (see contracts/).

Personal data (names, aliases, date of birth) never enters a payload in clear: from v2 of
intake.request_submitted it is sealed under the person's own key (shared/pii), so erasing that
key (intake.personal_data_erased) leaves only ciphertext in the log.
"""

from __future__ import annotations

from datetime import date
from typing import Generic, TypeVar

from pydantic import AwareDatetime, Field

from shared.legal_time_kinds import LegalTime, doc, entry
from shared.legalbasis import LegalBasis as LegalBasis  # re-exported: the events name it
from shared.payloads import Frozen
from shared.pii.person import PERSON_CONTEXT
from shared.pii.sealing import Sealed

REQUEST_SUBMITTED = "intake.request_submitted"
CHARGES_AMENDED = "intake.charges_amended"
PERSONAL_DATA_ERASED = "intake.personal_data_erased"

# The version every event type is published in, except those listed in SCHEMA_VERSIONS.
SCHEMA_VERSION = 1
SCHEMA_VERSIONS: dict[str, int] = {REQUEST_SUBMITTED: 2}


def schema_version(event_type: str) -> int:
    """The version this service publishes `event_type` in."""
    return SCHEMA_VERSIONS.get(event_type, SCHEMA_VERSION)


class Penalty(Frozen):
    """A maximum penalty: a number of years, or life imprisonment."""

    years: float | None = Field(default=None, ge=0, description="maximum term in years")
    life: bool = Field(default=False, description="life imprisonment is possible")

    def at_least(self, years: float) -> bool:
        return self.life or (self.years is not None and self.years >= years)


class Charge(Frozen):
    charge_id: str = Field(min_length=1, max_length=40, description="stable id within the case")
    statute: str = Field(min_length=1, max_length=200, description="e.g. 21 U.S.C. § 848")
    description: str = Field(min_length=1, max_length=2000)
    max_penalty_us: Penalty
    mx_equivalent_offence: str = Field(min_length=1, max_length=500,
                                       description="the equivalent offence in Mexican law")
    max_penalty_mx: Penalty
    death_penalty_possible: bool = Field(description="death is a possible sentence in the US")
    death_penalty_law: str | None = Field(default=None, max_length=300,
                                          description="the law that allows death, if possible")
    sentence_remaining: Penalty | None = Field(
        default=None, description="when the US asks for the person to serve a sentence already "
                                  "passed on this charge: the part left to serve (absent: the "
                                  "person is wanted for prosecution)")


class Person(Frozen):
    """The person as an operator submits them (and as v1 of request_submitted carried them)."""

    given_names: str = Field(min_length=1, max_length=200)
    family_names: str = Field(min_length=1, max_length=200)
    aliases: tuple[str, ...] = ()
    date_of_birth: date | None = None
    nationality: str = Field(min_length=2, max_length=100)


class DocumentRef(Frozen):
    kind: str = Field(min_length=1, max_length=100,
                      description="e.g. diplomatic_note, arrest_warrant, indictment")
    reference: str = Field(min_length=1, max_length=300)


class SealedPerson(Frozen):
    """The person in intake.request_submitted v2: an id, the nationality, and the rest sealed."""

    person_id: str = Field(min_length=1, max_length=64,
                           description="the person's id; names their data key in the key store")
    nationality: str = Field(min_length=2, max_length=100)
    sealed: Sealed = Field(description=(
        "{given_names, family_names, aliases, date_of_birth} as canonical JSON, sealed with "
        "AES-256-GCM under the person's data key; the associated data is the canonical JSON "
        f'["runway.pii.v1", person_id, "{PERSON_CONTEXT}"]. Unreadable once the personal '
        "data was erased (intake.personal_data_erased)"))


PersonT = TypeVar("PersonT", "Person", "SealedPerson")


class _Request(Frozen, Generic[PersonT]):
    """What both versions of intake.request_submitted say about the request; they differ in
    how they carry the person (v1 in clear, v2 sealed)."""

    case_id: str
    person: PersonT
    legal_basis: LegalBasis
    requesting_district: str = Field(description="US district court, e.g. EDNY, SDCA")
    prosecutor_office: str
    charges: tuple[Charge, ...]
    provisional_arrest_date: date | None = None
    documents: tuple[DocumentRef, ...] = ()
    us_request_reference: str | None = Field(
        default=None, description="the written US request (national-security basis)")
    request_reference: str | None = Field(
        default=None, description="the requester's own reference (e.g. an OIA file number)")


class RequestSubmittedV1(_Request[Person]):
    """intake.request_submitted v1: an operator submitted an extradition request (the person
    in clear; no longer produced. Consumers read it and v2 each: no upcaster can seal)."""


class RequestSubmitted(_Request[SealedPerson]):
    """intake.request_submitted v2: an operator submitted an extradition request. The
    person's names, aliases and date of birth are sealed under their own key.

    The event's `occurred_at` (CloudEvents `time`) is the request's legal time: the start of
    `requested_on` in the legal time zone when the operator gave that date, else the moment
    the request was entered."""

    requested_on: date | None = Field(
        default=None, description=(
            "the request's legal date as the operator gave it: the date of the US request or "
            "of the diplomatic note. Absent (as in events recorded before it existed): none "
            "was given, and the request counts from when it was entered (the event's "
            "occurred_at)"))


class ChargesAmended(Frozen):
    """intake.charges_amended v1: the charge list was replaced (e.g. a new count)."""

    case_id: str
    charges: tuple[Charge, ...]
    reason: str
    amended_on: date | None = Field(
        default=None, description=(
            "the amendment's legal date as the operator gave it: the superseding indictment's "
            "or the amended request's. Absent (as in events recorded before it existed): none "
            "was given, and the amendment counts from when it was entered (occurred_at)"))


class PersonalDataErased(Frozen):
    """intake.personal_data_erased v1: a privacy officer erased the person's personal data.

    The person's data key is deleted: the sealed data in every event is unreadable from now
    on, and every service blanks the name it shows. The events stay, and so do their hashes."""

    case_id: str
    person_id: str = Field(description="whose data key was deleted")
    erased_at: AwareDatetime
    reason: str = Field(description="why (the legal ground); holds no personal data")


EVENT_MODELS: dict[str, type[Frozen]] = {
    REQUEST_SUBMITTED: RequestSubmitted,
    CHARGES_AMENDED: ChargesAmended,
    PERSONAL_DATA_ERASED: PersonalDataErased,
}
PAST_MODELS: dict[tuple[str, int], type[Frozen]] = {
    (REQUEST_SUBMITTED, 1): RequestSubmittedV1,
}
# No upcaster from v1 to v2: v2 holds only ciphertext, and an upcaster is a pure function
# with no key to seal with. Consumers declare a handler for each version instead
# (contracts/VERSIONING.md, "Versions read side by side").
READ_SIDE_BY_SIDE: dict[tuple[str, int], str] = {
    (REQUEST_SUBMITTED, 1): "v2 seals the personal data v1 carried in clear; no pure "
                            "function can seal, so consumers handle v1 and v2 each",
}


# Which time is each event's legal time (see shared/audit/legal_times.legal_times).
LEGAL_TIMES: dict[str, LegalTime] = {
    REQUEST_SUBMITTED: doc("requested_on", "the US request's or the diplomatic "
                                    "note's date, when the operator gave it; else the entry"),
    f"{REQUEST_SUBMITTED}.v1": entry("the request as entered by the operator"),
    CHARGES_AMENDED: doc("amended_on", "the superseding indictment's or amended request's "
                                       "date, when the operator gave it; else the entry"),
    PERSONAL_DATA_ERASED: doc("erased_at", "the erasure is Runway's own act"),
}
