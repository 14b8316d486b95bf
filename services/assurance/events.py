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

from pydantic import Field

from shared.legal_time_kinds import LegalTime, cause, doc, with_act
from shared.legaltime import legal_date
from shared.payloads import Frozen

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
TRANSFER_FLAG_LIFTED = "assurance.transfer_flag_lifted"
BASIS_CHANGED = "assurance.basis_changed"

# The version every event type is published in, except those listed in SCHEMA_VERSIONS.
SCHEMA_VERSION = 1
SCHEMA_VERSIONS: dict[str, int] = {ASSURANCE_RECEIVED: 2, DOJ_COMMITMENT_RECORDED: 2,
                                   TRANSFER_NOTED: 2, TRANSFER_WITHOUT_CLEARANCE_FLAGGED: 2}


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


class CaseOpened(Frozen):
    """The case became known from intake.request_submitted (before any capital charge)."""

    case_id: str
    legal_basis: str = Field(description="treaty | simplified | national_security")
    charge_ids: tuple[str, ...] = Field(description="every charge of the request")
    submitted_at: datetime = Field(description="when intake recorded the request")
    intake_event_id: str


class BasisChanged(Frozen):
    """Judicial moved the case to another basis (judicial.basis_changed): a treaty case
    overtaken by a national-security transfer, where a DOJ commitment not to seek death plays
    the role of the treaty's assurances. Assurances already accepted still cover their
    counts."""

    case_id: str
    from_basis: str
    to_basis: str
    changed_on: date = Field(description="the national-security decision's date")
    judicial_event_id: str


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
    charges_as_dated: bool = Field(
        default=False, description="it covers each charge it names as the charge stood on "
        "the note's date (a count re-charged later needs a new assurance). False, as in "
        "events recorded before this field: as the charge stood when it was recorded")


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
    """assurance.doj_commitment_recorded v2: national-security basis: a written commitment
    not to seek death, its scope as data (which counts, which prosecuting authority, whether
    death is sought), and whether it was entered after the fact. v1 carried the scope only as
    text, and `after_transfer` compared it with the moment the transfer was *recorded*."""

    case_id: str
    reference: str
    committed_on: date = Field(description="the commitment's legal date (its document)")
    authority: str = Field(description="who signed it, e.g. US Department of Justice")
    scope: str = Field(description="the commitment's words")
    charge_ids: tuple[str, ...] | None = Field(
        default=None, description="the counts it covers; null: every count of the case")
    prosecuting_authority: str = Field(
        default="federal", description="federal, or the US state whose prosecution it binds")
    seeks_death: bool = Field(default=False, description="the prosecution says it will seek "
                                                         "death: then it clears nothing")
    after_transfer: bool = Field(description="committed_on is after the custody transfer's "
                                             "legal date (known when recorded)")
    transferred_at: datetime | None = None
    recorded_after_the_fact: bool = Field(
        default=False, description="clerical: entered on a later legal day than committed_on")
    charges_as_dated: bool = Field(
        default=False, description="the counts it names (charge_ids) are covered as they stood "
        "on committed_on (a count re-charged later is not). False, as in events recorded "
        "before this field: the named counts in any form")


class DojCommitmentRecordedV1(Frozen):
    """assurance.doj_commitment_recorded v1 (no longer produced; upcast to v2 on read)."""

    case_id: str
    reference: str
    committed_on: date
    authority: str
    scope: str
    after_transfer: bool = Field(description="the person had already been transferred")
    transferred_at: datetime | None = None


def doj_commitment_recorded_v1_to_v2(v1: Mapping[str, Any]) -> dict[str, Any]:
    """v1 -> v2: a v1 commitment covered every count of a federal prosecution and did not
    seek death (what v1 assumed); whether it was entered late was not recorded (false)."""
    return {**v1, "charge_ids": None, "prosecuting_authority": "federal",
            "seeks_death": False, "recorded_after_the_fact": False}


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
    """assurance.transfer_noted v2: transport.custody_transferred seen: the person is in US
    custody, judged on legal dates against the clearance (v1 compared the clearance's
    recorded time with the handoff's instant)."""

    case_id: str
    transferred_at: datetime = Field(description="the custody handoff's legal instant")
    transfer_legal_date: date = Field(description="its legal date (LEGAL_TIMEZONE)")
    cleared_at_transfer: bool = Field(description="the clearance's legal date is on or "
                                                  "before transfer_legal_date")
    transport_event_id: str
    recorded_after_the_fact: bool = Field(
        default=False, description="clerical: transport recorded the handoff on a later legal "
                                   "day than transfer_legal_date")


class TransferNotedV1(Frozen):
    """assurance.transfer_noted v1 (no longer produced; upcast to v2 on read)."""

    case_id: str
    transferred_at: datetime
    cleared_at_transfer: bool
    transport_event_id: str


def transfer_noted_v1_to_v2(v1: Mapping[str, Any]) -> dict[str, Any]:
    """v1 -> v2: the legal date of the handoff is computed from its instant; whether it was
    entered late was not recorded (false)."""
    instant = datetime.fromisoformat(str(v1["transferred_at"]).replace("Z", "+00:00"))
    return {**v1, "transfer_legal_date": legal_date(instant).isoformat(),
            "recorded_after_the_fact": False}


class TransferWithoutClearanceFlagged(Frozen):
    """assurance.transfer_without_clearance_flagged v2: for auditors: custody passed to the US
    before the case was cleared, naming the two legal dates compared (v1 named neither)."""

    case_id: str
    transferred_at: datetime
    transfer_legal_date: date = Field(description="the custody transfer's legal date")
    clearance_legal_date: date | None = Field(
        description="the clearance's legal date (the commitment's or the acceptance's); null "
                    "when there was none")
    uncovered_charge_ids: tuple[str, ...] = Field(
        description="the capital counts charged on the transfer's legal date that lacked an "
                    "accepted assurance or DOJ commitment that day (a count charged later is "
                    "not the transfer's)")
    reason: str = Field(description="not_cleared | cleared_after_transfer")
    cleared_since: datetime | None = Field(
        default=None, description="the start of the clearance compared (clearance_legal_date "
                                  "in legal time); null when there was none")


class TransferWithoutClearanceFlaggedV1(Frozen):
    """assurance.transfer_without_clearance_flagged v1 (upcast to v2 on read)."""

    case_id: str
    transferred_at: datetime
    uncovered_charge_ids: tuple[str, ...]
    reason: str = Field(description="not_cleared | cleared_after_transfer")
    cleared_since: datetime | None = None


def transfer_flagged_v1_to_v2(v1: Mapping[str, Any]) -> dict[str, Any]:
    """v1 -> v2: the dates it compared, as v1 compared them (cleared_since was a recorded
    time then: an old flag stays what it said, it is not re-judged here)."""
    def day(value: Any) -> str | None:
        if value is None:
            return None
        return legal_date(datetime.fromisoformat(str(value).replace("Z", "+00:00"))).isoformat()

    return {**v1, "transfer_legal_date": day(v1["transferred_at"]),
            "clearance_legal_date": day(v1.get("cleared_since"))}


class TransferFlagLifted(Frozen):
    """An act recorded after the fact shows the case was cleared in law on or before the
    custody transfer's legal date: the earlier flag no longer stands."""

    case_id: str
    transfer_legal_date: date
    clearance_legal_date: date
    reason: str = Field(description="the flag lifted: not_cleared | cleared_after_transfer")


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
    TRANSFER_FLAG_LIFTED: TransferFlagLifted,
    BASIS_CHANGED: BasisChanged,
}

# Earlier versions, still readable (stored, and on the topic): their models, for the published
# schemas, and the upcasters that bring them to the current version (shared/upcasting.py).
PAST_MODELS: dict[tuple[str, int], type[Frozen]] = {
    (ASSURANCE_RECEIVED, 1): AssuranceReceivedV1,
    (DOJ_COMMITMENT_RECORDED, 1): DojCommitmentRecordedV1,
    (TRANSFER_NOTED, 1): TransferNotedV1,
    (TRANSFER_WITHOUT_CLEARANCE_FLAGGED, 1): TransferWithoutClearanceFlaggedV1,
}
UPCASTERS = {
    (ASSURANCE_RECEIVED, 1): assurance_received_v1_to_v2,
    (DOJ_COMMITMENT_RECORDED, 1): doj_commitment_recorded_v1_to_v2,
    (TRANSFER_NOTED, 1): transfer_noted_v1_to_v2,
    (TRANSFER_WITHOUT_CLEARANCE_FLAGGED, 1): transfer_flagged_v1_to_v2,
}


# Which time is each event's legal time (see shared/audit/legal_times.legal_times).
LEGAL_TIMES: dict[str, LegalTime] = {
    CASE_OPENED: cause(note="intake's request"),
    BASIS_CHANGED: cause("changed_on", note="judicial's basis change"),
    CAPITAL_CHARGE_IDENTIFIED: cause(note="intake's request or amendment"),
    CAPITAL_CHARGE_WITHDRAWN: cause(note="intake's amendment"),
    ASSURANCE_REQUESTED: doc("requested_on"),
    ASSURANCE_RECEIVED: doc("issued_on", "the diplomatic note's date"),
    f"{ASSURANCE_RECEIVED}.v2": doc("diplomatic_note.issued_on", "the diplomatic note's date"),
    ASSURANCE_ACCEPTED: doc("decided_on"),
    ASSURANCE_REJECTED: doc("decided_on"),
    ASSURANCE_WITHDRAWN: doc("withdrawn_on"),
    DOJ_COMMITMENT_RECORDED: doc("committed_on", "the commitment's date"),
    CLEARANCE_GRANTED: with_act(
        "the assurance accepted or the commitment recorded that clears the case; restated "
        "with an earlier act entered after it (a custody transfer), it still takes effect on "
        "its own date", not_before="cleared_since"),
    CLEARANCE_WITHDRAWN: with_act(
        "the charge identified or the assurance withdrawn that ends the clearance"),
    TRANSFER_NOTED: cause("transferred_at", note="transport's custody transfer"),
    TRANSFER_WITHOUT_CLEARANCE_FLAGGED: cause("transferred_at",
                                              note="transport's custody transfer"),
    TRANSFER_FLAG_LIFTED: with_act(
        "the commitment or acceptance, recorded after the fact, that dates the clearance on or "
        "before the custody"),
}
