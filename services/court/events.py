"""The court service's events: its published contract (topic runway.court.events).

One stream per case (stream id = case id, stream type "court_case"). Every payload carries
`case_id` and the real-world dates or instants of the act it records, so the operator's
timeline and any later consumer can read each event on its own. Event types never change
meaning; a change that isn't backwards compatible gets a new schema_version.

The first three events record what other services told us (intake's request and charges,
judicial's surrender terms) before the person arrives; the rest are the court's own acts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from shared.legal_time_kinds import LegalTime, cause, doc
from shared.legalbasis import LegalBasis as LegalBasis  # re-exported: the events name it
from shared.payloads import Frozen, RetiredPersonName, SealedPersonId

# The version every event type is published in, except those listed in SCHEMA_VERSIONS.
SCHEMA_VERSION = 1
STREAM_TYPE = "court_case"

REQUEST_NOTED = "court.request_noted"
CHARGES_AMENDMENT_NOTED = "court.charges_amendment_noted"
SURRENDER_TERMS_NOTED = "court.surrender_terms_noted"
INTAKE_OPENED = "court.intake_opened"
DOCKET_ASSIGNED = "court.docket_assigned"
INITIAL_APPEARANCE_HELD = "court.initial_appearance_held"
DETENTION_ORDERED = "court.detention_ordered"
RELEASED_ON_CONDITIONS = "court.released_on_conditions"
ARRAIGNED = "court.arraigned"
SUPERSEDING_INDICTMENT_FILED = "court.superseding_indictment_filed"
SPECIALTY_VIOLATION_BLOCKED = "court.specialty_violation_blocked"
SPECIALTY_CONSENT_REQUESTED = "court.specialty_consent_requested"
SPECIALTY_CONSENT_GRANTED = "court.specialty_consent_granted"
SPECIALTY_CONSENT_REFUSED = "court.specialty_consent_refused"
PROCEEDINGS_ENDED = "court.proceedings_ended"
RETURN_TO_MEXICO_DUE = "court.return_to_mexico_due"
SPECIALTY_EXCEPTION_RECORDED = "court.specialty_exception_recorded"
REEXTRADITION_REQUESTED = "court.reextradition_requested"
REEXTRADITION_CONSENT_GRANTED = "court.reextradition_consent_granted"
REEXTRADITION_CONSENT_REFUSED = "court.reextradition_consent_refused"
ONWARD_SURRENDER_RECORDED = "court.onward_surrender_recorded"

SCHEMA_VERSIONS: dict[str, int] = {SUPERSEDING_INDICTMENT_FILED: 2}


def schema_version(event_type: str) -> int:
    """The version this service publishes `event_type` in."""
    return SCHEMA_VERSIONS.get(event_type, SCHEMA_VERSION)


class TermsSource(StrEnum):
    """The judicial event the surrender terms came from."""

    SRE_EXTRADITION_GRANTED = "sre_extradition_granted"
    SURRENDER_ORDERED = "surrender_ordered"
    NATIONAL_SECURITY_TRANSFER_AUTHORIZED = "national_security_transfer_authorized"


class Plea(StrEnum):
    GUILTY = "guilty"
    NOT_GUILTY = "not_guilty"
    NOLO_CONTENDERE = "nolo_contendere"


class ChargeOrigin(StrEnum):
    REQUEST = "request"                # in the extradition request as submitted
    AMENDMENT = "amendment"            # added to the request by intake.charges_amended
    SUPERSEDING = "superseding"        # added by a superseding indictment in the US court


class ChargeText(Frozen):
    charge_id: str
    statute: str
    description: str


class SpecialtyException(StrEnum):
    """Treaty art. 17: when the rule of specialty no longer bars a prosecution."""

    STAYED_AFTER_FREE_TO_LEAVE = "stayed_after_free_to_leave"  # art. 17(1)(b): 60 days
    LEFT_AND_RETURNED = "left_and_returned"                    # art. 17(1)(a)
    OFFENCE_AFTER_EXTRADITION = "offence_after_extradition"    # art. 17: later offences


class CountText(ChargeText):
    """A count of a superseding indictment, with the facts it rests on."""

    facts_of: str | None = Field(description=(
        "the charge of the case whose facts (the conduct the extradition request described) "
        "this count rests on: its own for a count restated under its statute, a granted "
        "charge's for an offence re-described under a new statute on the same facts (treaty "
        "art. 17(2)); null: facts not shown to be a charge's of the case (other facts, a new "
        "offence)"))


class RequestNoted(Frozen):
    """intake.request_submitted seen: the case, its basis, charging district and charges."""

    case_id: str
    legal_basis: LegalBasis
    requesting_district: str = Field(description="the charging district")
    person_name: RetiredPersonName = None
    charges: tuple[ChargeText, ...]
    intake_event_id: str
    noted_at: datetime
    person_id: SealedPersonId = None


class ChargesAmendmentNoted(Frozen):
    """intake.charges_amended seen. Added charges are not covered by a grant made before;
    removed ones stay on file (the grant, not the request, decides what may be tried)."""

    case_id: str
    charges: tuple[ChargeText, ...]
    added_charge_ids: tuple[str, ...]
    removed_charge_ids: tuple[str, ...]
    reason: str | None = None
    intake_event_id: str
    noted_at: datetime
    after_intake_opened: bool
    amended_on: date | None = Field(
        default=None, description="additive: the amendment's legal date (intake's, on the "
        "legal calendar): a charge it puts under another statute on or after the day of "
        "Mexico's grant is another offence, whenever the court reads it; null in events "
        "noted before (then after_intake_opened decides)")


class SurrenderTermsNoted(Frozen):
    """What Mexico granted, from a judicial event: the charges (None on the
    national-security basis, where there is no extradition grant), the kind of surrender
    and any return-to-Mexico obligation (treaty 1997 protocol: temporary surrender)."""

    case_id: str
    source: TermsSource
    legal_basis: LegalBasis
    requesting_district: str | None = None
    granted_charge_ids: tuple[str, ...] | None
    kind: str | None = Field(default=None, description="full | temporary (surrender orders)")
    return_obligation: bool = False
    return_conditions: str | None = None
    decided_on: date | None = Field(default=None, description="grant or order date")
    authorized_at: datetime | None = Field(default=None,
                                           description="national-security authorization")
    judicial_event_id: str
    noted_at: datetime


class IntakeOpened(Frozen):
    """The person landed: an intake record opens in the charging district (Rule 5)."""

    case_id: str
    district: str = Field(description="the charging district, where the record is opened")
    landing_district: str = Field(
        description="the district of the airport landed at; empty when the court is not told "
        "it (a diverted landing: transport's person_landed names the person's charging "
        "district and that the flight was diverted, not the diversion airport's district)")
    landed_in_charging_district: bool = Field(
        description="true only when the landing is known to be in the charging district "
        "(never after a diversion)")
    landed_at: datetime
    airport: str
    flight_id: str
    legal_basis: LegalBasis
    person_name: RetiredPersonName = None
    charges: tuple[ChargeText, ...] = Field(description="the charges that may be prosecuted")
    granted_charge_ids: tuple[str, ...]
    terms_source: TermsSource | None = Field(
        description="the judicial act the grant comes from (None: national-security basis "
                    "with no authorization seen; all charges of the request apply)")
    specialty_defence_available: bool
    specialty_note: str | None = None
    surrender_kind: str | None = None
    return_obligation: bool
    return_conditions: str | None = None
    transport_event_id: str
    person_id: SealedPersonId = None
    restated_after_grant: tuple[str, ...] = Field(
        default=(), description="additive: granted charges an intake amendment dated on or "
        "after the day of Mexico's grant put under another statute: another offence, resting "
        "on no facts of the request (as a superseding count naming none), not triable "
        "without Mexico's consent and not among `charges`")


class DocketAssigned(Frozen):
    case_id: str
    docket_number: str
    district: str
    assigned_at: datetime


class InitialAppearanceHeld(Frozen):
    """Rule 5: before a magistrate judge "without unnecessary delay" after arrival."""

    case_id: str
    held_at: datetime
    magistrate: str
    district: str
    landed_at: datetime
    hours_elapsed: float = Field(description="hours from landing to the appearance")
    limit_hours: float = Field(description="INITIAL_APPEARANCE_LIMIT_HOURS when recorded")
    late: bool = Field(description="held more than limit_hours after landing")


class DetentionOrdered(Frozen):
    case_id: str
    ordered_on: date
    grounds: str | None = None


class ReleasedOnConditions(Frozen):
    case_id: str
    released_on: date
    conditions: str


class Arraigned(Frozen):
    case_id: str
    arraigned_on: date
    plea: Plea
    charge_ids: tuple[str, ...]
    docket_number: str


class SupersedingIndictmentFiledV1(Frozen):
    """court.superseding_indictment_filed v1 (no longer produced): a restated count kept its
    charge's place in the grant whatever its new statute; v2 says which facts each count
    rests on (upcast: a restated count its own, an added one none)."""

    case_id: str
    indictment_number: int = Field(ge=1, description="1 for the first superseding one")
    filed_on: date
    charges: tuple[ChargeText, ...]
    added_charge_ids: tuple[str, ...]
    restated_charge_ids: tuple[str, ...]
    specialty_block_applies: bool
    specialty_note: str | None = None


class SupersedingIndictmentFiled(Frozen):
    """court.superseding_indictment_filed v2: a new indictment. Counts new to the case are
    `added_charge_ids`; each count names the facts it rests on (`facts_of`), so a granted
    offence re-described under a new statute on the same facts stays inside the grant, and a
    count on other facts does not. On the treaty and simplified bases the counts Mexico's
    grant doesn't cover are blocked (a separate specialty_violation_blocked event). On the
    national-security basis nothing is blocked, and `specialty_note` says why."""

    case_id: str
    indictment_number: int = Field(ge=1, description="1 for the first superseding one")
    filed_on: date
    charges: tuple[CountText, ...]
    added_charge_ids: tuple[str, ...]
    restated_charge_ids: tuple[str, ...]
    specialty_block_applies: bool
    specialty_note: str | None = None
    consents_lapsed: tuple[str, ...] = Field(
        default=(), description="additive: counts Mexico had been asked about, restated under "
        "a new statute that names no facts: a new offence, which Mexico's answer on the old "
        "one does not cover")
    exceptions_lapsed: tuple[str, ...] = Field(
        default=(), description="additive: counts a finding of an offence committed after "
        "the extradition lifted, restated on other facts or under a new statute naming none: "
        "the finding was about the offence as then charged, so it no longer lifts the bar on "
        "them")
    facts_resolved: bool = Field(
        default=False, description="additive: true when each count's facts_of is the charge "
        "whose request facts it rests on, resolved on filing (a charge of the request rests on "
        "its own however the US restated it since). False in indictments filed before: "
        "facts_of is the charge the count named, and the count rests on the facts that charge "
        "rested on when it was filed")


class SpecialtyViolationBlocked(Frozen):
    """Treaty art. 17: these counts may not be prosecuted until Mexico consents."""

    case_id: str
    charge_ids: tuple[str, ...]
    indictment_number: int
    filed_on: date
    granted_charge_ids: tuple[str, ...]
    reason: str = "not_covered_by_extradition_grant"


class SpecialtyConsentRequested(Frozen):
    case_id: str
    charge_ids: tuple[str, ...]
    requested_on: date
    diplomatic_note_reference: str | None = None


class SpecialtyConsentDecided(Frozen):
    """Mexico's answer by diplomatic note (granted or refused: see the event type)."""

    case_id: str
    charge_ids: tuple[str, ...]
    decided_on: date
    diplomatic_note_reference: str


class ProceedingsEnded(Frozen):
    case_id: str
    ended_on: date
    outcome: str
    return_obligation: bool


class ReturnToMexicoDue(Frozen):
    """Temporary surrender (treaty art. 15, 1997 protocol): the person must go back."""

    case_id: str
    due_on: date
    conditions: str | None
    ended_on: date
    outcome: str


class SpecialtyExceptionRecorded(Frozen):
    """The court found that an exception of treaty art. 17 applies: the rule of specialty no
    longer bars prosecution (or onward extradition) on the whole case (the person stayed 60
    days after being free to leave, or left and came back), or on the counts named (offences
    committed after the extradition)."""

    case_id: str
    exception: SpecialtyException
    found_on: date = Field(description="the day the court recorded the finding")
    charge_ids: tuple[str, ...] = Field(
        description="offence_after_extradition: the counts; otherwise empty (the whole case)")
    free_to_leave_on: date | None = Field(
        default=None, description="stayed_after_free_to_leave: when the person became free "
                                  "to leave the US")
    left_on: date | None = Field(default=None, description="left_and_returned: left the US")
    returned_on: date | None = Field(default=None,
                                     description="left_and_returned: came back voluntarily")
    committed_on: date | None = Field(
        default=None, description="offence_after_extradition: when the offence was committed")
    landed_on: date = Field(description="the day of the landing the extradition ended with, "
                                        "in the court's district (what 'after the extradition' "
                                        "is measured from)")
    reference: str = Field(description="the court's finding or order")


class ReextraditionRequested(Frozen):
    """A third state asked the US for the person: treaty art. 17 needs Mexico's consent."""

    case_id: str
    requesting_state: str
    requested_on: date
    reference: str | None = None


class ReextraditionConsentDecided(Frozen):
    """Mexico's answer on onward extradition to `requesting_state` (granted or refused: see
    the event type)."""

    case_id: str
    requesting_state: str
    decided_on: date
    diplomatic_note_reference: str


class OnwardSurrenderRecorded(Frozen):
    """The US surrendered the person to a third state."""

    case_id: str
    requesting_state: str
    surrendered_on: date
    under: str = Field(description="what allowed it: mexico_consent, an art. 17 exception "
                                   "(stayed_after_free_to_leave | left_and_returned), or "
                                   "specialty_not_applicable (national-security basis)")


EVENT_MODELS: dict[str, type[Frozen]] = {
    REQUEST_NOTED: RequestNoted,
    CHARGES_AMENDMENT_NOTED: ChargesAmendmentNoted,
    SURRENDER_TERMS_NOTED: SurrenderTermsNoted,
    INTAKE_OPENED: IntakeOpened,
    DOCKET_ASSIGNED: DocketAssigned,
    INITIAL_APPEARANCE_HELD: InitialAppearanceHeld,
    DETENTION_ORDERED: DetentionOrdered,
    RELEASED_ON_CONDITIONS: ReleasedOnConditions,
    ARRAIGNED: Arraigned,
    SUPERSEDING_INDICTMENT_FILED: SupersedingIndictmentFiled,
    SPECIALTY_VIOLATION_BLOCKED: SpecialtyViolationBlocked,
    SPECIALTY_CONSENT_REQUESTED: SpecialtyConsentRequested,
    SPECIALTY_CONSENT_GRANTED: SpecialtyConsentDecided,
    SPECIALTY_CONSENT_REFUSED: SpecialtyConsentDecided,
    PROCEEDINGS_ENDED: ProceedingsEnded,
    RETURN_TO_MEXICO_DUE: ReturnToMexicoDue,
    SPECIALTY_EXCEPTION_RECORDED: SpecialtyExceptionRecorded,
    REEXTRADITION_REQUESTED: ReextraditionRequested,
    REEXTRADITION_CONSENT_GRANTED: ReextraditionConsentDecided,
    REEXTRADITION_CONSENT_REFUSED: ReextraditionConsentDecided,
    ONWARD_SURRENDER_RECORDED: OnwardSurrenderRecorded,
}
PAST_MODELS: dict[tuple[str, int], type[Frozen]] = {
    (SUPERSEDING_INDICTMENT_FILED, 1): SupersedingIndictmentFiledV1,
}


def superseding_indictment_filed_v1_to_v2(payload: Mapping[str, Any]) -> dict[str, Any]:
    """v1 kept a restated count in its charge's place whatever its statute (its own facts);
    an added count rested on no charge's facts. Said explicitly, that is v2's `facts_of`."""
    restated = set(payload.get("restated_charge_ids", ()))
    charges = [{**c, "facts_of": c["charge_id"] if c["charge_id"] in restated else None}
               for c in payload.get("charges", ())]
    return {**payload, "charges": charges}


UPCASTERS = {
    (SUPERSEDING_INDICTMENT_FILED, 1): superseding_indictment_filed_v1_to_v2,
}


# Which time is each event's legal time (see shared/audit/legal_times.legal_times).
LEGAL_TIMES: dict[str, LegalTime] = {
    REQUEST_NOTED: cause(note="intake's request"),
    CHARGES_AMENDMENT_NOTED: cause(note="intake's amendment"),
    SURRENDER_TERMS_NOTED: cause("decided_on", "authorized_at",
                                         note="judicial's grant, order or authorization"),
    INTAKE_OPENED: cause("landed_at", note="transport's landing"),
    DOCKET_ASSIGNED: doc("assigned_at"),
    INITIAL_APPEARANCE_HELD: doc("held_at"),
    DETENTION_ORDERED: doc("ordered_on"),
    RELEASED_ON_CONDITIONS: doc("released_on"),
    ARRAIGNED: doc("arraigned_on"),
    SUPERSEDING_INDICTMENT_FILED: doc("filed_on"),
    SPECIALTY_VIOLATION_BLOCKED: doc("filed_on", "the indictment's filing"),
    SPECIALTY_CONSENT_REQUESTED: doc("requested_on"),
    SPECIALTY_CONSENT_GRANTED: doc("decided_on"),
    SPECIALTY_CONSENT_REFUSED: doc("decided_on"),
    SPECIALTY_EXCEPTION_RECORDED: doc("found_on", "the court's finding"),
    REEXTRADITION_REQUESTED: doc("requested_on", "the third state's request"),
    REEXTRADITION_CONSENT_GRANTED: doc("decided_on", "Mexico's answer"),
    REEXTRADITION_CONSENT_REFUSED: doc("decided_on", "Mexico's answer"),
    ONWARD_SURRENDER_RECORDED: doc("surrendered_on"),
    PROCEEDINGS_ENDED: doc("ended_on"),
    RETURN_TO_MEXICO_DUE: doc("ended_on", "the proceedings' end makes it due"),
}
