"""What the court's API answers, as typed models (see shared/web/responses.py). The intake
record is view.py's case view (stored as JSON by the read model) with the person's name and
the initial appearance's deadline as of now."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.web.responses import IsoDay, IsoInstant, ResponseBody, ShownName

from .events import LegalBasis, Plea, SpecialtyException, TermsSource

CourtStatus = Literal["awaiting_arrival", "intake_opened", "initial_appearance_held",
                      "detention_decided", "arraigned", "proceedings_ended"]
ChargeStatus = Literal["granted", "re_described", "specialty_exception", "consented",
                       "not_granted", "blocked_pending_consent", "consent_requested",
                       "consent_refused", "specialty_not_applicable"]


class IntakeView(ResponseBody):
    landed_at: IsoInstant
    airport: str
    flight_id: str
    landing_district: str | None
    landed_in_charging_district: bool


class AppearanceView(ResponseBody):
    status: Literal["held", "pending"]
    landed_at: IsoInstant | None
    held_at: IsoInstant | None
    magistrate: str | None
    hours_elapsed: float | None
    limit_hours: float | None
    late: bool | None
    due_by: IsoInstant | None = Field(description="landed_at plus the configured limit")
    overdue: bool = Field(description="pending past due_by, as of now")


class DetentionView(ResponseBody):
    outcome: Literal["detained", "released_on_conditions"]
    decided_on: IsoDay
    detail: str | None = Field(description="the conditions, or the grounds for detention")


class ArraignmentView(ResponseBody):
    arraigned_on: IsoDay
    plea: Plea
    charge_ids: list[str]


class ConsentView(ResponseBody):
    status: Literal["requested", "granted", "refused"]
    requested_on: IsoDay | None
    decided_on: IsoDay | None
    diplomatic_note_reference: str | None


class ChargeView(ResponseBody):
    charge_id: str
    statute: str
    description: str
    origin: str = Field(description="where the count came from (the request, a later "
                                    "amendment, a superseding indictment)")
    in_request: bool
    indictment: int | None
    granted: bool
    status: ChargeStatus
    prosecutable: bool
    blocked: bool
    blocked_by: list[str] = Field(
        default_factory=list, description="the rules holding back prosecution on this count, "
        "in the order an arraignment on it is refused (docs/rules/court.md)")
    facts_of: str | None = Field(
        default=None, description="the charge whose facts (as the extradition request "
        "described them) this count rests on; null: other facts (treaty art. 17(2))")
    flagged: bool
    arraigned: bool
    consent: ConsentView | None


class ExceptionView(ResponseBody):
    exception: SpecialtyException
    rule: str = Field(description="the rule the exception is (docs/rules/court.md)")
    found_on: IsoDay
    charge_ids: list[str] = Field(description="the counts it was found for; empty: all")
    lapsed_charge_ids: list[str] = Field(
        default_factory=list, description="of those counts, the ones restated since on other "
        "facts or as a new offence: the finding no longer lifts the bar on them")


class ReextraditionView(ResponseBody):
    requesting_state: str
    requested_on: IsoDay
    consent: Literal["pending", "granted", "refused"]
    decided_on: IsoDay | None
    diplomatic_note_reference: str | None
    surrendered_on: IsoDay | None
    blocked_by: list[str] = Field(description="the rules holding back surrender to this "
                                              "state now (treaty art. 17)")


class SpecialtyView(ResponseBody):
    applies: bool
    unavailable_under: str | None = Field(
        default=None, description="the rule under which the specialty defence is unavailable "
        "(national-security basis), with its sources in docs/rules/court.md")
    defence_available: bool | None
    note: str | None
    granted_charge_ids: list[str]
    terms_source: TermsSource | None
    blocked_charge_ids: list[str]
    awaiting_consent_charge_ids: list[str]
    exceptions: list[ExceptionView] = Field(default_factory=list)


class IndictmentView(ResponseBody):
    indictment_number: int
    filed_on: IsoDay
    charge_ids: list[str]
    added_charge_ids: list[str]
    specialty_block_applies: bool


class ReturnView(ResponseBody):
    obligation: bool
    surrender_kind: str | None
    conditions: str | None
    due: bool
    due_on: IsoDay | None


class ProceedingsView(ResponseBody):
    ended: bool
    ended_on: IsoDay | None
    outcome: str | None


class CaseView(ResponseBody):
    case_id: str
    version: int
    status: CourtStatus
    district: str | None
    legal_basis: LegalBasis | None
    person_id: str | None
    person_name: ShownName
    intake: IntakeView | None
    docket_number: str | None
    initial_appearance: AppearanceView
    detention: DetentionView | None
    arraignments: list[ArraignmentView]
    charges: list[ChargeView]
    specialty: SpecialtyView
    superseding_indictments: list[IndictmentView]
    return_to_mexico: ReturnView
    reextraditions: list[ReextraditionView] = Field(default_factory=list)
    proceedings: ProceedingsView


class CaseSummary(ResponseBody):
    case_id: str
    district: str
    legal_basis: LegalBasis
    status: CourtStatus
    landed_at: IsoInstant
    docket_number: str | None
    appearance_held: bool
    appearance_late: bool
    appearance_due_by: IsoInstant
    appearance_overdue: bool
    version: int
    updated_at: IsoInstant


class CaseList(ResponseBody):
    cases: list[CaseSummary]
    count: int
