"""A judicial case as a fold of its events: `initial()`, `evolve(state, event)`, and what the
state implies (its status, the clocks that are running, what blocks surrender)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from shared.folds import Fold
from shared.legaltime import legal_date

from . import events as ev
from .events import LegalBasis, ReleaseReason, SurrenderKind


class Status(StrEnum):
    """Where the case stands in Mexico's phase (the first that applies, top to bottom)."""

    NOT_OPENED = "not_opened"
    SURRENDERED = "surrendered"
    REFUSED = "refused"
    RELEASED = "released"
    TRANSFER_AUTHORIZED = "transfer_authorized"
    # Overtaken by a national-security decision, the transfer not yet authorised: any amparo
    # suits are still pending in court, but their suspensions no longer hold the person.
    BASIS_CHANGED = "basis_changed"
    AMPARO_PENDING = "amparo_pending"
    SURRENDER_ORDERED = "surrender_ordered"
    SURRENDER_DEFERRED = "surrender_deferred"
    EXTRADITION_GRANTED = "extradition_granted"
    OPINION_ISSUED = "opinion_issued"
    CONSENT_GIVEN = "consent_given"
    HEARING = "hearing"
    FORMAL_REQUEST_RECEIVED = "formal_request_received"
    PROVISIONAL_DETENTION = "provisional_detention"
    OPENED = "opened"


class ClockKind(StrEnum):
    """The clocks the scheduler enforces (at most one of each kind runs in a case at a time)."""

    PROVISIONAL_DETENTION = "provisional_detention"
    AMPARO_WINDOW = "amparo_window"
    # A denied suit's suspension holds until the denial is final: when the appeal period
    # passes unappealed, the scheduler records the suspension's end. One clock per case: the
    # earliest such period; the next one is armed after it.
    AMPARO_APPEAL_PERIOD = "amparo_appeal_period"
    PICKUP_WINDOW = "pickup_window"


@dataclass(frozen=True)
class Clock:
    kind: ClockKind
    started_on: date
    due_on: date  # the day the clock has run out
    days: int
    day_counting: str


@dataclass(frozen=True)
class Amparo:
    amparo_id: str
    filed_on: date
    suspension_active: bool = False
    suspension_granted_on: date | None = None  # the suit's suspension, once granted
    suspension_ended_on: date | None = None  # the day it stopped holding (None: in force)
    outcome: str | None = None  # the first-instance ruling: "denied" | "granted"
    ruled_on: date | None = None
    notified_on: date | None = None  # the ruling's notification, where its appeal period starts
    appeal_days: int | None = None  # the appeal period's business days, where recorded
    # The day the scheduler recorded the end of its suspension, the appeal period having
    # passed: an appeal filed in time and entered later reinstates it.
    lapsed_on: date | None = None
    # The first day the ruling can no longer be appealed; None: final once ruled (rulings
    # recorded before appeals were).
    appeal_closes_on: date | None = None
    appeal_filed_on: date | None = None
    appeal_outcome: str | None = None  # the appeal's decision: "denied" | "granted"
    appeal_decided_on: date | None = None

    @property
    def pending(self) -> bool:
        """No first-instance ruling yet."""
        return self.outcome is None

    @property
    def standing_outcome(self) -> str | None:
        """The outcome that stands: the appeal's, once decided, else the first instance's."""
        return self.appeal_outcome or self.outcome

    def final_on(self, day: date) -> bool:
        """Ruled for good on `day` (Amparo Law arts. 81, 86): the appeal was decided, or none
        was filed and the appeal period has passed."""
        if self.outcome is None:
            return False
        if self.appeal_decided_on is not None:
            return day >= self.appeal_decided_on
        return self.appeal_filed_on is None and (self.appeal_closes_on is None
                                                 or day >= self.appeal_closes_on)

    def suspension_in_force_on(self, day: date | None) -> bool:
        """A granted suspension holds until the suit is decided for good: a denial ends it
        only once final (rules.AMPARO_SUSPENSION_ACTIVE). Asked by day, like the amparo
        window, so a denial that became final today no longer holds the person although the
        scheduler has not yet recorded `amparo_suspension_lifted`; with no day, as recorded."""
        return self.suspension_active and not (self.standing_outcome == "denied"
                                               and day is not None and self.final_on(day))

    @property
    def awaits_unappealed_finality(self) -> bool:
        """A denial whose suspension holds until its appeal period passes, no appeal filed."""
        return (self.suspension_active and self.outcome == "denied"
                and self.appeal_filed_on is None and self.appeal_closes_on is not None)


@dataclass(frozen=True)
class Step:
    version: int
    step: str       # the event type without the "judicial." prefix
    on: str | None  # the date (or instant) of the act, ISO


@dataclass(frozen=True)
class SreDecision:
    granted: bool
    decided_on: date
    notified_on: date


@dataclass(frozen=True)
class Surrender:
    kind: SurrenderKind
    ordered_on: date
    return_conditions: str | None
    placed_on: date | None = None  # recorded with the order or after it; None: not yet


@dataclass(frozen=True)
class State:
    version: int = 0
    case_id: str = ""
    legal_basis: LegalBasis | None = None
    requesting_district: str = ""
    provisional_arrest_date: date | None = None
    charge_ids: tuple[str, ...] = ()
    # The charges the SRE granted, frozen at the grant: a later amendment from intake changes
    # `charge_ids` but never widens what Mexico agreed to surrender the person for.
    granted_charge_ids: tuple[str, ...] | None = None
    provisional: Clock | None = None
    # The steps that stop the provisional clock, as its order recorded them (configuration
    # chosen when the detention was ordered: a later change of setting does not move them).
    provisional_stopped_by: frozenset[str] = frozenset()
    provisional_stopped_on: date | None = None
    provisional_lapsed: bool = False  # the person is free of the provisional detention
    formal_request_on: date | None = None
    hearing_on: date | None = None
    objections_due_on: date | None = None
    evidence_due_on: date | None = None
    objections_filed: int = 0
    consent_on: date | None = None
    opinion_on: date | None = None
    opinion_favorable: bool | None = None
    sre: SreDecision | None = None
    amparo_window: Clock | None = None
    amparo_window_closed: bool = False
    amparos: tuple[Amparo, ...] = ()
    # Suits against an earlier SRE decision that a final amparo annulled (kept for the record).
    earlier_amparos: tuple[Amparo, ...] = ()
    temporary_agreed_on: date | None = None
    temporary_return_conditions: str | None = None
    deferral: tuple[date, str] | None = None
    surrender: Surrender | None = None
    pickup: Clock | None = None
    # The day an amparo suspension against the surrender's execution paused the pickup
    # window; None while it runs (see `_lift_suspension`).
    pickup_paused_on: date | None = None
    pickup_expired: bool = False
    transfer_authorized_at: datetime | None = None
    released: tuple[date, ReleaseReason] | None = None
    # A release for a pickup expiry that an appeal filed in time showed void: the day it
    # was recorded for, so the case view can name it (it may have been carried out).
    release_voided_on: date | None = None
    # Why it was void: "appeal_in_time" (a late-entered appeal kept the suspension, and the
    # pickup window, in force) or "provisional_stopped_in_time" (a step entered late had
    # stopped the provisional clock before its deadline).
    release_voided_cause: str | None = None
    # The day a lapsed provisional detention released the person (the case stays open).
    provisional_released_on: date | None = None
    # The basis the case had before a recorded basis change, and the day of the change.
    basis_changed: tuple[LegalBasis, date] | None = None
    # The legal date the person passed into the requesting state's custody (transport's
    # custody transfer): every clock stops then.
    handed_over_on: date | None = None
    steps: tuple[Step, ...] = ()
    # The latest legal date among the recorded acts: the day a view with no clock of its own
    # (a replay, an audit) reads the case on.
    last_act_on: date | None = None

    # --- what the state implies -------------------------------------------------------------

    @property
    def opened(self) -> bool:
        return self.legal_basis is not None

    @property
    def closed(self) -> bool:
        return self.released is not None

    @property
    def national_security(self) -> bool:
        return self.legal_basis is LegalBasis.NATIONAL_SECURITY

    @property
    def granted(self) -> bool:
        return self.sre is not None and self.sre.granted

    def amparo(self, amparo_id: str) -> Amparo | None:
        return next((a for a in self.amparos if a.amparo_id == amparo_id), None)

    @property
    def pending_amparos(self) -> tuple[str, ...]:
        return tuple(a.amparo_id for a in self.amparos if a.pending)

    @property
    def active_suspensions(self) -> tuple[str, ...]:
        return tuple(a.amparo_id for a in self.amparos if a.suspension_active)

    def suspensions_in_force_on(self, day: date | None) -> tuple[str, ...]:
        return tuple(a.amparo_id for a in self.amparos if a.suspension_in_force_on(day))

    @property
    def amparo_appeal_period(self) -> Clock | None:
        """The clock of the earliest appeal period a held suspension waits on (see ClockKind)."""
        waiting = [a for a in self.amparos if a.awaits_unappealed_finality]
        if not waiting:
            return None
        first = min(waiting, key=lambda a: (a.appeal_closes_on or date.max, a.amparo_id))
        assert first.appeal_closes_on is not None and first.ruled_on is not None
        started_on = first.notified_on or first.ruled_on
        if first.appeal_days is None:  # not recorded: the span in calendar days
            return Clock(ClockKind.AMPARO_APPEAL_PERIOD, started_on, first.appeal_closes_on,
                         (first.appeal_closes_on - started_on).days, "calendar")
        return Clock(ClockKind.AMPARO_APPEAL_PERIOD, started_on, first.appeal_closes_on,
                     first.appeal_days, "business")

    def amparos_not_final_on(self, day: date) -> tuple[str, ...]:
        """Suits ruled at first instance whose ruling can still be (or has been) appealed."""
        return tuple(a.amparo_id for a in self.amparos
                     if not a.pending and not a.final_on(day))

    @property
    def granted_amparos(self) -> tuple[str, ...]:
        """Suits whose standing outcome grants the amparo."""
        return tuple(a.amparo_id for a in self.amparos if a.standing_outcome == "granted")

    def sre_reopened_on(self, day: date) -> bool:
        """A granted amparo became final: the SRE's decision it annulled must be taken again."""
        return any(a.standing_outcome == "granted" and a.final_on(day) for a in self.amparos)

    @property
    def provisional_clock_running(self) -> bool:
        return (self.provisional is not None and self.provisional_stopped_on is None
                and not self.provisional_lapsed and not self.closed)

    def amparo_window_open_on(self, day: date) -> bool:
        """Whether the amparo window is open in law on `day`: from the notified grant until
        its due date, whether or not amparos were brought meanwhile (a denied amparo does not
        end it early: a second suit may still be filed in it). It is closed on its due date
        whether or not the scheduler has recorded `amparo_window_closed` yet: the scheduler
        records what the calendar already decided, and a few seconds' (or an outage's) delay
        in recording cannot keep a window open that the law has closed. Rules and the view
        ask this, never the recorded flag."""
        return self.amparo_window is not None and day < self.amparo_window.due_on

    @property
    def amparo_window_clock_running(self) -> bool:
        """The window's timer still has to record its closing (a scheduler matter only: see
        `amparo_window_open_on` for whether the window is open)."""
        return (self.amparo_window is not None and not self.amparo_window_closed
                and not self.closed)

    @property
    def pickup_paused(self) -> bool:
        return self.pickup_paused_on is not None

    @property
    def pickup_running(self) -> bool:
        """The pickup window runs from the surrender order (its days from the day after the
        person was placed at the US's disposal) until it expires, except while an amparo
        suspension or a grant holds the surrender's execution."""
        return (self.pickup is not None and not self.pickup_expired and not self.closed
                and not self.pickup_paused)

    def running_clocks(self) -> tuple[Clock, ...]:
        if self.handed_over_on is not None:  # in US custody: Mexico's clocks have stopped
            return ()
        if self.basis_changed is not None:  # the judicial path was overtaken: no clock runs
            return ()
        running = ((self.provisional, self.provisional_clock_running),
                   (self.amparo_window, self.amparo_window_clock_running),
                   (self.amparo_appeal_period, not self.closed),
                   (self.pickup, self.pickup_running))
        return tuple(clock for clock, on in running if clock is not None and on)

    @property
    def status(self) -> Status:
        return next(status for status, applies in self._status_tests() if applies)

    def _status_tests(self) -> tuple[tuple[Status, bool], ...]:
        return (
            (Status.NOT_OPENED, not self.opened),
            (Status.SURRENDERED, self.handed_over_on is not None),
            (Status.REFUSED, self.sre is not None and not self.sre.granted),
            (Status.RELEASED, self.closed),
            (Status.TRANSFER_AUTHORIZED, self.transfer_authorized_at is not None),
            (Status.BASIS_CHANGED, self.basis_changed is not None),
            (Status.AMPARO_PENDING, bool(self.pending_amparos)),
            (Status.SURRENDER_ORDERED, self.surrender is not None),
            (Status.SURRENDER_DEFERRED, self.deferral is not None),
            (Status.EXTRADITION_GRANTED, self.granted),
            (Status.OPINION_ISSUED, self.opinion_on is not None),
            (Status.CONSENT_GIVEN, self.consent_on is not None),
            (Status.HEARING, self.hearing_on is not None),
            (Status.FORMAL_REQUEST_RECEIVED, self.formal_request_on is not None),
            (Status.PROVISIONAL_DETENTION, self.provisional is not None),
            (Status.OPENED, True),
        )


def apply(state: State, event_type: str, payload: dict[str, Any]) -> State:
    """The state after one event (given by type and payload); unknown types only count."""
    model = ev.EVENT_MODELS.get(event_type)
    version = state.version + 1
    if model is None:
        return replace(state, version=version)
    parsed = model.model_validate(payload)
    on_field = model.act_date_field()
    on = payload.get(on_field)
    step = Step(version, event_type.removeprefix("judicial."), None if on is None else str(on))
    moved = _apply(state, parsed)
    return replace(moved, version=version, steps=(*state.steps, step),
                   last_act_on=_latest(state.last_act_on, getattr(parsed, on_field, None)))


def _latest(known: date | None, on: date | datetime | None) -> date | None:
    day = legal_date(on) if isinstance(on, datetime) else on
    if day is None:
        return known
    return day if known is None or day > known else known


def _with_amparo(state: State, amparo_id: str, **changes: Any) -> State:
    return replace(state, amparos=tuple(
        replace(a, **changes) if a.amparo_id == amparo_id else a for a in state.amparos))


def _apply(state: State, event: ev.JudicialEvent) -> State:
    match event:
        case ev.CaseOpened():
            return replace(state, case_id=event.case_id, legal_basis=event.legal_basis,
                           requesting_district=event.requesting_district,
                           provisional_arrest_date=event.provisional_arrest_date,
                           charge_ids=event.charge_ids)
        case ev.ChargesAmendmentNoted():
            return replace(state, charge_ids=event.charge_ids)
        case ev.ProvisionalDetentionOrdered():
            return replace(state, provisional=Clock(
                ClockKind.PROVISIONAL_DETENTION, event.ordered_on, event.deadline_on, event.days,
                event.day_counting), provisional_stopped_by=frozenset(event.clock_stopped_by))
        case ev.FormalRequestReceived():
            return _stop_clock(replace(state, formal_request_on=event.received_on),
                               event.provisional_clock_stopped, event.received_on)
        case ev.HearingHeld():
            moved = replace(state, hearing_on=event.held_on,
                            objections_due_on=event.objections_due_on,
                            evidence_due_on=event.evidence_due_on)
            return _stop_clock(moved, event.provisional_clock_stopped, event.held_on)
        case ev.EvidencePeriodExtended():
            return replace(state, evidence_due_on=event.evidence_due_on)
        case ev.ObjectionsFiled():
            return replace(state, objections_filed=state.objections_filed + 1)
        case ev.ConsentGiven():
            return _stop_clock(replace(state, consent_on=event.given_on),
                               event.provisional_clock_stopped, event.given_on)
        case ev.JudgeOpinionIssued():
            return replace(state, opinion_on=event.issued_on,
                           opinion_favorable=event.favorable)
        case ev.SreExtraditionGranted():
            state = _reopened(state)
            return replace(state, sre=SreDecision(True, event.decided_on, event.notified_on),
                           granted_charge_ids=event.granted_charge_ids,
                           amparo_window=Clock(ClockKind.AMPARO_WINDOW, event.notified_on,
                                               event.amparo_window_closes_on,
                                               event.amparo_window_days, event.day_counting))
        case ev.SreExtraditionRefused():
            return replace(_reopened(state),
                           sre=SreDecision(False, event.decided_on, event.notified_on))
        case ev.AmparoFiled():
            return replace(state, amparos=(*state.amparos,
                                           Amparo(event.amparo_id, event.filed_on)))
        case ev.AmparoSuspensionGranted():
            moved = _with_amparo(state, event.amparo_id, suspension_active=True,
                                 suspension_granted_on=event.granted_on,
                                 suspension_ended_on=None)
            # Streams recorded before a hold could be dated before the one in force say
            # pickup_paused only when the window ran: the same day then.
            if event.pickup_paused or state.pickup_running:
                moved = _held_from(moved, event.granted_on)
            return moved
        case ev.AmparoDenied():
            # Whether the suspension still holds is the event's own word: rulings recorded
            # before finality was awaited lifted it at once.
            held = event.amparo_id in event.active_suspensions
            return _lift_suspension(_ended(_with_amparo(
                state, event.amparo_id, outcome="denied", ruled_on=event.ruled_on,
                notified_on=event.notified_on, appeal_closes_on=event.appeal_period_closes_on,
                appeal_days=event.appeal_period_days), event.amparo_id, event.ruled_on, held),
                event.pickup_deadline_on, event.ruled_on)
        case ev.AmparoSuspensionLifted():
            lapsed = event.lifted_on if event.cause == "appeal_period_passed" else None
            return _lift_suspension(_ended(_with_amparo(state, event.amparo_id, lapsed_on=lapsed),
                                           event.amparo_id, event.lifted_on),
                                    event.pickup_deadline_on, event.lifted_on)
        case ev.AmparoSuspensionReinstated():
            moved = _with_amparo(state, event.amparo_id, suspension_active=True, lapsed_on=None,
                                 suspension_ended_on=None)
            if event.pickup_paused:  # held again from the lift (an earlier day than a pause since)
                moved = _held_from(moved, event.lifted_on)
            return moved
        case ev.AmparoGranted():
            # The ruling ends the suspension (the act it froze is annulled instead), and holds
            # a running pickup window until it is reversed or final.
            moved = _ended(_with_amparo(state, event.amparo_id,
                                        outcome="granted", ruled_on=event.ruled_on,
                                        notified_on=event.notified_on,
                                        appeal_closes_on=event.appeal_period_closes_on),
                           event.amparo_id, event.ruled_on)
            if event.pickup_paused:
                moved = _held_from(moved, event.ruled_on)
            return moved
        case ev.AmparoAppealFiled():
            return _with_amparo(state, event.amparo_id, appeal_filed_on=event.filed_on)
        case ev.AmparoAppealDecided():
            moved = _with_amparo(state, event.amparo_id, appeal_outcome=event.outcome,
                                 appeal_decided_on=event.decided_on)
            if event.outcome == "granted":  # annulled instead: its suspension ends
                moved = _ended(moved, event.amparo_id, event.decided_on)
            if event.pickup_paused:
                moved = _held_from(moved, event.decided_on)
            return _lift_suspension(moved, event.pickup_deadline_on, event.decided_on)
        case ev.AmparoWindowClosed():
            return replace(state, amparo_window_closed=True)
        case ev.SurrenderOrdered():
            return replace(state, surrender=Surrender(event.kind, event.ordered_on,
                                                      event.return_conditions,
                                                      event.placed_at_disposal_on),
                           pickup=Clock(ClockKind.PICKUP_WINDOW,
                                        event.placed_at_disposal_on or event.ordered_on,
                                        event.pickup_deadline_on, event.pickup_days,
                                        "calendar"))
        case ev.PlacedAtDisposal():
            assert state.surrender is not None and state.pickup is not None
            # A window that (counted from this day) closed before the hold in force began
            # is not held by it: it ran out on its deadline.
            paused_on = state.pickup_paused_on
            if paused_on is not None and event.pickup_deadline_on <= paused_on:
                paused_on = None
            return replace(state, surrender=replace(state.surrender, placed_on=event.placed_on),
                           pickup=replace(state.pickup, started_on=event.placed_on,
                                          due_on=event.pickup_deadline_on),
                           pickup_paused_on=paused_on)
        case ev.SurrenderDeferred():
            return replace(state, deferral=(event.deferred_on, event.reason))
        case ev.TemporarySurrenderAgreed():
            return replace(state, temporary_agreed_on=event.agreed_on,
                           temporary_return_conditions=event.return_conditions)
        case ev.PickupWindowExpired():
            # A voided release is no longer the case's news once the window runs out again.
            return replace(state, pickup_expired=True, release_voided_on=None,
                           release_voided_cause=None)
        case ev.ProvisionalDetentionLapsed():
            return replace(state, provisional_lapsed=True)
        case ev.ReleasedFromCustody():
            if event.reason is ReleaseReason.PROVISIONAL_DETENTION_LAPSED:
                # Released from the provisional detention only: the case stays open, and a
                # formal request arriving later proceeds (older streams read the same way).
                return replace(state, provisional_lapsed=True,
                               provisional_released_on=event.released_on)
            return replace(state, released=(event.released_on, event.reason),
                           release_voided_on=None, release_voided_cause=None)
        case ev.BasisChanged():
            # Suspensions in force are overtaken: kept in the record, no longer holding.
            return replace(state, legal_basis=event.to_basis,
                           basis_changed=(event.from_basis, event.changed_on),
                           amparos=tuple(_suspension_over(a, event.changed_on)
                                         for a in state.amparos))
        case ev.HandedOver():
            return replace(state, handed_over_on=event.handed_over_on, release_voided_on=None,
                           release_voided_cause=None)
        case ev.PickupExpiryVoided():
            return replace(state, pickup_expired=False,
                           released=None if event.release_voided else state.released)
        case ev.PickupExpiryVoidedByAppeal():
            return replace(state, pickup_expired=False,
                           released=None if event.release_voided else state.released,
                           release_voided_on=event.released_on,
                           release_voided_cause="appeal_in_time" if event.released_on else None)
        case ev.PickupExpiryVoidedByEarlierAct():
            voided = event.released_on if event.release_voided else None
            return replace(state, pickup_expired=False,
                           released=None if event.release_voided else state.released,
                           release_voided_on=voided,
                           release_voided_cause="act_in_time" if voided else None)
        case ev.ProvisionalLapseVoided():
            voided = event.released_on if event.release_voided else None
            return replace(state, provisional_lapsed=False, provisional_released_on=None,
                           release_voided_on=voided or state.release_voided_on,
                           release_voided_cause="provisional_stopped_in_time" if voided
                           else state.release_voided_cause)
        case ev.NationalSecurityTransferAuthorized():
            return replace(state, transfer_authorized_at=event.authorized_at)
    return state


def _reopened(state: State) -> State:
    """A new SRE decision after a final amparo annulled the first: the suits against the
    first are kept as the record; the new decision starts its own window and suits."""
    if state.sre is None:
        return state
    # A surrender order the final grant annulled goes with them: the new decision leads to a
    # new order, with its own pickup window.
    return replace(state, earlier_amparos=(*state.earlier_amparos, *state.amparos), amparos=(),
                   amparo_window=None, amparo_window_closed=False, granted_charge_ids=None,
                   surrender=None, pickup=None, pickup_paused_on=None)


def _suspension_over(amparo: Amparo, on: date) -> Amparo:
    """The suit's suspension no longer holds from `on` (if it held until then)."""
    if not amparo.suspension_active:
        return amparo
    return replace(amparo, suspension_active=False, suspension_ended_on=on)


def _ended(state: State, amparo_id: str, on: date, still_held: bool = False) -> State:
    """The suit's suspension ends on `on`, unless `still_held` (a denial not yet final)."""
    if still_held:
        return _with_amparo(state, amparo_id, suspension_active=True)
    return replace(state, amparos=tuple(
        _suspension_over(a, on) if a.amparo_id == amparo_id else a for a in state.amparos))


def _held_from(state: State, on: date) -> State:
    """The pickup window held from `on`: paused then, or since `on` when a hold in force began
    later (one dated earlier but typed in after it)."""
    paused_on = on if state.pickup_paused_on is None else min(state.pickup_paused_on, on)
    return replace(state, pickup_paused_on=paused_on)


def _lift_suspension(state: State, pickup_deadline_on: date | None, on: date) -> State:
    """When nothing holds the surrender's execution any more (no suspension, no grant), a
    paused pickup window resumes on `on` with the deadline the decision computed and recorded
    (moved by the days it was paused; see domain.resumed_pickup_due_on)."""
    if pickup_deadline_on is None or not state.pickup_paused:
        return state
    assert state.pickup is not None and state.pickup_paused_on is not None
    return replace(state, pickup_paused_on=None,
                   pickup=replace(state.pickup, due_on=pickup_deadline_on))


def _stop_clock(state: State, stopped: bool, on: date) -> State:
    if stopped and state.provisional_stopped_on is None:
        return replace(state, provisional_stopped_on=on)
    return state


# The case's fold: the repository and the audit read `initial` and `evolve`, the domain
# folds the events it has just decided with `CASE.after`.
CASE: Fold[State] = Fold(State, apply)
initial = CASE.initial
evolve = CASE.evolve
