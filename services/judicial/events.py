"""The judicial service's events: its published contract (topic runway.judicial.events).

Every payload names its case and the real-world dates of the act it records, so that other
services (transport needs "surrender ordered", "national-security transfer authorized",
"amparo suspension active") and the operator's timeline can read it on its own. Event types
are explicit strings, schema_version 1; `EVENT_MODELS` maps each type to its payload model.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import Field

from shared.legal_time_kinds import LegalTime, cause, doc
from shared.legalbasis import LegalBasis as LegalBasis  # re-exported: the events name it
from shared.payloads import Frozen, RetiredPersonName, SealedPersonId

SCHEMA_VERSION = 1
STREAM_TYPE = "judicial_case"


class SurrenderKind(StrEnum):
    FULL = "full"            # hand the person over for good
    DEFERRED = "deferred"    # treaty art. 15: wait for the Mexican proceedings to end
    TEMPORARY = "temporary"  # 1997 protocol: lend the person, who must be returned


class ReleaseReason(StrEnum):
    PROVISIONAL_DETENTION_LAPSED = "provisional_detention_lapsed"
    EXTRADITION_REFUSED = "extradition_refused"
    AMPARO_GRANTED = "amparo_granted"
    PICKUP_WINDOW_EXPIRED = "pickup_window_expired"


def _grants_standing() -> Any:
    """The field of an amparo act naming the suits whose grant stands after it."""
    return Field(default=None, description="the suits whose grant stands after it (absent on "
                                           "events recorded before it was said)")


class JudicialEvent(Frozen):
    """A payload. `EVENT_TYPE` is its event type; `LEGAL_TIME` says which time is its legal
    time (`runway audit verify` checks occurred_at against it, docs/contracts.md lists it).
    `ON` names the field holding the date (or instant) of the act, shown as the step's date in
    the case view: the document's field, unless the class names another."""

    EVENT_TYPE: ClassVar[str]
    LEGAL_TIME: ClassVar[LegalTime]
    ON: ClassVar[str] = ""

    @classmethod
    def act_date_field(cls) -> str:
        return cls.ON or cls.LEGAL_TIME.fields[0]

    case_id: str


class CaseOpened(JudicialEvent):
    EVENT_TYPE = "judicial.case_opened"
    LEGAL_TIME = cause(note="intake's request")
    ON = "opened_at"
    opened_at: datetime
    legal_basis: LegalBasis
    requesting_district: str
    provisional_arrest_date: date | None = None
    person_name: RetiredPersonName = None
    charge_ids: tuple[str, ...] = ()
    us_request_reference: str | None = None
    intake_event_id: str
    person_id: SealedPersonId = None


class ChargesAmendmentNoted(JudicialEvent):
    """Intake replaced the charges. Recorded, not acted on: the SRE grant lists the charges
    it covers, and `after_sre_grant` warns that new counts are not covered by it."""

    EVENT_TYPE = "judicial.charges_amendment_noted"
    LEGAL_TIME = cause(note="intake's amendment")
    ON = "noted_at"
    noted_at: datetime
    charge_ids: tuple[str, ...]
    added_charge_ids: tuple[str, ...]
    removed_charge_ids: tuple[str, ...]
    reason: str
    after_sre_grant: bool = Field(description=(
        "the SRE had already granted when judicial learnt of the amendment, so its granted "
        "charges cannot include the counts added, whatever the amendment's legal date"))


class ProvisionalDetentionOrdered(JudicialEvent):
    EVENT_TYPE = "judicial.provisional_detention_ordered"
    LEGAL_TIME = doc("ordered_on")
    ordered_on: date
    deadline_on: date  # the day the detention lapses unless the clock was stopped before
    days: int
    day_counting: str
    clock_stopped_by: tuple[str, ...]


class FormalRequestReceived(JudicialEvent):
    EVENT_TYPE = "judicial.formal_request_received"
    LEGAL_TIME = doc("received_on", "the SRE received the note")
    received_on: date
    provisional_clock_stopped: bool


class HearingHeld(JudicialEvent):
    EVENT_TYPE = "judicial.hearing_held"
    LEGAL_TIME = doc("held_on")
    held_on: date
    objections_due_on: date
    evidence_due_on: date
    provisional_clock_stopped: bool


class EvidencePeriodExtended(JudicialEvent):
    EVENT_TYPE = "judicial.evidence_period_extended"
    LEGAL_TIME = doc("extended_on")
    extended_on: date
    additional_days: int
    previous_due_on: date
    evidence_due_on: date
    reason: str


class ObjectionsFiled(JudicialEvent):
    EVENT_TYPE = "judicial.objections_filed"
    LEGAL_TIME = doc("filed_on")
    filed_on: date
    summary: str
    within_period: bool  # filed by objections_due_on; the judge decides what that means


class ConsentGiven(JudicialEvent):
    EVENT_TYPE = "judicial.consent_given"
    LEGAL_TIME = doc("given_on")
    given_on: date
    legal_basis: LegalBasis
    provisional_clock_stopped: bool


class JudgeOpinionIssued(JudicialEvent):
    EVENT_TYPE = "judicial.judge_opinion_issued"
    LEGAL_TIME = doc("issued_on")
    issued_on: date
    favorable: bool
    following: Literal["hearing", "consent"]


class SreExtraditionGranted(JudicialEvent):
    EVENT_TYPE = "judicial.sre_extradition_granted"
    LEGAL_TIME = doc("decided_on", "the SRE's decision")
    legal_basis: LegalBasis
    decided_on: date
    notified_on: date
    amparo_window_days: int
    amparo_window_closes_on: date
    day_counting: str
    granted_charge_ids: tuple[str, ...]
    judge_opinion_favorable: bool | None


RefusalGround = Literal["nationality", "political_or_military_offence", "non_bis_in_idem",
                        "lapse_of_time", "other"]


class SreExtraditionRefused(JudicialEvent):
    EVENT_TYPE = "judicial.sre_extradition_refused"
    LEGAL_TIME = doc("decided_on", "the SRE's decision")
    decided_on: date
    notified_on: date
    reason: str | None = None
    ground: RefusalGround | None = Field(
        default=None, description="the treaty ground: nationality (art. 9, LEI art. 14), "
                                  "political or military offence (art. 5), non bis in idem "
                                  "(art. 6), lapse of time (art. 7), other; absent on refusals "
                                  "recorded before grounds were")
    person_is_mexican: bool | None = Field(
        default=None, description="the person's nationality as the decision took it (the "
                                  "clerk's statement: judicial holds no nationality facts)")
    domestic_prosecution_referred_on: date | None = Field(
        default=None, description="nationality refusals: the day the case was submitted to "
                                  "Mexico's prosecutors (treaty art. 9(2))")


class AmparoFiled(JudicialEvent):
    EVENT_TYPE = "judicial.amparo_filed"
    LEGAL_TIME = doc("filed_on")
    amparo_id: str
    filed_on: date
    surrender_blocked: bool = True
    active_suspensions: tuple[str, ...] | None = Field(
        default=None, description="the other suits whose suspension holds the person (absent "
                                  "on filings recorded before it was said)")
    granted_amparos: tuple[str, ...] | None = _grants_standing()


class AmparoSuspensionGranted(JudicialEvent):
    EVENT_TYPE = "judicial.amparo_suspension_granted"
    LEGAL_TIME = doc("granted_on")
    amparo_id: str
    granted_on: date
    suspension_active: bool = True
    active_suspensions: tuple[str, ...]
    # True when the suspension froze a running pickup window (an amparo against the
    # execution of a surrender order): its clock stops until the last suspension is lifted.
    pickup_paused: bool = False
    granted_amparos: tuple[str, ...] | None = _grants_standing()


class AmparoDenied(JudicialEvent):
    """A first-instance denial. A suspension granted in the suit holds on until the denial is
    final (`amparo_suspension_lifted` then records its end); rulings recorded before that rule
    lifted it at once, and `suspension_lifted` / `active_suspensions` say which was done."""

    EVENT_TYPE = "judicial.amparo_denied"
    LEGAL_TIME = doc("ruled_on")
    amparo_id: str
    ruled_on: date
    suspension_lifted: bool
    active_suspensions: tuple[str, ...] = Field(
        description="the suits whose suspension holds the person after this ruling")
    pending_amparos: tuple[str, ...]
    surrender_blocked: bool
    # Set when this ruling lifts the last suspension of a paused pickup window: the window
    # resumes and now runs out on this day (the old deadline plus the days it was paused).
    pickup_deadline_on: date | None = None
    notified_on: date | None = Field(
        default=None, description="the day the ruling was notified (absent: the ruling day)")
    appeal_period_closes_on: date | None = Field(
        default=None, description="the first day the ruling can no longer be appealed (recurso "
                                  "de revisión, Amparo Law arts. 81, 86: 10 business days "
                                  "from the day after its notification); absent on rulings "
                                  "recorded before appeals were, which were final at once")
    appeal_period_days: int | None = Field(
        default=None, description="the appeal period's length in business days (absent on "
                                  "rulings recorded before it was)")
    granted_amparos: tuple[str, ...] | None = _grants_standing()


class AmparoSuspensionLifted(JudicialEvent):
    """A denied suit's suspension ends: the denial became final, because its appeal period
    passed unappealed (recorded by the scheduler) or the appeal was decided against the
    person; or the SRE decided again after a final grant, and suits against the annulled
    order's execution lost their object. When it was the last suspension, a paused pickup
    window resumes."""

    EVENT_TYPE = "judicial.amparo_suspension_lifted"
    LEGAL_TIME = doc("lifted_on", "the day the denial became final")
    amparo_id: str
    lifted_on: date
    cause: Literal["appeal_period_passed", "appeal_decided", "sre_decided_again"]
    active_suspensions: tuple[str, ...] = Field(
        description="the suits whose suspension still holds the person")
    pending_amparos: tuple[str, ...] | None = Field(
        default=None, description="the suits still awaiting their first ruling (absent on "
                                  "events recorded before it was said)")
    # Set when this lifts the last suspension of a paused pickup window: the window resumes
    # and now runs out on this day (the old deadline plus the days it was paused).
    pickup_deadline_on: date | None = None
    granted_amparos: tuple[str, ...] | None = _grants_standing()


class AmparoSuspensionReinstated(JudicialEvent):
    """An appeal filed in time but entered after the scheduler recorded the appeal period's
    end: the denial was never final, so the suspension it lifted holds again (it held all
    along in law), and the pickup window is held again from that day: one that resumed
    pauses, one another suspension paused since is held from the earlier day."""

    EVENT_TYPE = "judicial.amparo_suspension_reinstated"
    LEGAL_TIME = doc("appeal_filed_on", "the appeal that kept the suspension in force")
    amparo_id: str
    appeal_filed_on: date
    lifted_on: date = Field(description="the recorded end of the suspension that did not hold")
    active_suspensions: tuple[str, ...] = Field(
        description="the suits whose suspension holds the person after it")
    pickup_paused: bool = Field(description="the pickup window is held again from lifted_on "
                                            "(it had resumed, or was paused only later)")
    granted_amparos: tuple[str, ...] | None = _grants_standing()


class AmparoGranted(JudicialEvent):
    """A ruling granting the amparo. It does not close the case: once final it sends the
    matter back (the SRE must decide again). Against a surrender order's execution it holds
    the order meanwhile: the pickup window pauses until the grant is reversed on appeal, and
    stops for good once the grant is final."""

    EVENT_TYPE = "judicial.amparo_granted"
    LEGAL_TIME = doc("ruled_on")
    amparo_id: str
    ruled_on: date
    notified_on: date | None = Field(
        default=None, description="the day the ruling was notified (absent: the ruling day)")
    appeal_period_closes_on: date | None = Field(
        default=None, description="the first day the ruling can no longer be appealed; absent "
                                  "on rulings recorded before appeals were (final at once)")
    pickup_paused: bool = Field(
        default=False, description="the ruling paused a running pickup window (absent on "
                                   "rulings recorded before it did)")
    active_suspensions: tuple[str, ...] | None = Field(
        default=None, description="the other suits whose suspension holds the person after "
                                  "it (absent on rulings recorded before it was said)")
    pending_amparos: tuple[str, ...] | None = Field(
        default=None, description="the suits still awaiting their first ruling (absent on "
                                  "rulings recorded before it was said)")


class AmparoAppealFiled(JudicialEvent):
    """A recurso de revisión against an amparo ruling (Amparo Law arts. 81, 86): the ruling
    is not final until the appeal is decided."""

    EVENT_TYPE = "judicial.amparo_appeal_filed"
    LEGAL_TIME = doc("filed_on", "the recurso de revisión")
    amparo_id: str
    filed_on: date
    appellant: Literal["complainant", "authority"]


class AmparoAppealDecided(JudicialEvent):
    """The appeal decided: the amparo is now denied or granted for good. A final grant
    reopens the SRE's decision (`sre_decision_reopened`)."""

    EVENT_TYPE = "judicial.amparo_appeal_decided"
    LEGAL_TIME = doc("decided_on")
    amparo_id: str
    decided_on: date
    outcome: Literal["denied", "granted"]
    sre_decision_reopened: bool
    active_suspensions: tuple[str, ...] | None = Field(
        default=None, description="the suits whose suspension holds the person after it (a "
                                  "grant ends its own suspension: the act is annulled "
                                  "instead); absent on decisions recorded before it was said")
    pending_amparos: tuple[str, ...] | None = Field(
        default=None, description="the suits still awaiting their first ruling (absent on "
                                  "decisions recorded before it was said)")
    pickup_deadline_on: date | None = Field(
        default=None, description="set when a grant reversed on appeal frees a paused pickup "
                                  "window: it resumes and now runs out on this day")
    pickup_paused: bool = Field(
        default=False, description="a grant on appeal stopped a running pickup window: the "
                                   "order it held is annulled")
    granted_amparos: tuple[str, ...] | None = _grants_standing()


class BasisChanged(JudicialEvent):
    """An explicit, attributed act: a treaty or consent case is overtaken by a
    national-security transfer (Rafael Caro Quintero, 27 Feb 2025, with amparo proceedings
    pending).
    The earlier proceedings stay in the record; every clock stops; the suspensions in force
    are recorded as overtaken (they no longer hold the person)."""

    EVENT_TYPE = "judicial.basis_changed"
    LEGAL_TIME = doc("changed_on", "the national-security decision")
    changed_on: date
    from_basis: LegalBasis
    to_basis: LegalBasis
    reason: str
    authority: str
    stopped_clocks: tuple[str, ...]
    overtaken_suspensions: tuple[str, ...]
    pending_amparos: tuple[str, ...]


class HandedOver(JudicialEvent):
    """The person is in the requesting state's custody (LEI art. 34): transport recorded the
    custody transfer at the border or aboard the aircraft. Every clock of the case stops, and
    nothing may run out or release the person after it."""

    EVENT_TYPE = "judicial.handed_over"
    LEGAL_TIME = cause("handed_over_at", note="transport's custody transfer")
    ON = "handed_over_on"
    handed_over_at: datetime = Field(description="the legal instant of the transfer")
    handed_over_on: date = Field(description="its legal date (LEGAL_TIMEZONE)")
    flight_id: str
    place: str
    custody_transfer_event_id: str


class AmparoWindowClosed(JudicialEvent):
    EVENT_TYPE = "judicial.amparo_window_closed"
    LEGAL_TIME = doc("closed_on", "the day the window ran out")
    notified_on: date
    closed_on: date


class SurrenderOrdered(JudicialEvent):
    """The US may now collect the person: transport's signal on the treaty path."""

    EVENT_TYPE = "judicial.surrender_ordered"
    LEGAL_TIME = doc("ordered_on")
    legal_basis: LegalBasis
    requesting_district: str
    ordered_on: date
    kind: SurrenderKind
    pickup_days: int
    pickup_deadline_on: date
    return_obligation: bool
    return_conditions: str | None = None
    granted_charge_ids: tuple[str, ...]
    placed_at_disposal_on: date | None = Field(
        default=None, description="the day the person was placed at the US's disposal, given "
        "with the order; the pickup window counts from the day after. Null: not given (and "
        "absent from orders recorded before it existed): the window counts from the order's "
        "date until judicial.placed_at_disposal records a later day")


class PlacedAtDisposal(JudicialEvent):
    """The person was placed at the US's disposal after the surrender order: the pickup
    window now counts from the day after, to the deadline given (moved by any days an amparo
    has held it since). A later one corrects a day recorded wrongly, naming it."""

    EVENT_TYPE = "judicial.placed_at_disposal"
    LEGAL_TIME = doc("placed_on")
    placed_on: date
    pickup_deadline_on: date
    # A correction of a day recorded wrongly: the day it replaces, and why (additive).
    corrects_placed_on: date | None = Field(
        default=None, description="the placement day recorded earlier that this one "
        "corrects; null: none was (the window counted from the order's date)")
    correction_reason: str | None = None


class SurrenderDeferred(JudicialEvent):
    EVENT_TYPE = "judicial.surrender_deferred"
    LEGAL_TIME = doc("deferred_on")
    deferred_on: date
    reason: str


class TemporarySurrenderAgreed(JudicialEvent):
    EVENT_TYPE = "judicial.temporary_surrender_agreed"
    LEGAL_TIME = doc("agreed_on")
    agreed_on: date
    return_conditions: str
    return_obligation: bool = True


class PickupWindowExpired(JudicialEvent):
    EVENT_TYPE = "judicial.pickup_window_expired"
    LEGAL_TIME = doc("deadline_on", "the day the window ran out")
    ordered_on: date
    deadline_on: date
    barred_charge_ids: tuple[str, ...]  # extradition for these offences is barred [U]


class ProvisionalDetentionLapsed(JudicialEvent):
    EVENT_TYPE = "judicial.provisional_detention_lapsed"
    LEGAL_TIME = doc("deadline_on", "the day it lapsed")
    ordered_on: date
    deadline_on: date
    days: int
    day_counting: str


class ReleasedFromCustody(JudicialEvent):
    EVENT_TYPE = "judicial.released_from_custody"
    LEGAL_TIME = doc("released_on")
    released_on: date
    reason: ReleaseReason


class PickupExpiryVoided(JudicialEvent):
    """The pickup window had ended at the handover (LEI art. 35; domain brief, corrections):
    an expiry, and the release recorded with it, that the scheduler recorded before
    transport's custody transfer reached judicial did not hold. Both stay in the record; this
    event, recorded with the late handover, says they were void."""

    EVENT_TYPE = "judicial.pickup_expiry_voided"
    LEGAL_TIME = cause("handed_over_at", note="transport's custody transfer")
    ON = "handed_over_on"
    handed_over_at: datetime
    handed_over_on: date
    deadline_on: date = Field(description="the expiry's date, after the handover")
    release_voided: bool = Field(description="a release for the expiry was voided with it")


class PickupExpiryVoidedByAppeal(JudicialEvent):
    """An appeal filed in time but entered after the scheduler had ended its suit's suspension,
    resumed the pickup window and let it run out: the denial was never final, so the
    suspension held all along and the window with it (Amparo Law arts. 81, 86; LEI art. 35).
    The expiry, and the release recorded with it, did not hold in law. Both stay in the record;
    this event, recorded with the appeal, says they were void. A release carried out in fact
    meanwhile is the authorities' to undo: the case view names it (`release_voided_on`)."""

    EVENT_TYPE = "judicial.pickup_expiry_voided_by_appeal"
    # Dated at the expiry it voids: read as of an earlier day, there was nothing to void.
    LEGAL_TIME = doc("deadline_on", "the expiry voided, void from the day it was dated")
    amparo_id: str
    appeal_filed_on: date = Field(description="the appeal that kept the suspension in force")
    lifted_on: date = Field(description="the recorded end of the suspension that did not hold")
    deadline_on: date = Field(description="the expiry's date, which did not hold")
    release_voided: bool = Field(description="a release for the expiry was voided with it")
    released_on: date | None = Field(description="the voided release's date; null: none")


class PickupExpiryVoidedByEarlierAct(JudicialEvent):
    """An act dated before the pickup window's expiry but entered after the scheduler recorded
    it, which held or moved the window: a suspension granted on its last days, a grant
    against the order's execution, or the day the person was placed at the US's disposal
    moving the window's start. The expiry, and the release recorded with it, did not hold in
    law (LEI art. 35; Amparo Law arts. 77, 128). Both stay in the record; this event,
    recorded with the act, says they were void. A release carried out in fact meanwhile is
    the authorities' to undo: the case view names it (`release_voided_on`)."""

    EVENT_TYPE = "judicial.pickup_expiry_voided_by_earlier_act"
    # Dated at the expiry it voids: read as of an earlier day, there was nothing to void.
    LEGAL_TIME = doc("deadline_on", "the expiry voided, void from the day it was dated")
    act: Literal["amparo_suspension_granted", "amparo_granted", "placed_at_disposal"] = Field(
        description="the act entered late (its event type without the judicial. prefix)")
    act_on: date = Field(description="the act's date, before the expiry")
    amparo_id: str | None = Field(description="the suit of a suspension or grant; null: none")
    deadline_on: date = Field(description="the expiry's date, which did not hold")
    release_voided: bool = Field(description="a release for the expiry was voided with it")
    released_on: date | None = Field(description="the voided release's date; null: none")


class ProvisionalLapseVoided(JudicialEvent):
    """A step that stops the provisional clock (the formal request, or another step the
    detention's order named), dated before the deadline but entered after the scheduler had
    recorded the lapse: the detention never lapsed (treaty art. 11; LEI art. 17). The lapse,
    and the release recorded with it, did not hold in law. Both stay in the record; this
    event, recorded with the step, says they were void. A release carried out in fact
    meanwhile is the authorities' to undo: the case view names it (`release_voided_on`)."""

    EVENT_TYPE = "judicial.provisional_lapse_voided"
    # Dated at the lapse it voids: read as of an earlier day, there was nothing to void.
    LEGAL_TIME = doc("deadline_on", "the lapse voided, void from the day it was dated")
    deadline_on: date = Field(description="the lapse's date, which did not hold")
    stopped_by: str = Field(description="the step that stopped the clock in time, as the "
                            "order's clock_stopped_by names it")
    stopped_on: date = Field(description="that step's date, before the deadline")
    release_voided: bool = Field(description="a release for the lapse was voided with it")
    released_on: date | None = Field(description="the voided release's date; null: none")


class NationalSecurityTransferAuthorized(JudicialEvent):
    """A transfer under Mexico's National Security Law: no judge, SRE decision or amparo.
    Mexico's attorney general said it is "not an extradition"; US courts have held the
    specialty defence unavailable on this basis, which `is_extradition` makes visible."""

    EVENT_TYPE = "judicial.national_security_transfer_authorized"
    LEGAL_TIME = doc("authorized_at")
    authorized_at: datetime
    us_request_reference: str
    authority: str
    requesting_district: str
    is_extradition: bool = False


EVENT_MODELS: dict[str, type[JudicialEvent]] = {
    model.EVENT_TYPE: model
    for model in (
        CaseOpened, ChargesAmendmentNoted, ProvisionalDetentionOrdered, FormalRequestReceived,
        HearingHeld, EvidencePeriodExtended, ObjectionsFiled, ConsentGiven, JudgeOpinionIssued,
        SreExtraditionGranted, SreExtraditionRefused, AmparoFiled, AmparoSuspensionGranted,
        AmparoDenied, AmparoSuspensionLifted, AmparoSuspensionReinstated, AmparoGranted,
        AmparoAppealFiled,
        AmparoAppealDecided, AmparoWindowClosed, SurrenderOrdered, PlacedAtDisposal,
        SurrenderDeferred,
        TemporarySurrenderAgreed, PickupWindowExpired, ProvisionalDetentionLapsed,
        ReleasedFromCustody, NationalSecurityTransferAuthorized, HandedOver, BasisChanged,
        PickupExpiryVoided, PickupExpiryVoidedByAppeal, PickupExpiryVoidedByEarlierAct,
        ProvisionalLapseVoided,
    )
}

# Which time is each event's legal time, as each event class declares it (`LEGAL_TIME`).
LEGAL_TIMES: dict[str, LegalTime] = {
    model.EVENT_TYPE: model.LEGAL_TIME for model in EVENT_MODELS.values()
}
