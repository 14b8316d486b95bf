"""The intake service's events: its published contract (topic runway.intake.events).

Payloads are pydantic models; `event_type` strings are explicit and never change meaning.
A change that isn't backwards compatible gets a new schema_version (see contracts/).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

REQUEST_SUBMITTED = "intake.request_submitted"
CHARGES_AMENDED = "intake.charges_amended"


class LegalBasis(StrEnum):
    TREATY = "treaty"                        # 1978 treaty: the full judicial path
    SIMPLIFIED = "simplified"                # the person consents (treaty art. 18)
    NATIONAL_SECURITY = "national_security"  # Mexico's National Security Law transfer


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


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


class Person(Frozen):
    given_names: str = Field(min_length=1, max_length=200)
    family_names: str = Field(min_length=1, max_length=200)
    aliases: tuple[str, ...] = ()
    date_of_birth: date | None = None
    nationality: str = Field(min_length=2, max_length=100)


class DocumentRef(Frozen):
    kind: str = Field(min_length=1, max_length=100,
                      description="e.g. diplomatic_note, arrest_warrant, indictment")
    reference: str = Field(min_length=1, max_length=300)


class RequestSubmitted(Frozen):
    """intake.request_submitted v1: an operator submitted an extradition request."""

    case_id: str
    person: Person
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


class ChargesAmended(Frozen):
    """intake.charges_amended v1: the charge list was replaced (e.g. a new count)."""

    case_id: str
    charges: tuple[Charge, ...]
    reason: str


EVENT_MODELS: dict[str, type[Frozen]] = {
    REQUEST_SUBMITTED: RequestSubmitted,
    CHARGES_AMENDED: ChargesAmended,
}
