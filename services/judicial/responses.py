"""What judicial's API answers, as typed models (see shared/web/responses.py). The case view
is built by view.py and stored as JSON by the read model; these describe that JSON."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.web.responses import IsoDay, IsoInstant, ResponseBody

from .events import LegalBasis, ReleaseReason, SurrenderKind
from .state import ClockKind, Status


class RecordedEvent(ResponseBody):
    event_type: str
    version: int


class StepResult(ResponseBody):
    case_id: str
    version: int
    status: Status
    events: list[RecordedEvent] = Field(description="the events the step recorded")


class ClockView(ResponseBody):
    """A clock the scheduler enforces: it acts when the clock runs out."""

    kind: ClockKind
    started_on: IsoDay
    due_on: IsoDay
    days: int
    day_counting: str = Field(description="calendar or business days")
    enforced: Literal[True]


class PeriodView(ResponseBody):
    """A hearing period, shown until the judge opines but not enforced (the judge rules on
    late filings)."""

    kind: Literal["objections_period", "evidence_period"]
    started_on: IsoDay
    due_on: IsoDay | None
    day_counting: str
    enforced: Literal[False]


class DutyView(ResponseBody):
    """A deadline Mexico's own authorities keep (the judge's opinion, the SRE's decision):
    shown with whether it has passed, never enforced (a late act is accepted)."""

    kind: Literal["judge_opinion_due", "sre_decision_due"]
    started_on: IsoDay
    due_on: IsoDay = Field(description="the first day the duty is overdue")
    days: int
    day_counting: str
    enforced: Literal[False]
    overdue: bool


class AmparoView(ResponseBody):
    amparo_id: str
    filed_on: IsoDay
    suspension_active: bool
    outcome: Literal["denied", "granted"] | None
    ruled_on: IsoDay | None
    appeal_period_closes_on: IsoDay | None = Field(
        description="the first day the ruling can no longer be appealed")
    appeal_filed_on: IsoDay | None
    appeal_outcome: Literal["denied", "granted"] | None
    final: bool = Field(description="the ruling stands for good (appeal decided, or its period "
                                    "passed unappealed)")


class OpinionView(ResponseBody):
    issued_on: IsoDay
    favorable: bool | None


class SreDecisionView(ResponseBody):
    decision: Literal["granted", "refused"]
    decided_on: IsoDay
    notified_on: IsoDay


class SurrenderView(ResponseBody):
    kind: SurrenderKind
    ordered_on: IsoDay
    pickup_deadline_on: IsoDay | None
    pickup_paused_since: IsoDay | None
    return_conditions: str | None
    placed_at_disposal_on: IsoDay | None = Field(
        default=None, description="the day the person was placed at the US's disposal, when "
        "recorded; null: the pickup window counts from the order's date")


class DeferralView(ResponseBody):
    deferred_on: IsoDay
    reason: str


class ReleaseView(ResponseBody):
    released_on: IsoDay
    reason: ReleaseReason


class StepView(ResponseBody):
    version: int
    step: str = Field(description="the event type without the judicial. prefix")
    on: str | None = Field(description="the day (or instant) of the act, ISO 8601")


class CaseView(ResponseBody):
    case_id: str
    legal_basis: LegalBasis | None
    status: Status
    version: int
    requesting_district: str | None
    provisional_arrest_date: IsoDay | None
    charge_ids: list[str]
    granted_charge_ids: list[str] | None
    clocks: list[ClockView | PeriodView | DutyView]
    active_suspensions: list[str] = Field(description="amparo ids with a suspension in force")
    surrender_blocked_by: list[str] = Field(description="the rules a surrender order would "
                                                        "break now")
    amparos: list[AmparoView]
    formal_request_received_on: IsoDay | None
    hearing_held_on: IsoDay | None
    consent_given_on: IsoDay | None
    judge_opinion: OpinionView | None
    sre_decision: SreDecisionView | None
    surrender: SurrenderView | None
    deferral: DeferralView | None
    temporary_surrender_agreed_on: IsoDay | None
    transfer_authorized_at: IsoInstant | None
    released: ReleaseView | None
    release_voided_on: IsoDay | None = Field(
        default=None, description="a release that an act entered late showed void "
        "(release_voided_cause says which): the person is held again in law; if the release "
        "was carried out, the authorities must act on it")
    release_voided_cause: Literal["appeal_in_time", "act_in_time",
                                  "provisional_stopped_in_time"] | None = Field(
        default=None, description="why the release was void: an amparo appeal filed in time "
        "kept the suspension, and the pickup window, in force "
        "(judicial.pickup_expiry_voided_by_appeal); a suspension, grant or placement dated "
        "before the pickup window's expiry held or moved it "
        "(judicial.pickup_expiry_voided_by_earlier_act); a step dated before the provisional "
        "deadline stopped that clock (judicial.provisional_lapse_voided)")
    provisional_detention_lapsed: bool = Field(
        description="the person was released from a lapsed provisional detention; the case "
                    "stays open and a later formal request proceeds")
    handed_over_on: IsoDay | None = Field(
        description="the legal date the person passed into US custody: every clock stopped")
    steps: list[StepView]
    updated_at: IsoInstant


class CaseSummary(ResponseBody):
    case_id: str
    legal_basis: LegalBasis
    status: Status
    requesting_district: str
    version: int
    opened_at: IsoInstant
    updated_at: IsoInstant


class CaseList(ResponseBody):
    cases: list[CaseSummary]
    count: int
