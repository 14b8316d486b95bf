"""The assurance service's events: its published contract (topic runway.assurance.events).

One stream per case (stream id = case id, stream type "assurance_case"). Every payload carries
`case_id` and the real-world dates it is about. Event types never change meaning; a change that
isn't backwards compatible gets a new schema_version.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

CASE_OPENED = "assurance.case_opened"
CAPITAL_CHARGE_IDENTIFIED = "assurance.capital_charge_identified"
CAPITAL_CHARGE_WITHDRAWN = "assurance.capital_charge_withdrawn"
ASSURANCE_REQUESTED = "assurance.assurance_requested"
ASSURANCE_RECEIVED = "assurance.assurance_received"
ASSURANCE_ACCEPTED = "assurance.assurance_accepted"
ASSURANCE_REJECTED = "assurance.assurance_rejected"
ASSURANCE_WITHDRAWN = "assurance.assurance_withdrawn"
DOJ_COMMITMENT_RECORDED = "assurance.doj_commitment_recorded"
CLEARANCE_GRANTED = "assurance.death_penalty_clearance_granted"
CLEARANCE_WITHDRAWN = "assurance.death_penalty_clearance_withdrawn"
TRANSFER_NOTED = "assurance.transfer_noted"
TRANSFER_WITHOUT_CLEARANCE_FLAGGED = "assurance.transfer_without_clearance_flagged"

# The version every event type is published in, except those listed in SCHEMA_VERSIONS.
SCHEMA_VERSION = 1
SCHEMA_VERSIONS: dict[str, int] = {ASSURANCE_RECEIVED: 2}


def schema_version(event_type: str) -> int:
    """The version of `event_type` this service publishes now."""
    return SCHEMA_VERSIONS.get(event_type, SCHEMA_VERSION)


class Scope(StrEnum):
    """What the US promises about death (treaty art. 8 asks for one of the last two)."""

    NOT_SOUGHT = "not_sought"            # prosecutors will not ask for death
    NOT_IMPOSED = "not_imposed"          # death will not be imposed
    NOT_CARRIED_OUT = "not_carried_out"  # if imposed, it will not be carried out


class ClearanceBasis(StrEnum):
    NO_CAPITAL_CHARGES = "no_capital_charges"
    ASSURANCES_ACCEPTED = "assurances_accepted"
    DOJ_COMMITMENT = "doj_commitment"


class ClearanceException(StrEnum):
    """Why a clearance, though valid now, did not exist when the person left Mexico."""

    COMMITMENT_AFTER_TRANSFER = "commitment_after_transfer"
    GRANTED_AFTER_TRANSFER = "granted_after_transfer"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CaseOpened(Frozen):
    """The case became known from intake.request_submitted (before any capital charge)."""

    case_id: str
    legal_basis: str = Field(description="treaty | simplified | national_security")
    charge_ids: tuple[str, ...] = Field(description="every charge of the request")
    submitted_at: datetime = Field(description="when intake recorded the request")
    intake_event_id: str


class CapitalChargeIdentified(Frozen):
    """A charge became capital-eligible (death is a possible sentence in the US)."""

    case_id: str
    charge_id: str
    statute: str
    death_penalty_law: str | None
    generation: int = Field(ge=1, description="how many times this charge id has been "
                                              "identified; assurances cover one generation")
    source: str = Field(description="request_submitted | charges_amended")
    amendment_reason: str | None = None
    identified_at: datetime = Field(description="when intake recorded the charges")


class CapitalChargeWithdrawn(Frozen):
    """A capital charge is no longer one: removed, no longer capital, or its terms changed."""

    case_id: str
    charge_id: str
    statute: str
    reason: str = Field(description="charge_removed | no_longer_capital | charge_terms_changed")
    amendment_reason: str | None = None
    withdrawn_at: datetime


class AssuranceRequested(Frozen):
    case_id: str
    charge_ids: tuple[str, ...]
    requested_on: date
    note: str | None = None


class DiplomaticNote(Frozen):
    """The diplomatic note that carries a US assurance."""

    reference: str = Field(description="the note's reference, e.g. US Embassy note 2025-117")
    issuing_authority: str = Field(description="who issued it, e.g. US Department of State")
    issued_on: date


class AssuranceReceived(Frozen):
    """assurance.assurance_received v2: a US death-penalty assurance arrived, as a diplomatic
    note (v1 carried the note's reference, authority and date as three loose fields)."""

    case_id: str
    assurance_id: str
    scope: tuple[Scope, ...]
    diplomatic_note: DiplomaticNote
    charge_ids: tuple[str, ...]
    scope_sufficient: bool = Field(description="whether Mexico could accept it under the "
                                               "configured sufficient scopes, at receipt")


class AssuranceReceivedV1(Frozen):
    """assurance.assurance_received v1 (no longer produced; upcast to v2 on read)."""

    case_id: str
    assurance_id: str
    scope: tuple[Scope, ...]
    diplomatic_note_reference: str
    issuing_authority: str
    issued_on: date
    charge_ids: tuple[str, ...]
    scope_sufficient: bool = Field(description="whether Mexico could accept it under the "
                                               "configured sufficient scopes, at receipt")


def assurance_received_v1_to_v2(v1: Mapping[str, Any]) -> dict[str, Any]:
    """v1 -> v2: the three note fields move into `diplomatic_note`; nothing else changes."""
    v2 = {k: v for k, v in v1.items()
          if k not in ("diplomatic_note_reference", "issuing_authority", "issued_on")}
    v2["diplomatic_note"] = {"reference": v1["diplomatic_note_reference"],
                             "issuing_authority": v1["issuing_authority"],
                             "issued_on": v1["issued_on"]}
    return v2


class AssuranceAccepted(Frozen):
    case_id: str
    assurance_id: str
    decided_on: date
    reason: str
    charge_ids: tuple[str, ...]
    scope: tuple[Scope, ...]


class AssuranceRejected(Frozen):
    case_id: str
    assurance_id: str
    decided_on: date
    reason: str
    charge_ids: tuple[str, ...]


class AssuranceWithdrawn(Frozen):
    """The US withdrew the assurance, or Mexico revoked its acceptance: it covers nothing."""

    case_id: str
    assurance_id: str
    withdrawn_on: date
    reason: str
    charge_ids: tuple[str, ...]


class DojCommitmentRecorded(Frozen):
    """National-security basis: the DOJ committed not to seek death (covers every capital
    charge of the case, including ones identified later)."""

    case_id: str
    reference: str
    committed_on: date
    authority: str
    scope: str
    after_transfer: bool = Field(description="the person had already been transferred")
    transferred_at: datetime | None = None


class ClearanceGranted(Frozen):
    """Every capital charge is covered (or there is none). Re-issued when the basis, the
    exception or the set of covered charges changes while the case stays cleared."""

    case_id: str
    basis: ClearanceBasis
    charge_ids: tuple[str, ...] = Field(description="the capital charges covered")
    assurance_ids: tuple[str, ...] = Field(description="accepted assurances relied on")
    doj_commitment_reference: str | None = None
    cleared_since: datetime = Field(description="start of the uninterrupted clearance")
    granted_at: datetime
    exception: ClearanceException | None = None


class ClearanceWithdrawn(Frozen):
    case_id: str
    reason: str = Field(description="capital_charge_identified | assurance_withdrawn | ...")
    charge_ids: tuple[str, ...] = Field(description="the capital charges now uncovered")
    withdrawn_at: datetime
    cleared_since: datetime | None = None


class TransferNoted(Frozen):
    """transport.custody_transferred seen: the person is in US custody."""

    case_id: str
    transferred_at: datetime
    cleared_at_transfer: bool
    transport_event_id: str


class TransferWithoutClearanceFlagged(Frozen):
    """For auditors: custody passed to the US while the case was not cleared."""

    case_id: str
    transferred_at: datetime
    uncovered_charge_ids: tuple[str, ...]
    reason: str = Field(description="not_cleared | cleared_after_transfer")
    cleared_since: datetime | None = None


EVENT_MODELS: dict[str, type[Frozen]] = {
    CASE_OPENED: CaseOpened,
    CAPITAL_CHARGE_IDENTIFIED: CapitalChargeIdentified,
    CAPITAL_CHARGE_WITHDRAWN: CapitalChargeWithdrawn,
    ASSURANCE_REQUESTED: AssuranceRequested,
    ASSURANCE_RECEIVED: AssuranceReceived,
    ASSURANCE_ACCEPTED: AssuranceAccepted,
    ASSURANCE_REJECTED: AssuranceRejected,
    ASSURANCE_WITHDRAWN: AssuranceWithdrawn,
    DOJ_COMMITMENT_RECORDED: DojCommitmentRecorded,
    CLEARANCE_GRANTED: ClearanceGranted,
    CLEARANCE_WITHDRAWN: ClearanceWithdrawn,
    TRANSFER_NOTED: TransferNoted,
    TRANSFER_WITHOUT_CLEARANCE_FLAGGED: TransferWithoutClearanceFlagged,
}

# Earlier versions, still readable (stored, and on the topic): their models, for the published
# schemas, and the upcasters that bring them to the current version (shared/upcasting.py).
PAST_MODELS: dict[tuple[str, int], type[Frozen]] = {
    (ASSURANCE_RECEIVED, 1): AssuranceReceivedV1,
}
UPCASTERS = {
    (ASSURANCE_RECEIVED, 1): assurance_received_v1_to_v2,
}
