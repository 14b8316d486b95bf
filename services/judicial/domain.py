"""Judicial decisions: pure functions from (state, command, now, policy) to new events.

Each decision either returns the events the step produces or refuses under a rule of
rules.py (`rule.refuse(detail)`, a RuleViolation naming the rule: HTTP 409); a rejected command
changes nothing.

Paths, by legal basis (fixed when the case opens):

* Treaty: [provisional detention] -> formal request -> hearing (objections and evidence
  periods) -> judge's opinion -> SRE decision -> amparo window / amparo suits -> surrender
  (full, deferred or temporary). The SRE decides only after the judge's opinion.
* Consent (the simplified basis; a treaty-basis person may also consent): once the formal
  request has arrived the person may consent before the judge. Consent replaces the hearing:
  the judge may issue the opinion right after it (`following="consent"`, the 3-day opinion).
  On the simplified basis consent alone lets the SRE decide, without any opinion
  (`SRE_REQUIRES_CONSENT_OR_OPINION`); on the treaty basis the SRE still waits for the
  opinion. Consenting to extradition does not waive the amparo: the window, the suits and
  the surrender rules after the SRE's grant are the same on both bases.
* National security: the only step is the transfer authorization; every judicial step is
  refused (`NATIONAL_SECURITY_HAS_NO_JUDICIAL_STEPS`), and that step is refused on the other
  bases (`BASIS_MISMATCH`); rule names are those of rules.py.

Clocks: a clock started on day 0 runs out at the start of day N (see days.py). A step that
would stop the provisional clock on or after its deadline is refused, because by then the
detention has lapsed in law even if the scheduler has not yet recorded it.

The amparo window runs from the notification of the grant until its due date, whatever suits
are brought in it; the scheduler records its closing. Surrender may be ordered only once it
has closed and no suit is pending or suspends it. After it, only the execution of a surrender
order can still be challenged; a suspension in such a suit pauses the pickup window: while any
suspension is active the window does not run out, and when the last one is lifted (the suit
denied) it resumes with its deadline recounted over every hold it had (`pickup_closes_on`:
overlapping holds take a day once, a hold typed in with an earlier date moves the pause back,
and one that began after the window had closed takes nothing).

Specialty: the SRE grants extradition for the charges the case has at the grant. That set is
frozen then (`State.granted_charge_ids`); a count intake adds later is noted but is never part
of the surrender order or of the charges barred when the pickup window expires.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from shared.eventstore import NewEvent
from shared.legaltime import legal_date
from shared.rules import Rule

from . import commands as cmd
from . import events as ev
from . import rules
from .days import Policy, start_of
from .events import LegalBasis, ReleaseReason, SurrenderKind
from .state import CASE, ClockKind, State, evolve, initial

__all__ = ["State", "decide", "decide_timer", "evolve", "initial", "open_case", "replay"]


def event(model: ev.JudicialEvent, on: date | datetime) -> NewEvent:
    """A NewEvent for a payload, occurring at the instant (or the start of the day) of the
    act it records."""
    instant = on if isinstance(on, datetime) else start_of(on)
    return NewEvent(model.EVENT_TYPE, model.model_dump(mode="json"),
                    schema_version=ev.SCHEMA_VERSION, occurred_at=instant)


# The state after events not yet stored: for tests and simulations.
replay = CASE.after


# --- guards ---------------------------------------------------------------------------------

def _require_open_case(state: State) -> None:
    rules.CASE_NOT_OPENED.require(state.opened, "the judicial case has not been opened")
    rules.PERSON_HANDED_OVER.require(
        state.handed_over_on is None,
        f"the person was handed over on {state.handed_over_on}: no further step can be recorded")
    if state.released is not None:
        day, reason = state.released
        rules.CASE_CLOSED.refuse(
            f"the case closed on {day} ({reason.value}): no further step can be recorded")


def _judicial_step(state: State, what: str, closed_ok: bool = False) -> None:
    """A step of the judicial path on an open case (or one whose closing the step precedes in
    law: `closed_ok`), not on the national-security basis."""
    if not closed_ok:
        _require_open_case(state)
    rules.NATIONAL_SECURITY_HAS_NO_JUDICIAL_STEPS.require(
        not state.national_security,
        f"{what}: a national-security transfer has no judge, SRE decision or amparo steps; record "
        "the transfer authorization instead")


def _not_in_future(day: date, now: datetime, field: str) -> None:
    today = legal_date(now)
    rules.DATE_IN_FUTURE.require(day <= today, f"{field} {day} is after today ({today})")


def _not_before(day: date, earlier: date | None, field: str, what: str) -> None:
    rules.DATE_OUT_OF_ORDER.require(
        earlier is None or day >= earlier,
        f"{field} {day} is before {what} ({earlier})")


def _stops_provisional_clock(state: State, step: str, day: date) -> bool:
    """Whether this step stops the provisional clock: one of the steps its order recorded
    (the setting in force then, not today's). One on or after the deadline comes too late to
    stop it: the detention has lapsed in law (see `_lapsed_before`), and the step is
    recorded all the same (the case goes on without the person detained)."""
    if step not in state.provisional_stopped_by or not state.provisional_clock_running:
        return False
    assert state.provisional is not None
    return day < state.provisional.due_on


def _stopping_step(state: State, step: str, day: date) -> tuple[bool, list[NewEvent]]:
    """Whether a step stops the provisional clock, and the void of a lapse it shows was not
    one (recorded after the step): a step in time stops the clock even if entered late."""
    voided = _provisional_lapse_voided(state, step, day)
    return bool(voided) or _stops_provisional_clock(state, step, day), voided


def _provisional_lapse_voided(state: State, step: str, day: date) -> list[NewEvent]:
    """The lapse, and its release, that a step stopping the provisional clock shows void: the
    step is dated before the deadline but was entered after the scheduler recorded the lapse.
    Recorded after the step, dated at the lapse it voids (as `_expiry_voided_by_appeal`)."""
    provisional = state.provisional
    if (provisional is None or not state.provisional_lapsed or state.closed
            or state.provisional_stopped_on is not None
            or step not in state.provisional_stopped_by or day >= provisional.due_on):
        return []
    released_on = state.provisional_released_on
    return [event(ev.ProvisionalLapseVoided(
        case_id=state.case_id, deadline_on=provisional.due_on, stopped_by=step, stopped_on=day,
        release_voided=released_on is not None, released_on=released_on), provisional.due_on)]


def _lapsed_before(state: State, day: date) -> list[NewEvent]:
    """A step dated on or after the provisional deadline the scheduler has not recorded yet:
    record the lapse (and the release from the detention) first, so the history never shows
    a detention running past its deadline."""
    running = any(c.kind is ClockKind.PROVISIONAL_DETENTION for c in state.running_clocks())
    if running and state.provisional is not None and day >= state.provisional.due_on:
        return _run_out(state, ClockKind.PROVISIONAL_DETENTION, state.provisional.due_on)
    return []


def _require_grant(state: State, what: str) -> None:
    rules.SRE_GRANT_REQUIRED.require(
        state.granted,
        f"{what} needs the SRE's grant of extradition, which has not been recorded")
    rules.SURRENDER_ALREADY_ORDERED.require(
        state.surrender is None,
        "surrender has already been ordered")


# --- opening and intake facts ---------------------------------------------------------------

def open_case(state: State, opened: ev.CaseOpened) -> list[NewEvent]:
    """Open the case from intake's request; a case already open is left alone (idempotent)."""
    if state.opened:
        return []
    return [event(opened, opened.opened_at)]


def note_charges(state: State, charge_ids: tuple[str, ...], reason: str,
                 amended_at: datetime) -> list[NewEvent]:
    """Record intake's charge amendment, at its legal time. A fact from intake, not a clerk's
    command: it is recorded even on a closed case; on an unknown case it is dropped."""
    if not state.opened:
        return []
    before, after = set(state.charge_ids), set(charge_ids)
    return [event(ev.ChargesAmendmentNoted(
        case_id=state.case_id, noted_at=amended_at, charge_ids=charge_ids,
        added_charge_ids=tuple(sorted(after - before)),
        removed_charge_ids=tuple(sorted(before - after)), reason=reason,
        after_sre_grant=state.granted), amended_at)]


def note_handover(state: State, handover: ev.HandedOver) -> list[NewEvent]:
    """Record transport's custody transfer, dated by its legal instant (not by when it
    arrives). A fact, not a clerk's command: recorded once; on an unknown case dropped."""
    if not state.opened or state.handed_over_on is not None:
        return []
    return [event(handover, handover.handed_over_at), *_void_late_expiry(state, handover)]


def _void_late_expiry(state: State, handover: ev.HandedOver) -> list[NewEvent]:
    """An expiry dated after the handover, recorded because the custody transfer reached
    judicial late (a consumer lag across midnight), was void: the window ended at the
    handover. Say so in the record, with the release it brought."""
    if not state.pickup_expired or state.pickup is None:
        return []
    if handover.handed_over_on >= state.pickup.due_on:
        return []
    release = (state.released is not None
               and state.released[1] is ReleaseReason.PICKUP_WINDOW_EXPIRED)
    return [event(ev.PickupExpiryVoided(
        case_id=state.case_id, handed_over_at=handover.handed_over_at,
        handed_over_on=handover.handed_over_on, deadline_on=state.pickup.due_on,
        release_voided=release), handover.handed_over_at)]


# --- the judicial path ------------------------------------------------------------------------

def order_provisional_detention(state: State, c: cmd.OrderProvisionalDetention,
                                now: datetime, policy: Policy) -> list[NewEvent]:
    _judicial_step(state, "provisional detention")
    rules.PROVISIONAL_DETENTION_ALREADY_ORDERED.require(
        state.provisional is None,
        "provisional detention was already ordered")
    rules.FORMAL_REQUEST_ALREADY_RECEIVED.require(
        state.formal_request_on is None,
        "the formal request has arrived: provisional detention is for the time before it")
    _not_in_future(c.ordered_on, now, "ordered_on")
    counting = policy.disputed_clock
    return [event(ev.ProvisionalDetentionOrdered(
        case_id=state.case_id, ordered_on=c.ordered_on,
        deadline_on=counting.add_days(c.ordered_on, policy.provisional_detention_days),
        days=policy.provisional_detention_days, day_counting=counting.counting.value,
        clock_stopped_by=tuple(sorted(policy.provisional_clock_stopped_by))), c.ordered_on)]


def receive_formal_request(state: State, c: cmd.ReceiveFormalRequest, now: datetime,
                           policy: Policy) -> list[NewEvent]:
    _judicial_step(state, "the formal request")
    rules.FORMAL_REQUEST_ALREADY_RECEIVED.require(
        state.formal_request_on is None,
        "the formal request was already received")
    _not_in_future(c.received_on, now, "received_on")
    _not_before(c.received_on, state.provisional.started_on if state.provisional else None,
                "received_on", "the provisional detention order")
    stopped, voided = _stopping_step(state, "formal_request_received", c.received_on)
    return [event(ev.FormalRequestReceived(case_id=state.case_id, received_on=c.received_on,
                                           provisional_clock_stopped=stopped), c.received_on),
            *voided]


def _opinion_not_yet_issued(state: State, day: date) -> None:
    """The hearing, objections, consent and extensions lead to the opinion, and the opinion to
    the SRE's decision: once either is made they are over (on the simplified basis the SRE may
    decide on the consent alone), unless a final amparo grant sent the matter back to it."""
    rules.OPINION_ALREADY_ISSUED.require(state.opinion_on is None,
                                         "the judge has already issued the opinion")
    rules.SRE_ALREADY_DECIDED.require(
        not rules.sre_has_decided(state, day),
        "the SRE has already decided: the judicial steps before it are over")


@dataclass(frozen=True)
class _FormalAnswer:
    """An act that answers the formal request, once: the hearing or the person's consent."""

    what: str  # the act, as a refusal names it
    missing: str  # the refusal while the formal request has not been received
    once: Rule[Any]
    repeated: str  # the refusal of a second one
    field: str  # the command's date
    step: str  # the event, as provisional_clock_stopped_by names it


_HEARING = _FormalAnswer("the hearing",
                         "the hearing needs the formal request, which has not been received",
                         rules.HEARING_ALREADY_HELD, "the hearing was already held", "held_on",
                         "hearing_held")
_CONSENT = _FormalAnswer(
    "consent", "the person consents to the formal request, which has not been received",
    rules.CONSENT_ALREADY_GIVEN, "consent was already given", "given_on", "consent_given")


def _answers_formal_request(state: State, answer: _FormalAnswer, recorded: bool, day: date,
                            now: datetime) -> tuple[bool, list[NewEvent]]:
    """The hearing and consent answer the formal request: a judicial step that needs it, is
    not `recorded` already and comes before the opinion, dated neither in the future nor
    before the request; each may stop the provisional clock (`_stopping_step`)."""
    _judicial_step(state, answer.what)
    rules.FORMAL_REQUEST_MISSING.require(state.formal_request_on is not None, answer.missing)
    answer.once.require(not recorded, answer.repeated)
    _opinion_not_yet_issued(state, day)
    _not_in_future(day, now, answer.field)
    _not_before(day, state.formal_request_on, answer.field, "the formal request")
    return _stopping_step(state, answer.step, day)


def hold_hearing(state: State, c: cmd.HoldHearing, now: datetime,
                 policy: Policy) -> list[NewEvent]:
    stopped, voided = _answers_formal_request(state, _HEARING, state.hearing_on is not None,
                                              c.held_on, now)
    # Both periods run from the day after the hearing, as every period here does (the act's
    # day is day 0): objections on the 3rd day after it, an extension on the 20th, are in time.
    days = policy.calendar
    return [event(ev.HearingHeld(
        case_id=state.case_id, held_on=c.held_on,
        objections_due_on=days.closes_on(c.held_on, policy.objections_days),
        evidence_due_on=days.closes_on(c.held_on, policy.evidence_days),
        provisional_clock_stopped=stopped), c.held_on), *voided]


def _during_hearing_periods(state: State, what: str, day: date, field: str,
                           now: datetime) -> None:
    """Objections and evidence-period extensions: a judicial step that needs the hearing
    (which opens those periods) and no opinion yet, dated neither in the future nor before
    the hearing."""
    _judicial_step(state, what)
    rules.HEARING_NOT_HELD.require(
        state.hearing_on is not None,
        f"{what} needs the hearing, which has not been held")
    _opinion_not_yet_issued(state, day)
    _not_in_future(day, now, field)
    _not_before(day, state.hearing_on, field, "the hearing")


def extend_evidence_period(state: State, c: cmd.ExtendEvidencePeriod, now: datetime,
                           _policy: Policy) -> list[NewEvent]:
    _during_hearing_periods(state, "an evidence-period extension", c.extended_on,
                            "extended_on", now)
    assert state.evidence_due_on is not None
    rules.EVIDENCE_PERIOD_OVER.require(
        c.extended_on < state.evidence_due_on,
        f"the evidence period ended on {state.evidence_due_on}; it can only be extended while it "
        "runs")
    new_due = state.evidence_due_on + timedelta(days=c.additional_days)
    return [event(ev.EvidencePeriodExtended(
        case_id=state.case_id, extended_on=c.extended_on, additional_days=c.additional_days,
        previous_due_on=state.evidence_due_on, evidence_due_on=new_due, reason=c.reason),
        c.extended_on)]


def file_objections(state: State, c: cmd.FileObjections, now: datetime,
                    _policy: Policy) -> list[NewEvent]:
    _during_hearing_periods(state, "objections", c.filed_on, "filed_on", now)
    assert state.objections_due_on is not None
    return [event(ev.ObjectionsFiled(case_id=state.case_id, filed_on=c.filed_on,
                                     summary=c.summary,
                                     within_period=c.filed_on < state.objections_due_on),
                  c.filed_on)]


def give_consent(state: State, c: cmd.GiveConsent, now: datetime,
                 policy: Policy) -> list[NewEvent]:
    stopped, voided = _answers_formal_request(state, _CONSENT, state.consent_on is not None,
                                              c.given_on, now)
    assert state.legal_basis is not None
    return [event(ev.ConsentGiven(case_id=state.case_id, given_on=c.given_on,
                                  legal_basis=state.legal_basis,
                                  provisional_clock_stopped=stopped), c.given_on), *voided]


def issue_opinion(state: State, c: cmd.IssueOpinion, now: datetime,
                  _policy: Policy) -> list[NewEvent]:
    _judicial_step(state, "the judge's opinion")
    _opinion_not_yet_issued(state, c.issued_on)
    rules.HEARING_OR_CONSENT_REQUIRED.require(
        state.hearing_on is not None or state.consent_on is not None,
        "the judge's opinion follows the hearing, or the person's consent; neither has been "
        "recorded")
    _not_in_future(c.issued_on, now, "issued_on")
    # Both lead to the opinion, so it follows the later of them (consent after the hearing:
    # the 3-day opinion after consent).
    after, following = max((day, act) for day, act in (
        (state.hearing_on, "hearing"), (state.consent_on, "consent")) if day is not None)
    _not_before(c.issued_on, after, "issued_on", f"the {following}")
    return [event(ev.JudgeOpinionIssued(case_id=state.case_id, issued_on=c.issued_on,
                                        favorable=c.favorable, following=following),
                  c.issued_on)]


def _require_sre_may_decide(state: State) -> date:
    """The SRE's prerequisites by basis; returns the date the SRE decides after."""
    if state.legal_basis is LegalBasis.TREATY:
        rules.SRE_REQUIRES_JUDGE_OPINION.require(
            state.opinion_on is not None,
            "on the treaty basis the SRE decides only after the judge's opinion, which has not "
            "been issued")
    else:
        rules.SRE_REQUIRES_CONSENT_OR_OPINION.require(
            state.opinion_on is not None or state.consent_on is not None,
            "on the simplified basis the SRE decides after the person's consent (or the judge's "
            "opinion); neither has been recorded")
    after = state.opinion_on or state.consent_on
    assert after is not None
    return after


def decide_extradition(state: State, c: cmd.DecideExtradition, now: datetime,
                       policy: Policy) -> list[NewEvent]:
    _judicial_step(state, "the SRE decision")
    rules.SRE_ALREADY_DECIDED.require(
        not rules.sre_has_decided(state, c.decided_on),
        "the SRE has already decided (only a final amparo grant sends the matter back to it)")
    after = _require_sre_may_decide(state)
    _not_in_future(c.decided_on, now, "decided_on")
    _not_in_future(c.notified_on, now, "notified_on")
    _not_before(c.decided_on, after, "decided_on", "the step the SRE decides on")
    _not_before(c.notified_on, c.decided_on, "notified_on", "the decision")
    # Deciding again after a final grant: suits against the annulled order's execution have
    # lost their object, and their suspensions end (said, so transport stops holding on them).
    overtaken = _suspensions_lifted(state, state.active_suspensions, c.decided_on,
                                    "sre_decided_again")
    if c.decision == "refused":
        _require_refusal_ground(c)
        if c.domestic_prosecution_referred_on is not None:  # a record of an act done, not planned
            _not_in_future(c.domestic_prosecution_referred_on, now,
                           "domestic_prosecution_referred_on")
        return [*overtaken, event(ev.SreExtraditionRefused(
            case_id=state.case_id, decided_on=c.decided_on, notified_on=c.notified_on,
            reason=c.reason, ground=c.ground, person_is_mexican=c.person_is_mexican,
            domestic_prosecution_referred_on=c.domestic_prosecution_referred_on), c.decided_on),
                _released(state, c.decided_on, ReleaseReason.EXTRADITION_REFUSED)]
    assert state.legal_basis is not None
    # Amparo Law arts. 17 fr. I, 18, 19: 30 business days counted from the day after the
    # notification; a suit filed on the last of them is in time.
    window = policy.amparo_window
    return [*overtaken, event(ev.SreExtraditionGranted(
        case_id=state.case_id, legal_basis=state.legal_basis, decided_on=c.decided_on,
        notified_on=c.notified_on, amparo_window_days=policy.amparo_window_days,
        amparo_window_closes_on=window.closes_on(c.notified_on, policy.amparo_window_days),
        day_counting=window.counting.value, granted_charge_ids=state.charge_ids,
        judge_opinion_favorable=state.opinion_favorable), c.decided_on)]


def _require_refusal_ground(c: cmd.DecideExtradition) -> None:
    """A refusal names its ground; the nationality ground needs a Mexican national (the
    clerk's statement: judicial holds no nationality facts) and the domestic-prosecution
    record (treaty art. 9(2): the case goes to Mexico's own prosecutors)."""
    rules.REFUSAL_GROUND_REQUIRED.require(
        c.ground is not None, "a refusal names its ground (nationality, "
                              "political_or_military_offence, non_bis_in_idem, lapse_of_time, "
                              "other)")
    if c.ground == "nationality":
        rules.NATIONALITY_GROUND_NEEDS_A_NATIONAL.require(
            c.person_is_mexican is True,
            "the nationality ground needs person_is_mexican: true")
        rules.NATIONALITY_GROUND_NEEDS_A_NATIONAL.require(
            c.domestic_prosecution_referred_on is not None,
            "the nationality ground needs domestic_prosecution_referred_on: the day the case "
            "went to Mexico's prosecutors")


def _released(state: State, on: date, reason: ReleaseReason) -> NewEvent:
    return event(ev.ReleasedFromCustody(case_id=state.case_id, released_on=on, reason=reason),
                 on)


# --- amparo -------------------------------------------------------------------------------

def file_amparo(state: State, c: cmd.FileAmparo, now: datetime,
                _policy: Policy) -> list[NewEvent]:
    # A suit filed while the pickup window ran is recorded even once its expiry is: it holds
    # nothing itself, but the suspension or grant that follows in it voids that expiry.
    _judicial_step(state, "an amparo suit",
                   closed_ok=_closed_by_expiry_after(state, c.filed_on))
    rules.SRE_GRANT_REQUIRED.require(
        state.granted,
        "an amparo challenges the SRE's grant, which has not been recorded")
    rules.AMPARO_ALREADY_FILED.require(
        state.amparo(c.amparo_id) is None,
        f"amparo {c.amparo_id!r} was already filed")
    assert state.sre is not None and state.amparo_window is not None
    _not_in_future(c.filed_on, now, "filed_on")
    _not_before(c.filed_on, state.sre.notified_on, "filed_on", "the notification of the grant")
    # After the window the grant itself is final, but the execution of a surrender order is
    # a new act that can still be challenged (and suspended) until the person leaves.
    # An order made after the suit was filed was not what it challenged: judged on the filing.
    rules.AMPARO_FILED_AFTER_WINDOW.require(
        c.filed_on < state.amparo_window.due_on
        or (state.surrender is not None and c.filed_on >= state.surrender.ordered_on),
        f"the amparo window closed on {state.amparo_window.due_on}; after it only the execution of"
        " a surrender order can be challenged")
    return [event(ev.AmparoFiled(case_id=state.case_id, amparo_id=c.amparo_id,
                                 filed_on=c.filed_on,
                                 active_suspensions=state.active_suspensions,
                                 granted_amparos=state.granted_amparos), c.filed_on)]


def _pending_amparo(state: State, amparo_id: str) -> date:
    amparo = state.amparo(amparo_id)
    rules.AMPARO_NOT_FILED.require(amparo is not None, f"no amparo {amparo_id!r} was filed")
    assert amparo is not None
    rules.AMPARO_ALREADY_DECIDED.require(
        amparo.pending,
        f"amparo {amparo_id!r} was already decided ({amparo.outcome})")
    return amparo.filed_on


def grant_amparo_suspension(state: State, c: cmd.GrantAmparoSuspension, now: datetime,
                            _policy: Policy) -> list[NewEvent]:
    voided = _expiry_voided_by_earlier_act(state, "amparo_suspension_granted", c.granted_on,
                                           c.amparo_id)
    state = replay(state, voided)  # the case as the law has it: open again, if it was void
    _judicial_step(state, "an amparo suspension")
    filed_on = _pending_amparo(state, c.amparo_id)
    rules.SUSPENSION_ALREADY_ACTIVE.require(
        c.amparo_id not in state.active_suspensions,
        f"amparo {c.amparo_id!r} already suspends surrender")
    _not_in_future(c.granted_on, now, "granted_on")
    _not_before(c.granted_on, filed_on, "granted_on", "the amparo filing")
    if state.pickup_running:
        assert state.pickup is not None
        rules.PICKUP_WINDOW_PASSED.require(
            c.granted_on < state.pickup.due_on,
            f"the pickup window ran out on {state.pickup.due_on}: a suspension granted on "
            f"{c.granted_on} comes after it")
    return [event(ev.AmparoSuspensionGranted(
        case_id=state.case_id, amparo_id=c.amparo_id, granted_on=c.granted_on,
        active_suspensions=(*state.active_suspensions, c.amparo_id),
        granted_amparos=state.granted_amparos,
        pickup_paused=_holds_pickup(state, c.granted_on)), c.granted_on), *voided]


Hold = tuple[date, date | None]  # (first day held, first day free again); None: still held


def pickup_closes_on(placed_on: date, days: int, holds: Iterable[Hold]) -> date | None:
    """LEI art. 35: the first day the pickup window is closed. Its `days` are the calendar days
    after the person was placed at the US's disposal that no hold took (a hold takes the days
    from the one it began to the one before it ended; overlapping holds take a day once). A
    hold that began only after the window had closed takes none. None: a hold still in force
    began while the window ran, so it is paused."""
    counting_from, left = placed_on + timedelta(days=1), days
    for began, ended in sorted(holds, key=lambda hold: hold[0]):
        if ended is not None and ended <= counting_from:
            continue  # over before the days still to count (or inside an earlier hold)
        free = max((began - counting_from).days, 0)
        if free >= left:
            break  # the window closed before this hold (and every later one) began
        left -= free
        if ended is None:
            return None
        counting_from = max(counting_from, ended)
    return counting_from + timedelta(days=left)


def _holds_of(state: State, lifted_on: date | None = None) -> list[Hold]:
    """Every hold on the surrender's execution, each over its own days (so a hold that began
    while another held, or whose end was recorded late, counts only its own): a suit's
    suspension from its grant to its end, and a grant against the order from its ruling to
    its reversal on appeal. Those still in force end on `lifted_on` (the end being decided),
    or stay open. `pickup_closes_on` takes a day held by several once."""
    held: list[Hold] = []
    for amparo in state.amparos:
        if amparo.suspension_granted_on is not None and (
                amparo.suspension_active or amparo.suspension_ended_on is not None):
            held.append((amparo.suspension_granted_on, amparo.suspension_ended_on or lifted_on))
        granted_on = amparo.ruled_on if amparo.outcome == "granted" else (
            amparo.appeal_decided_on if amparo.appeal_outcome == "granted" else None)
        if granted_on is not None:
            reversed_on = amparo.appeal_decided_on if (
                amparo.outcome == "granted" and amparo.appeal_outcome == "denied") else None
            held.append((granted_on, reversed_on or lifted_on))
    return held


def resumed_pickup_due_on(state: State, lifted_on: date) -> date:
    """The paused pickup window's new deadline, once the hold in force ends on `lifted_on`."""
    assert state.pickup is not None and state.pickup_paused_on is not None
    closes = pickup_closes_on(state.pickup.started_on, state.pickup.days,
                              _holds_of(state, lifted_on))
    assert closes is not None
    return closes


def _appeal_closes_on(policy: Policy, notified_on: date) -> date:
    """Amparo Law arts. 81, 86: 10 business days to appeal, from the day after notification."""
    return policy.amparo_window.closes_on(notified_on, policy.amparo_appeal_days)


def rule_on_amparo(state: State, c: cmd.RuleOnAmparo, now: datetime,
                   policy: Policy) -> list[NewEvent]:
    """A first-instance ruling. It is final only once its appeal period passes unappealed or
    the appeal is decided; a grant no longer releases the person: once final it sends the
    matter back to the SRE (`decide_extradition` may then decide again)."""
    voided = _expiry_voided_by_earlier_act(state, "amparo_granted", c.ruled_on, c.amparo_id) \
        if c.outcome == "granted" else []
    state = replay(state, voided)  # the case as the law has it: open again, if it was void
    _judicial_step(state, "an amparo ruling")
    filed_on = _pending_amparo(state, c.amparo_id)
    notified_on = c.notified_on or c.ruled_on
    _not_in_future(c.ruled_on, now, "ruled_on")
    _not_in_future(notified_on, now, "notified_on")
    _not_before(c.ruled_on, filed_on, "ruled_on", "the amparo filing")
    suit = state.amparo(c.amparo_id)
    _not_before(c.ruled_on, suit.suspension_granted_on if suit else None, "ruled_on",
                "the suspension granted in the suit")
    _not_before(notified_on, c.ruled_on, "notified_on", "the ruling")
    appeal_closes_on = _appeal_closes_on(policy, notified_on)
    pending = tuple(a for a in state.pending_amparos if a != c.amparo_id)
    if c.outcome == "granted":
        # The grant ends its own suspension (the act is annulled instead).
        return [event(ev.AmparoGranted(
            case_id=state.case_id, amparo_id=c.amparo_id, ruled_on=c.ruled_on,
            notified_on=notified_on, appeal_period_closes_on=appeal_closes_on,
            pickup_paused=_holds_pickup(state, c.ruled_on),
            active_suspensions=tuple(a for a in state.active_suspensions if a != c.amparo_id),
            pending_amparos=pending), c.ruled_on), *voided]
    # Its suspension, if any, holds until the denial is final (`amparo_suspension_lifted`):
    # the pickup window stays paused meanwhile.
    return [event(ev.AmparoDenied(
        case_id=state.case_id, amparo_id=c.amparo_id, ruled_on=c.ruled_on,
        suspension_lifted=False, active_suspensions=state.active_suspensions,
        pending_amparos=pending, granted_amparos=state.granted_amparos,
        # Not final on the ruling day: the appeal period has just begun.
        surrender_blocked=True, notified_on=notified_on,
        appeal_period_closes_on=appeal_closes_on,
        appeal_period_days=policy.amparo_appeal_days), c.ruled_on)]


def _holds_pickup(state: State, on: date) -> bool:
    """Whether a hold beginning `on` (a suspension, a grant against the order's execution)
    holds the pickup window from that day: the window ran then, unless it had already run out
    (the expiry came first: rules.PICKUP_WINDOW_PASSED) or another hold held it already. A
    hold dated before the one in force (typed in late) moves the pause back to its day."""
    if state.pickup is None or state.pickup_expired or state.closed:
        return False
    if state.pickup_paused_on is not None and state.pickup_paused_on <= on:
        return False
    return on < state.pickup.due_on


LiftCause = Literal["appeal_period_passed", "appeal_decided", "sre_decided_again"]


def _suspensions_lifted(state: State, amparo_ids: Sequence[str], on: date,
                        cause: LiftCause) -> list[NewEvent]:
    """The end of these suits' suspensions on `on` (their denials final, or the SRE deciding
    again); the last one to end resumes a paused pickup window, moved by the days it was
    paused, unless a grant still holds the order."""
    remaining = list(state.active_suspensions)
    # Deciding again sets every suit of the annulled decision aside: none awaits a ruling,
    # no grant stands.
    aside = cause == "sre_decided_again"
    pending = () if aside else state.pending_amparos
    standing = () if aside else state.granted_amparos
    lifted = []
    for amparo_id in amparo_ids:
        remaining.remove(amparo_id)
        resumes = state.pickup_paused and not remaining and not state.granted_amparos
        lifted.append(event(ev.AmparoSuspensionLifted(
            case_id=state.case_id, amparo_id=amparo_id, lifted_on=on, cause=cause,
            active_suspensions=tuple(remaining), pending_amparos=pending,
            granted_amparos=standing,
            pickup_deadline_on=resumed_pickup_due_on(state, on) if resumes else None), on))
    return lifted


def _ruled_amparo(state: State, amparo_id: str) -> State:
    amparo = state.amparo(amparo_id)
    rules.AMPARO_NOT_FILED.require(amparo is not None, f"no amparo {amparo_id!r} was filed")
    assert amparo is not None
    rules.AMPARO_NOT_RULED.require(not amparo.pending,
                                   f"amparo {amparo_id!r} has not been ruled on")
    return state


def file_amparo_appeal(state: State, c: cmd.FileAmparoAppeal, now: datetime,
                       _policy: Policy) -> list[NewEvent]:
    voided = _expiry_voided_by_appeal(state, c)
    state = replay(state, voided)  # the case as the law has it: open again, if it was void
    _judicial_step(state, "an amparo appeal")
    _ruled_amparo(state, c.amparo_id)
    amparo = state.amparo(c.amparo_id)
    assert amparo is not None and amparo.ruled_on is not None
    rules.AMPARO_APPEAL_ALREADY_FILED.require(
        amparo.appeal_filed_on is None, f"amparo {c.amparo_id!r}'s ruling was already appealed")
    _not_in_future(c.filed_on, now, "filed_on")
    _not_before(c.filed_on, amparo.ruled_on, "filed_on", "the ruling")
    rules.AMPARO_APPEAL_PERIOD_PASSED.require(
        amparo.appeal_closes_on is not None and c.filed_on < amparo.appeal_closes_on,
        f"the period to appeal amparo {c.amparo_id!r}'s ruling closed on "
        f"{amparo.appeal_closes_on or amparo.ruled_on}: the ruling is final")
    filed = [event(ev.AmparoAppealFiled(case_id=state.case_id, amparo_id=c.amparo_id,
                                        filed_on=c.filed_on, appellant=c.appellant), c.filed_on)]
    if amparo.lapsed_on is None or amparo.suspension_active:
        return filed
    # Filed in time, entered after the scheduler ended the suspension: it never ended. It
    # holds the pickup window again from the day it was lifted: a running window pauses, and
    # one another suspension paused since then is held from that earlier day. An expiry it
    # voids is recorded after it, so no reader sees the person free in between.
    return [*filed, event(ev.AmparoSuspensionReinstated(
        case_id=state.case_id, amparo_id=c.amparo_id, appeal_filed_on=c.filed_on,
        lifted_on=amparo.lapsed_on, active_suspensions=(*state.active_suspensions, c.amparo_id),
        granted_amparos=state.granted_amparos,
        pickup_paused=_holds_pickup(state, amparo.lapsed_on)), c.filed_on), *voided]


def _expiry_voided_by_appeal(state: State, c: cmd.FileAmparoAppeal) -> list[NewEvent]:
    """The pickup window's expiry, and the release recorded with it, that an appeal filed in
    time shows void: the scheduler had ended the suit's suspension (its denial unappealed, as
    far as the record knew) before the window's deadline, so the window resumed and ran
    out; but the suspension held all along and the window with it. Nothing when the appeal
    is out of time (refused below) or the window ran out on its own."""
    amparo = state.amparo(c.amparo_id)
    if (amparo is None or amparo.lapsed_on is None or amparo.appeal_filed_on is not None
            or amparo.appeal_closes_on is None or c.filed_on >= amparo.appeal_closes_on
            or not _closed_by_expiry_after(state, amparo.lapsed_on)):
        return []
    assert state.pickup is not None
    released = state.released
    voids_release = released is not None
    return [event(ev.PickupExpiryVoidedByAppeal(
        case_id=state.case_id, amparo_id=c.amparo_id, appeal_filed_on=c.filed_on,
        lifted_on=amparo.lapsed_on, deadline_on=state.pickup.due_on,
        release_voided=voids_release,
        released_on=released[0] if released is not None and voids_release else None),
        state.pickup.due_on)]


LateAct = Literal["amparo_suspension_granted", "amparo_granted", "placed_at_disposal"]


def _expiry_voided_by_earlier_act(state: State, act: LateAct, act_on: date,
                                  amparo_id: str | None = None) -> list[NewEvent]:
    """The pickup window's expiry, and the release recorded with it, that an act dated before
    it but entered after it shows void: a hold beginning while the window ran (a suspension,
    a grant against the order's execution; `_holds_pickup`) or a placement at the US's
    disposal, made while the window ran, moving it past the expiry (the caller checks the
    move). Recorded after the act, dated at the expiry it voids; the act is decided on the
    case as the law has it (open). Nothing when the window ran out on its own before the
    act, or the case closed for another reason."""
    if not _closed_by_expiry_after(state, act_on):
        return []
    pickup, released = state.pickup, state.released
    assert pickup is not None
    return [event(ev.PickupExpiryVoidedByEarlierAct(
        case_id=state.case_id, act=act, act_on=act_on, amparo_id=amparo_id,
        deadline_on=pickup.due_on, release_voided=released is not None,
        released_on=None if released is None else released[0]), pickup.due_on)]


def _closed_by_expiry_after(state: State, day: date) -> bool:
    """The case is closed by a pickup expiry (and its release) the scheduler recorded on a
    deadline after `day`, the person not handed over: an act dated `day` came while the
    window ran, whenever it is entered."""
    pickup, released = state.pickup, state.released
    if not state.pickup_expired or pickup is None or state.handed_over_on is not None:
        return False
    if released is not None and released[1] is not ReleaseReason.PICKUP_WINDOW_EXPIRED:
        return False
    return day < pickup.due_on


def decide_amparo_appeal(state: State, c: cmd.DecideAmparoAppeal, now: datetime,
                         _policy: Policy) -> list[NewEvent]:
    _judicial_step(state, "an amparo appeal decision")
    _ruled_amparo(state, c.amparo_id)
    amparo = state.amparo(c.amparo_id)
    assert amparo is not None
    rules.AMPARO_APPEAL_NOT_FILED.require(
        amparo.appeal_filed_on is not None, f"amparo {c.amparo_id!r}'s ruling was not appealed")
    rules.AMPARO_APPEAL_ALREADY_DECIDED.require(
        amparo.appeal_outcome is None, f"the appeal in amparo {c.amparo_id!r} was already decided")
    _not_in_future(c.decided_on, now, "decided_on")
    _not_before(c.decided_on, amparo.appeal_filed_on, "decided_on", "the appeal")
    granted = c.outcome == "granted"
    # A grant annuls the act instead of suspending it: its own suspension ends with it.
    suspensions = tuple(a for a in state.active_suspensions if not granted or a != c.amparo_id)
    # A grant reversed on appeal no longer holds the surrender's execution: a pickup window
    # it paused resumes when nothing else holds it.
    reversed_grant = not granted and amparo.outcome == "granted"
    resumes = (reversed_grant and state.pickup_paused and not suspensions
               and state.granted_amparos == (c.amparo_id,))
    decided = [event(ev.AmparoAppealDecided(
        case_id=state.case_id, amparo_id=c.amparo_id, decided_on=c.decided_on,
        outcome=c.outcome, sre_decision_reopened=granted, active_suspensions=suspensions,
        pending_amparos=state.pending_amparos,
        granted_amparos=(*(a for a in state.granted_amparos if a != c.amparo_id),
                         *((c.amparo_id,) if granted else ())),
        pickup_deadline_on=resumed_pickup_due_on(state, c.decided_on) if resumes else None,
        pickup_paused=granted and _holds_pickup(state, c.decided_on)),
        c.decided_on)]
    if c.outcome == "denied" and amparo.suspension_active:  # the denial is final now
        return decided + _suspensions_lifted(state, (c.amparo_id,), c.decided_on,
                                             "appeal_decided")
    return decided


# --- surrender ------------------------------------------------------------------------------

def _surrender_refusal(state: State, day: date) -> Callable[[Rule[rules.OnDay]], str]:
    """The refusal's words: what the first failing rule found on this case, then the other
    rules of the gate that hold the order back too (the view lists the same ones)."""
    subject = rules.OnDay(state, day)
    specific: dict[str, str] = {
        rules.AMPARO_SUSPENSION_ACTIVE.id:
            f"amparo suspension active in {', '.join(state.suspensions_in_force_on(day))}: "
            "surrender is frozen until the suit is decided for good",
        rules.AMPARO_PENDING.id: f"amparo {', '.join(state.pending_amparos)} is pending a ruling",
        rules.AMPARO_NOT_FINAL.id:
            f"the ruling in amparo {', '.join(state.amparos_not_final_on(day))} is not final: "
            "its appeal period runs or its appeal is pending",
        rules.AMPARO_GRANTED.id:
            f"amparo {', '.join(state.granted_amparos)} was granted: the SRE must decide again",
        rules.AMPARO_WINDOW_OPEN.id:
            f"the amparo window is open until "
            f"{state.amparo_window.due_on if state.amparo_window else None}; surrender may be "
            "ordered once it has closed, with no amparo pending or suspending it",
    }

    def detail(first: Rule[rules.OnDay]) -> str:
        others = [rule.id for rule in rules.SURRENDER.failing(subject) if rule is not first]
        text = specific.get(first.id, f"a surrender order: {first.statement}")
        return f"{text} (also held back by: {', '.join(others)})" if others else text

    return detail


def order_surrender(state: State, c: cmd.OrderSurrender, now: datetime,
                    policy: Policy) -> list[NewEvent]:
    """Rule 4: no surrender while a suspension is active or the window is open; a pending
    suit blocks too, since a suspension may still be granted in it. The gate `SURRENDER`
    (rules.py) is judged on the order's own date: the window is closed in law from its due
    date, so an order dated on or after it passes even if the scheduler has not recorded the
    closing yet (the order records it first, below); one dated before it is refused even once
    the closing is recorded."""
    subject = rules.OnDay(state, c.ordered_on)
    if c.kind is SurrenderKind.DEFERRED:
        rules.SURRENDER_DEFERRAL.enforce(subject, _surrender_refusal(state, c.ordered_on))
        return _defer_surrender(state, c, now)
    rules.SURRENDER.enforce(subject, _surrender_refusal(state, c.ordered_on))
    assert state.sre is not None and state.legal_basis is not None
    if c.kind is SurrenderKind.TEMPORARY:
        rules.TEMPORARY_SURRENDER_NOT_AGREED.require(
            state.temporary_agreed_on is not None,
            "a temporary surrender needs the governments' agreement, which has not been recorded")
        _not_before(c.ordered_on, state.temporary_agreed_on, "ordered_on",
                    "the governments' agreement on a temporary surrender")
    _not_in_future(c.ordered_on, now, "ordered_on")
    _not_before(c.ordered_on, state.sre.notified_on, "ordered_on",
                "the notification of the grant")
    _not_before(c.ordered_on, state.deferral[0] if state.deferral else None, "ordered_on",
                "the deferral it follows")
    placed_on = c.placed_at_disposal_on or c.ordered_on
    _not_in_future(placed_on, now, "placed_at_disposal_on")
    _not_before(placed_on, c.ordered_on, "placed_at_disposal_on", "the surrender order")
    temporary = c.kind is SurrenderKind.TEMPORARY
    assert state.granted_charge_ids is not None and state.amparo_window is not None
    # The window ran out in law before the order's date; if the scheduler has not recorded
    # that yet, record it first so the history never shows a surrender inside an open window.
    closing = _run_out(state, ClockKind.AMPARO_WINDOW, state.amparo_window.due_on) \
        if state.amparo_window_clock_running else []
    return [*closing, *_lapsed_by(state, c.ordered_on), event(ev.SurrenderOrdered(
        case_id=state.case_id, legal_basis=state.legal_basis,
        requesting_district=state.requesting_district, ordered_on=c.ordered_on, kind=c.kind,
        pickup_days=policy.surrender_pickup_days,
        placed_at_disposal_on=c.placed_at_disposal_on,
        # LEI art. 35: 60 calendar days from the day after the person is placed at the US's
        # disposal; the last is in time.
        pickup_deadline_on=policy.calendar.closes_on(placed_on, policy.surrender_pickup_days),
        return_obligation=temporary,
        return_conditions=state.temporary_return_conditions if temporary else None,
        granted_charge_ids=state.granted_charge_ids), c.ordered_on)]


def record_placement_at_disposal(state: State, c: cmd.RecordPlacementAtDisposal,
                                 now: datetime, _policy: Policy) -> list[NewEvent]:
    """LEI art. 35: the pickup window counts from the day after the person is placed at the
    US's disposal. Recorded after the order, the day moves the window's start; holds the
    window has come out of count only for their days inside the moved window, and one still
    holding it counts at its end from the window's new first day. A day that moves the
    window past an expiry already recorded shows that expiry void (entered late)."""
    moves_past = state.pickup is not None \
        and _moved_pickup_deadline(state, c.placed_on) > state.pickup.due_on
    voided = _expiry_voided_by_earlier_act(state, "placed_at_disposal", c.placed_on) \
        if moves_past else []
    state = replay(state, voided)  # the case as the law has it: open again, if it was void
    _judicial_step(state, "a placement at the US's disposal")
    surrender = state.surrender
    rules.SURRENDER_NOT_ORDERED.require(
        surrender is not None, "nobody is placed at the US's disposal without a surrender "
        "order (full or temporary)")
    assert surrender is not None and state.pickup is not None
    _require_placement_changes(surrender.placed_on, c)
    _not_in_future(c.placed_on, now, "placed_on")
    _not_before(c.placed_on, surrender.ordered_on, "placed_on", "the surrender order")
    return [event(ev.PlacedAtDisposal(case_id=state.case_id, placed_on=c.placed_on,
                                      pickup_deadline_on=_moved_pickup_deadline(state,
                                                                                c.placed_on),
                                      corrects_placed_on=surrender.placed_on,
                                      correction_reason=c.correction_reason),
                  c.placed_on), *voided]


def _moved_pickup_deadline(state: State, placed_on: date) -> date:
    """The pickup deadline counted from a placement on `placed_on`. Under a hold in force it
    is the one the window resumes from; one the window closed before that hold began is
    final (state.py then no longer reads the window as paused). No window: date.min."""
    if state.pickup is None:
        return date.min
    holds = _holds_of(state)
    deadline = (pickup_closes_on(placed_on, state.pickup.days, holds)
                or pickup_closes_on(placed_on, state.pickup.days,
                                    [hold for hold in holds if hold[1] is not None]))
    assert deadline is not None
    return deadline


def _require_placement_changes(recorded_on: date | None, c: cmd.RecordPlacementAtDisposal) -> None:
    """A day already recorded is replaced only by another day, with the reason it was wrong
    (the record keeps both, so an auditor sees which deadline held when)."""
    if recorded_on is None:
        return
    rules.PLACEMENT_ALREADY_RECORDED.require(
        c.correction_reason is not None,
        f"the person was placed at the US's disposal on {recorded_on}; to correct that day, "
        "give correction_reason")
    rules.PLACEMENT_ALREADY_RECORDED.require(
        c.placed_on != recorded_on,
        f"the person was placed at the US's disposal on {recorded_on} already: nothing to "
        "correct")


def _lapsed_by(state: State, day: date) -> list[NewEvent]:
    """Suspensions of denials whose appeal period passed unappealed by `day`, whose end the
    scheduler has not recorded yet: recorded first (as the window's closing is), so the
    history never shows an order while a suspension is recorded as holding."""
    recorded: list[NewEvent] = []
    due = sorted((a for a in state.amparos if a.awaits_unappealed_finality
                  and a.appeal_closes_on is not None and a.appeal_closes_on <= day),
                 key=lambda a: (a.appeal_closes_on, a.amparo_id))
    for amparo in due:
        assert amparo.appeal_closes_on is not None
        lifted = _suspensions_lifted(state, (amparo.amparo_id,), amparo.appeal_closes_on,
                                     "appeal_period_passed")
        recorded += lifted
        state = replay(state, lifted)
    return recorded


def _defer_surrender(state: State, c: cmd.OrderSurrender, now: datetime) -> list[NewEvent]:
    """Treaty art. 15: surrender waits for the Mexican proceedings. Nobody is handed over,
    so the amparo rules don't apply yet; they do when the surrender is finally ordered."""
    assert state.sre is not None and c.reason is not None
    rules.SURRENDER_ALREADY_DEFERRED.require(
        state.deferral is None,
        "surrender was already deferred")
    _not_in_future(c.ordered_on, now, "ordered_on")
    _not_before(c.ordered_on, state.sre.decided_on, "ordered_on", "the SRE's grant")
    return [event(ev.SurrenderDeferred(case_id=state.case_id, deferred_on=c.ordered_on,
                                       reason=c.reason), c.ordered_on)]


def agree_temporary_surrender(state: State, c: cmd.AgreeTemporarySurrender, now: datetime,
                              _policy: Policy) -> list[NewEvent]:
    _judicial_step(state, "a temporary-surrender agreement")
    _require_grant(state, "a temporary-surrender agreement")
    rules.TEMPORARY_SURRENDER_ALREADY_AGREED.require(
        state.temporary_agreed_on is None,
        "a temporary surrender was already agreed")
    assert state.sre is not None
    _not_in_future(c.agreed_on, now, "agreed_on")
    _not_before(c.agreed_on, state.sre.decided_on, "agreed_on", "the SRE's grant")
    return [event(ev.TemporarySurrenderAgreed(case_id=state.case_id, agreed_on=c.agreed_on,
                                              return_conditions=c.return_conditions),
                  c.agreed_on)]


def change_basis(state: State, c: cmd.ChangeBasis, now: datetime,
                 _policy: Policy) -> list[NewEvent]:
    """A treaty or consent case overtaken by a national-security transfer: an explicit act,
    attributed, keeping the earlier proceedings; clocks stop, suspensions are overtaken."""
    _require_open_case(state)
    assert state.legal_basis is not None
    rules.BASIS_CHANGE_NOT_ALLOWED.require(
        not state.national_security and state.surrender is None,
        f"the case is on the {state.legal_basis.value} basis"
        + (" with a surrender order" if state.surrender is not None else "")
        + ": only a treaty or consent case not yet surrendered can move to national security")
    _not_in_future(c.changed_on, now, "changed_on")
    _not_before(c.changed_on, state.last_act_on, "changed_on", "the case's last act")
    # A provisional detention whose deadline came before the change had lapsed in law: its
    # lapse is recorded first, as for every step (`_lapsed_before`), and the change cannot
    # claim to have stopped it (stopping it would cancel the timer, and the lapse would never
    # be recorded). Likewise any clock whose due day had come had run out before the change:
    # it is not listed as stopped by it.
    lapsed = _lapsed_before(state, c.changed_on)
    stopped = tuple(clock.kind.value for clock in replay(state, lapsed).running_clocks()
                    if c.changed_on < clock.due_on)
    return [*lapsed, event(ev.BasisChanged(
        case_id=state.case_id, changed_on=c.changed_on, from_basis=state.legal_basis,
        to_basis=LegalBasis(c.to_basis), reason=c.reason, authority=c.authority,
        stopped_clocks=stopped, overtaken_suspensions=state.active_suspensions,
        pending_amparos=state.pending_amparos), c.changed_on)]


# --- national security ----------------------------------------------------------------------

def authorize_transfer(state: State, c: cmd.AuthorizeNationalSecurityTransfer, now: datetime,
                       _policy: Policy) -> list[NewEvent]:
    _require_open_case(state)
    rules.BASIS_MISMATCH.require(
        state.national_security,
        "a national-security transfer needs the national_security basis; this case is on the "
        f"{state.legal_basis} basis")
    rules.TRANSFER_ALREADY_AUTHORIZED.require(
        state.transfer_authorized_at is None,
        "the transfer was already authorized")
    rules.DATE_IN_FUTURE.require(
        c.authorized_at <= now,
        f"authorized_at {c.authorized_at.isoformat()} is after now ({now.isoformat()})")
    _not_before(legal_date(c.authorized_at),
                state.basis_changed[1] if state.basis_changed else None, "authorized_at",
                "the basis change it follows")
    return [event(ev.NationalSecurityTransferAuthorized(
        case_id=state.case_id, authorized_at=c.authorized_at,
        us_request_reference=c.us_request_reference, authority=c.authority,
        requesting_district=state.requesting_district), c.authorized_at)]


Decision = Callable[[State, Any, datetime, Policy], list[NewEvent]]

# Each clerk command's decision (the API's step table, api.STEPS, names the same functions).
DECISIONS: dict[type[cmd.Command], Decision] = {
    cmd.OrderProvisionalDetention: order_provisional_detention,
    cmd.ReceiveFormalRequest: receive_formal_request,
    cmd.HoldHearing: hold_hearing,
    cmd.ExtendEvidencePeriod: extend_evidence_period,
    cmd.FileObjections: file_objections,
    cmd.GiveConsent: give_consent,
    cmd.IssueOpinion: issue_opinion,
    cmd.DecideExtradition: decide_extradition,
    cmd.FileAmparo: file_amparo,
    cmd.GrantAmparoSuspension: grant_amparo_suspension,
    cmd.RuleOnAmparo: rule_on_amparo,
    cmd.FileAmparoAppeal: file_amparo_appeal,
    cmd.DecideAmparoAppeal: decide_amparo_appeal,
    cmd.OrderSurrender: order_surrender,
    cmd.RecordPlacementAtDisposal: record_placement_at_disposal,
    cmd.AgreeTemporarySurrender: agree_temporary_surrender,
    cmd.AuthorizeNationalSecurityTransfer: authorize_transfer,
    cmd.ChangeBasis: change_basis,
}


def lapse_first(decision: Decision) -> Decision:
    """The decision, with one rule for every clerk step (here and in the API's runner): what
    had run out in law by the step's date, but the scheduler has not recorded yet, is
    recorded first, so the step is decided on the case as the law had it that day.
    - Suspensions whose denial became final unappealed by then (`_lapsed_by`): the step is
      decided again on the case after them. A hold dated after such an end starts its own
      pause instead of stretching the ended one, and a grant reversed after it finds no
      stale suspension keeping the window paused (the scheduler waits a grace before
      recording such ends, so clerks do type in steps meanwhile).
    - A provisional deadline (`_lapsed_before`; a basis change, which needs the lapse to know
      which clocks it stops, records it itself). The step is not decided again: it is
      recorded as it came, the case going on without the person detained."""
    def decided(state: State, command: cmd.Command, now: datetime,
                policy: Policy) -> list[NewEvent]:
        made = decision(state, command, now, policy)
        day = command.acted_on()
        ended = _lapsed_by(state, day)
        if ended:
            made = [*ended, *decision(replay(state, ended), command, now, policy)]
        if any(e.event_type == ev.ProvisionalDetentionLapsed.EVENT_TYPE for e in made):
            return made
        return [*_lapsed_before(state, day), *made]
    return decided


def decide(state: State, command: cmd.ClerkCommand, now: datetime,
           policy: Policy) -> list[NewEvent]:
    """The events a clerk's command produces on this case, or a RuleViolation."""
    return lapse_first(DECISIONS[type(command)])(state, command, now, policy)


# --- clocks -----------------------------------------------------------------------------------

class TimerAction(StrEnum):
    WAIT = "wait"      # not yet run out (by the case's own dates)
    CANCEL = "cancel"  # the clock was stopped or no longer matters
    FIRE = "fire"      # run out: record the events


@dataclass(frozen=True)
class TimerOutcome:
    action: TimerAction
    events: tuple[NewEvent, ...] = ()


def decide_timer(state: State, kind: ClockKind, now: datetime) -> TimerOutcome:
    """What a due timer does, re-checked against the case as it is now."""
    clock = next((c for c in state.running_clocks() if c.kind is kind), None)
    if clock is None:
        return TimerOutcome(TimerAction.CANCEL)
    if now < start_of(clock.due_on):
        return TimerOutcome(TimerAction.WAIT)
    return TimerOutcome(TimerAction.FIRE, tuple(_run_out(state, kind, clock.due_on)))


def _run_out(state: State, kind: ClockKind, due_on: date) -> list[NewEvent]:
    case_id = state.case_id
    if kind is ClockKind.PROVISIONAL_DETENTION:
        assert state.provisional is not None
        return [event(ev.ProvisionalDetentionLapsed(
            case_id=case_id, ordered_on=state.provisional.started_on, deadline_on=due_on,
            days=state.provisional.days,
            day_counting=state.provisional.day_counting), due_on),
            _released(state, due_on, ReleaseReason.PROVISIONAL_DETENTION_LAPSED)]
    if kind is ClockKind.AMPARO_WINDOW:
        assert state.sre is not None
        return [event(ev.AmparoWindowClosed(case_id=case_id, notified_on=state.sre.notified_on,
                                            closed_on=due_on), due_on)]
    if kind is ClockKind.AMPARO_APPEAL_PERIOD:
        final = [a.amparo_id for a in state.amparos
                 if a.awaits_unappealed_finality and a.appeal_closes_on == due_on]
        return _suspensions_lifted(state, final, due_on, "appeal_period_passed")
    assert state.surrender is not None and state.granted_charge_ids is not None
    return [event(ev.PickupWindowExpired(case_id=case_id,
                                         ordered_on=state.surrender.ordered_on,
                                         deadline_on=due_on,
                                         barred_charge_ids=state.granted_charge_ids),
                  due_on),
            _released(state, due_on, ReleaseReason.PICKUP_WINDOW_EXPIRED)]
