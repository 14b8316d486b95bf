"""Judicial's rules: every rule a judicial step can be refused with, defined once.

The domain refuses with these objects (`R.X.require(...)`, `R.X.refuse(...)`,
`SURRENDER.enforce(...)`), the case view lists `SURRENDER.failing_ids(...)` as
`surrender_blocked_by`, and the audit builds its blockers from them; docs/rules/judicial.md is
generated from `RULES`. Rules several services judge come from shared/rules/law.py.

State rules read `OnDay`: the case as it stands on a legal date. The day matters for the
amparo window only, which closes in law at its due date: a surrender ordered on or after that
day is outside the window whether or not the scheduler has recorded `amparo_window_closed`
yet (the scheduler only records what the calendar already decided). The domain asks on the
order's date, the view on the day it is projected, the audit on the day of the last event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from shared.rules import Gate, Reads, Rule, RuleBook, law
from shared.rules.law import AMPARO_LAW, NATIONAL_SECURITY_LAW, RECORD, TREATY, record_rule

from . import events as ev
from .events import SurrenderKind
from .state import State

LEI = "Ley de Extradición Internacional (LEI)"


@dataclass(frozen=True)
class OnDay:
    """A case as it stands on a legal date (what the state rules of a gate read)."""

    state: State
    day: date


def _judicial(state: State) -> bool:
    return state.opened and not state.closed


# --- the record and the path ------------------------------------------------------------------

CASE_NOT_OPENED: Rule[OnDay] = law.CASE_NOT_OPENED.over(lambda s: not s.state.opened)
DATE_IN_FUTURE = law.DATE_IN_FUTURE
DATE_OUT_OF_ORDER = law.DATE_OUT_OF_ORDER
BASIS_MISMATCH = law.BASIS_MISMATCH

CASE_CLOSED: Rule[OnDay] = Rule(
    "case_closed",
    "the case closed when the person was released: no further step can be recorded",
    f"{RECORD}; {LEI} art. 35 (release of an uncollected person); an SRE refusal or a "
    "lapsed provisional detention ends the detention", Reads.NONE,
    blocks=lambda s: s.state.opened and s.state.closed)
BASIS_CHANGE_NOT_ALLOWED: Rule[Any] = Rule(
    "basis_change_not_allowed",
    "only a treaty or consent case can be overtaken by a national-security transfer, once, "
    "before the handover; the change stops every clock, keeps the earlier proceedings in the "
    "record and records the amparo suspensions in force as overtaken (they no longer hold "
    "the person: the transfer is not an extradition, and the suits' pending state is kept)",
    f"{NATIONAL_SECURITY_LAW} (transfer decision); Runway's record", Reads.NONE,
    satisfied_by=())
PERSON_HANDED_OVER: Rule[OnDay] = Rule(
    "person_handed_over",
    "the person was handed over to the requesting state's agents: Mexico's clocks have stopped, "
    "and no further step, expiry or release can be recorded",
    f"{LEI} art. 34 (delivery at the border or aboard the aircraft); art. 35 (the pickup "
    "window ends with the delivery)", Reads.NONE,
    blocks=lambda s: s.state.handed_over_on is not None)
NATIONAL_SECURITY_HAS_NO_JUDICIAL_STEPS: Rule[OnDay] = Rule(
    "national_security_has_no_judicial_steps",
    "a national-security transfer has no judge, SRE decision or amparo steps: only the "
    "transfer authorisation is recorded",
    f"{NATIONAL_SECURITY_LAW} (a transfer decision on a written US request, not an "
    "extradition)", Reads.NONE,
    blocks=lambda s: _judicial(s.state) and s.state.national_security)

# --- provisional detention and the formal request ----------------------------------------------

PROVISIONAL_DETENTION_ALREADY_ORDERED: Rule[Any] = Rule(
    "provisional_detention_already_ordered", "provisional detention is ordered once per case",
    f"{TREATY} art. 11 (provisional arrest); {RECORD}", Reads.NONE)
PROVISIONAL_DEADLINE_PASSED: Rule[OnDay] = Rule(
    "provisional_deadline_passed",
    "the provisional detention lapsed (no formal request within its days): the person is "
    "released from it, but the case stays open and a formal request arriving later proceeds",
    f"{TREATY} art. 11 (60 days for the formal request; the end of the provisional arrest "
    "does not prevent extradition on a request delivered later)", Reads.LEGAL,
    blocks=lambda s: s.state.provisional_lapsed or (
        s.state.provisional_clock_running and s.state.provisional is not None
        and s.day >= s.state.provisional.due_on))
FORMAL_REQUEST_ALREADY_RECEIVED: Rule[Any] = Rule(
    "formal_request_already_received",
    "the formal request is received once; provisional detention is for the time before it",
    f"{TREATY} arts. 10-11; {RECORD}", Reads.NONE)
FORMAL_REQUEST_MISSING: Rule[Any] = Rule(
    "formal_request_missing",
    "the hearing and the person's consent answer the formal request, which has not been "
    "received", f"{TREATY} art. 10 (the request and its documents)", Reads.NONE,
    satisfied_by=(ev.FormalRequestReceived.EVENT_TYPE,))

# --- the hearing, consent and the judge's opinion ----------------------------------------------

HEARING_ALREADY_HELD: Rule[Any] = Rule(
    "hearing_already_held", "the hearing is held once", f"{LEI} art. 24; {RECORD}", Reads.NONE)
HEARING_NOT_HELD: Rule[Any] = Rule(
    "hearing_not_held",
    "objections and evidence-period extensions need the hearing, which opens those periods",
    f"{LEI} art. 25 (3 days for objections, 20 days, extendable, to prove them)", Reads.NONE,
    satisfied_by=(ev.HearingHeld.EVENT_TYPE,))
EVIDENCE_PERIOD_OVER: Rule[Any] = Rule(
    "evidence_period_over",
    "the evidence period (20 days from the day after the hearing) can only be extended while "
    "it runs: on its last day at the latest",
    f"{LEI} art. 25; periods run from the day after the act (CFPP art. 71, supplementary) "
    "[U: to confirm]", Reads.LEGAL)
OPINION_ALREADY_ISSUED: Rule[Any] = Rule(
    "opinion_already_issued",
    "the judge has issued the opinion: the hearing, objections, consent and extensions that "
    "lead to it are over", f"{LEI} art. 27; {RECORD}", Reads.NONE)
CONSENT_ALREADY_GIVEN: Rule[Any] = Rule(
    "consent_already_given", "consent is given once", f"{LEI} art. 28; {RECORD}", Reads.NONE)
HEARING_OR_CONSENT_REQUIRED: Rule[Any] = Rule(
    "hearing_or_consent_required",
    "the judge's opinion follows the hearing or the person's consent",
    f"{LEI} arts. 27-28", Reads.NONE,
    satisfied_by=(ev.HearingHeld.EVENT_TYPE, ev.ConsentGiven.EVENT_TYPE))

# Mexico's own deadlines: duties, not bars. A late opinion or decision is accepted; the view
# shows the duty as overdue. [U: LEI article numbers to confirm]
JUDGE_OPINION_DAYS, JUDGE_OPINION_AFTER_CONSENT_DAYS, SRE_DECISION_DAYS = 5, 3, 20


def judicial_path_stopped(state: State) -> bool:
    """Mexico's judicial path no longer runs: the case closed, the person is in US custody
    (LEI art. 34), or the case is on the national-security basis, which has no judge (also
    when a basis change overtook a treaty case). Its duties and the hearing's periods are not
    shown then (`duties` here, `view._hearing_periods`)."""
    return state.closed or state.handed_over_on is not None or state.national_security


def sre_has_decided(state: State, day: date) -> bool:
    """The SRE's decision stands on `day`: it decides once, unless a final amparo grant
    annulled its decision and sent the matter back (SRE_ALREADY_DECIDED)."""
    return state.sre is not None and not state.sre_reopened_on(day)


def steps_before_sre_over(state: State, day: date) -> bool:
    """The hearing, objections, consent and extensions lead to the opinion, and the opinion to
    the SRE's decision: once either is made they are over (OPINION_ALREADY_ISSUED,
    SRE_ALREADY_DECIDED; on the simplified basis the SRE may decide on the consent alone).
    The domain refuses those steps then, and the view no longer shows their periods."""
    return state.opinion_on is not None or sre_has_decided(state, day)


def duties(state: State) -> list[tuple[str, Rule[OnDay], date, int]]:
    """The duties running now: (kind, rule, first day counted, days). "Within N days after"
    an act counts from the day after it, so the duty is overdue from that day + N: the Nth day
    after the act is still in time. (`evidence_due_on` is already the first day after the
    evidence period.) Once the SRE has decided, neither duty runs: on the simplified basis
    it may decide on the consent alone, and no opinion is due after its decision."""
    if judicial_path_stopped(state) or state.sre is not None:
        return []
    if state.opinion_on is not None:
        return [("sre_decision_due", SRE_DECISION_OVERDUE, _day_after(state.opinion_on),
                 SRE_DECISION_DAYS)]
    due = _opinion_due(state)
    return [] if due is None else [("judge_opinion_due", JUDGE_OPINION_OVERDUE, *due)]


def _opinion_due(state: State) -> tuple[date, int] | None:
    """The judge's opinion duty: (first day counted, days), whichever ends first.

    Our reading of "5 days after the evidence period; 3 if the person consents" (LEI arts. 27
    and 28 [U]): the 5 days follow the evidence period (art. 27); consent ends the
    proceedings without further steps (art. 28: the judge opines within 3 days, with no
    evidence to wait for), so consent after the hearing brings the opinion forward to the 3
    days after it. It never puts it off: consent given when the 5-day duty ends sooner (late
    in, or after, the evidence period) leaves that duty's day. So the earlier of the two."""
    found: list[tuple[date, int]] = []
    if state.hearing_on is not None and state.evidence_due_on is not None:
        found.append((state.evidence_due_on, JUDGE_OPINION_DAYS))
    if state.consent_on is not None:
        found.append((_day_after(state.consent_on), JUDGE_OPINION_AFTER_CONSENT_DAYS))
    return min(found, key=lambda due: due[0] + timedelta(days=due[1]), default=None)


def _day_after(act_on: date) -> date:
    return act_on + timedelta(days=1)


def _overdue(kind: str) -> Any:
    def blocks(s: OnDay) -> bool:
        return any(k == kind and s.day >= start + timedelta(days=days)
                   for k, _rule, start, days in duties(s.state))
    return blocks


JUDGE_OPINION_OVERDUE: Rule[OnDay] = Rule(
    "judge_opinion_overdue",
    "the judge's opinion is overdue: due within the 5 days after the evidence period (3 after "
    "the person's consent); a duty, not a bar: a late opinion is accepted",
    f"{LEI} arts. 27-28 [U: to confirm]", Reads.LEGAL,
    satisfied_by=(ev.JudgeOpinionIssued.EVENT_TYPE,), blocks=_overdue("judge_opinion_due"))
SRE_DECISION_OVERDUE: Rule[OnDay] = Rule(
    "sre_decision_overdue",
    "the SRE's decision is overdue: due within the 20 days after the judge's opinion; a duty, "
    "not a bar: a late decision is accepted",
    f"{LEI} art. 30 [U: to confirm]", Reads.LEGAL,
    satisfied_by=(ev.SreExtraditionGranted.EVENT_TYPE, ev.SreExtraditionRefused.EVENT_TYPE),
    blocks=_overdue("sre_decision_due"))

# --- the SRE -------------------------------------------------------------------------------------

SRE_REQUIRES_JUDGE_OPINION: Rule[Any] = Rule(
    "sre_requires_judge_opinion",
    "on the treaty basis the SRE decides only after the judge's opinion",
    f"{LEI} art. 30 (the SRE decides on the judge's opinion)", Reads.NONE,
    satisfied_by=(ev.JudgeOpinionIssued.EVENT_TYPE,))
SRE_REQUIRES_CONSENT_OR_OPINION: Rule[Any] = Rule(
    "sre_requires_consent_or_opinion",
    "on the simplified basis the SRE decides after the person's consent or the judge's opinion",
    f"{LEI} art. 28 (consent); {TREATY} art. 18 (simplified extradition)", Reads.NONE,
    satisfied_by=(ev.ConsentGiven.EVENT_TYPE, ev.JudgeOpinionIssued.EVENT_TYPE))
REFUSAL_GROUND_REQUIRED: Rule[Any] = Rule(
    "refusal_ground_required",
    "an SRE refusal names its ground: nationality (treaty art. 9, LEI art. 14), political or "
    "military offence (art. 5), non bis in idem (art. 6), lapse of time (art. 7), or other",
    f"{TREATY} arts. 5, 6, 7, 9; {LEI} art. 14", Reads.NONE)
NATIONALITY_GROUND_NEEDS_A_NATIONAL: Rule[Any] = Rule(
    "nationality_ground_needs_a_national",
    "a refusal on the nationality ground needs the person to be a Mexican national and the "
    "case submitted to Mexico's own prosecutors (the domestic-prosecution record)",
    f"{TREATY} art. 9 (discretion over nationals; 9(2) submit to prosecution); {LEI} art. 14",
    Reads.NONE)
SRE_ALREADY_DECIDED: Rule[Any] = Rule(
    "sre_already_decided",
    "the SRE decides once, unless a final amparo annulled its decision and sent the matter "
    "back", f"{LEI} art. 30; {AMPARO_LAW} art. 77 (effects of a granted amparo)", Reads.LEGAL,
    satisfied_by=(ev.AmparoAppealDecided.EVENT_TYPE,))
SRE_GRANT_REQUIRED: Rule[OnDay] = Rule(
    "sre_grant_required",
    "amparo suits, temporary-surrender agreements and surrender orders need the SRE's grant "
    "of extradition", f"{LEI} arts. 30, 33", Reads.NONE,
    satisfied_by=(ev.SreExtraditionGranted.EVENT_TYPE,),
    blocks=lambda s: _judicial(s.state) and not s.state.national_security
    and not s.state.granted)

# --- amparo ------------------------------------------------------------------------------------

AMPARO_ALREADY_FILED = record_rule(
    "amparo_already_filed", "an amparo suit is filed once under its file number")
AMPARO_NOT_FILED = record_rule(
    "amparo_not_filed", "a suspension or a ruling needs the amparo suit it belongs to",
    satisfied_by=(ev.AmparoFiled.EVENT_TYPE,))
AMPARO_ALREADY_DECIDED: Rule[Any] = Rule(
    "amparo_already_decided", "a decided amparo takes no suspension and no second ruling",
    f"{AMPARO_LAW}; {RECORD}", Reads.NONE)
AMPARO_WINDOW = (f"{AMPARO_LAW} arts. 17 fr. I (30 days for acts in an extradition "
                 "procedure), 18 (counted from the day after the notification), 19 (business "
                 "days: Saturdays, Sundays and holidays are not counted)")
AMPARO_FILED_AFTER_WINDOW: Rule[Any] = Rule(
    "amparo_filed_after_window",
    "the amparo window (30 business days from the day after the grant's notification) has "
    "passed: the grant is final, and only the execution of a surrender order can still be "
    "challenged; a suit filed on the last business day is in time", AMPARO_WINDOW, Reads.LEGAL)
SUSPENSION_ALREADY_ACTIVE: Rule[Any] = Rule(
    "suspension_already_active", "an amparo's suspension is granted once while in force",
    f"{AMPARO_LAW} arts. 125-128; {RECORD}", Reads.NONE)
PICKUP_WINDOW_PASSED: Rule[Any] = Rule(
    "pickup_window_passed",
    "a suspension granted after the pickup window (60 calendar days from the day after the "
    "person was placed at the US's disposal, the last of them in time) ran out comes too late "
    "to pause it",
    f"{LEI} art. 35", Reads.LEGAL)


def _amparo_holds_person(state: State) -> bool:
    """Amparo suits hold a person only while the SRE's grant carries the case in Mexico. A
    case overtaken by a national-security transfer (BASIS_CHANGE_NOT_ALLOWED: not an
    extradition; the suits challenge a grant that no longer carries it) or a person handed
    over (in US custody) is held by no suit, suspension, ruling or window: they stay in the
    record only. Every rule of AMPARO_HOLDS asks this, so the view, the domain's refusal and
    the audit name the same rules."""
    return not state.national_security and state.handed_over_on is None


def _amparo_hold(blocks: Callable[[OnDay], bool]) -> Callable[[OnDay], bool]:
    """An amparo rule's predicate, judged only while amparo suits can hold the person."""
    return lambda s: _amparo_holds_person(s.state) and blocks(s)


AMPARO_SUSPENSION_ACTIVE: Rule[OnDay] = law.AMPARO_SUSPENSION_ACTIVE.over(
    _amparo_hold(lambda s: bool(s.state.suspensions_in_force_on(s.day))))
AMPARO_PENDING: Rule[OnDay] = Rule(
    "amparo_pending",
    "an amparo suit is pending a ruling: a suspension may still be granted in it",
    f"{AMPARO_LAW} arts. 125-128 (suspension until the suit is decided)", Reads.NONE,
    satisfied_by=(ev.AmparoDenied.EVENT_TYPE,),
    blocks=_amparo_hold(lambda s: bool(s.state.pending_amparos)))
APPEAL = (f"{AMPARO_LAW} arts. 81, 86 (recurso de revisión: 10 business days from the day "
          "after the ruling's notification)")
AMPARO_NOT_RULED: Rule[Any] = Rule(
    "amparo_not_ruled", "an appeal challenges an amparo ruling, which has not been recorded",
    APPEAL, Reads.NONE, satisfied_by=(ev.AmparoDenied.EVENT_TYPE, ev.AmparoGranted.EVENT_TYPE))
AMPARO_APPEAL_ALREADY_FILED: Rule[Any] = Rule(
    "amparo_appeal_already_filed", "an amparo ruling is appealed once (one revision decides "
    "every appellant's grievances)", f"{APPEAL}; {RECORD}", Reads.NONE)
AMPARO_APPEAL_PERIOD_PASSED: Rule[Any] = Rule(
    "amparo_appeal_period_passed",
    "the 10 business days to appeal the ruling have passed: it is final", APPEAL, Reads.LEGAL)
AMPARO_APPEAL_NOT_FILED: Rule[Any] = Rule(
    "amparo_appeal_not_filed", "an appeal decision needs the appeal, which has not been filed",
    APPEAL, Reads.NONE, satisfied_by=(ev.AmparoAppealFiled.EVENT_TYPE,))
AMPARO_APPEAL_ALREADY_DECIDED: Rule[Any] = Rule(
    "amparo_appeal_already_decided", "an appeal is decided once", f"{APPEAL}; {RECORD}",
    Reads.NONE)
AMPARO_NOT_FINAL: Rule[OnDay] = Rule(
    "amparo_not_final",
    "an amparo ruling is not final: its appeal period runs or its appeal is pending; "
    "surrender needs the amparo denied for good",
    APPEAL, Reads.LEGAL,
    satisfied_by=(ev.AmparoAppealDecided.EVENT_TYPE,),
    blocks=_amparo_hold(lambda s: bool(s.state.amparos_not_final_on(s.day))))
AMPARO_GRANTED: Rule[OnDay] = Rule(
    "amparo_granted",
    "an amparo was granted against the SRE's decision: no surrender on it; once the grant "
    "is final the SRE must decide again (the case stays open)",
    f"{AMPARO_LAW} art. 77 (a granted amparo restores the person's rights: the act is "
    "annulled and the authority acts anew)", Reads.NONE,
    satisfied_by=(ev.AmparoAppealDecided.EVENT_TYPE, ev.SreExtraditionGranted.EVENT_TYPE),
    blocks=_amparo_hold(lambda s: bool(s.state.granted_amparos)))
AMPARO_WINDOW_OPEN: Rule[OnDay] = Rule(
    "amparo_window_open",
    "the amparo window is open (30 business days from the day after the grant's "
    "notification, its last day included): surrender waits until it has passed, whatever "
    "suits were brought in it (a second suit may still be filed)", AMPARO_WINDOW, Reads.LEGAL,
    satisfied_by=(ev.AmparoWindowClosed.EVENT_TYPE,),
    blocks=_amparo_hold(lambda s: s.state.amparo_window_open_on(s.day)))

# --- surrender -----------------------------------------------------------------------------------

SURRENDER_ALREADY_ORDERED: Rule[OnDay] = Rule(
    "surrender_already_ordered", "surrender is ordered once", f"{LEI} art. 33; {RECORD}",
    Reads.NONE, blocks=lambda s: s.state.surrender is not None)
PLACEMENT_ALREADY_RECORDED: Rule[Any] = Rule(
    "placement_already_recorded",
    "the person is placed at the US's disposal once: the day is given with the surrender "
    "order or recorded after it, and the pickup window counts from the day after; a day "
    "recorded wrongly is corrected to another day, with the reason",
    f"{LEI} art. 35; {RECORD}", Reads.NONE)
SURRENDER_ALREADY_DEFERRED: Rule[Any] = Rule(
    "surrender_already_deferred", "surrender is deferred once", f"{TREATY} art. 15",
    Reads.NONE)
TEMPORARY_SURRENDER_NOT_AGREED: Rule[Any] = Rule(
    "temporary_surrender_not_agreed",
    "a temporary surrender needs the governments' agreement on the person's return",
    f"{TREATY} art. 15 and its 1997 protocol", Reads.NONE,
    satisfied_by=(ev.TemporarySurrenderAgreed.EVENT_TYPE,))
TEMPORARY_SURRENDER_ALREADY_AGREED: Rule[Any] = Rule(
    "temporary_surrender_already_agreed", "a temporary surrender is agreed once",
    f"{TREATY} art. 15 and its 1997 protocol; {RECORD}", Reads.NONE)
TRANSFER_ALREADY_AUTHORIZED: Rule[Any] = Rule(
    "transfer_already_authorized", "a national-security transfer is authorised once",
    f"{NATIONAL_SECURITY_LAW}; {RECORD}", Reads.NONE)

# What holds a person in Mexico, as the audit and transport read it (judged over judicial's
# own state here).
SURRENDER_NOT_ORDERED: Rule[OnDay] = law.SURRENDER_NOT_ORDERED.over(
    lambda s: s.state.transfer_authorized_at is None and (
        s.state.surrender is None or s.state.surrender.kind is SurrenderKind.DEFERRED))
RELEASED_FROM_CUSTODY: Rule[OnDay] = law.RELEASED_FROM_CUSTODY.over(lambda s: s.state.closed)

# The amparo rules: what holds back a granted case's surrender while the amparo runs.
AMPARO_HOLDS: tuple[Rule[OnDay], ...] = (AMPARO_SUSPENSION_ACTIVE, AMPARO_PENDING,
                                         AMPARO_WINDOW_OPEN, AMPARO_NOT_FINAL, AMPARO_GRANTED)

# Gates: the state rules that hold back one act, in the order the refusal names them.
SURRENDER_PREREQUISITES: tuple[Rule[OnDay], ...] = (
    CASE_NOT_OPENED, PERSON_HANDED_OVER, CASE_CLOSED, NATIONAL_SECURITY_HAS_NO_JUDICIAL_STEPS,
    SRE_GRANT_REQUIRED, SURRENDER_ALREADY_ORDERED)
# A deferred surrender hands nobody over, so the amparo rules wait for the real order.
SURRENDER_DEFERRAL: Gate[OnDay] = Gate("surrender deferral", SURRENDER_PREREQUISITES)
SURRENDER: Gate[OnDay] = Gate("surrender order", (*SURRENDER_PREREQUISITES, *AMPARO_HOLDS))

RULES = RuleBook("judicial", [
    CASE_NOT_OPENED, PERSON_HANDED_OVER, CASE_CLOSED, BASIS_CHANGE_NOT_ALLOWED, DATE_IN_FUTURE,
    DATE_OUT_OF_ORDER,
    BASIS_MISMATCH,
    NATIONAL_SECURITY_HAS_NO_JUDICIAL_STEPS,
    PROVISIONAL_DETENTION_ALREADY_ORDERED, PROVISIONAL_DEADLINE_PASSED,
    FORMAL_REQUEST_ALREADY_RECEIVED, FORMAL_REQUEST_MISSING,
    HEARING_ALREADY_HELD, HEARING_NOT_HELD, EVIDENCE_PERIOD_OVER, OPINION_ALREADY_ISSUED,
    CONSENT_ALREADY_GIVEN, HEARING_OR_CONSENT_REQUIRED,
    JUDGE_OPINION_OVERDUE, SRE_DECISION_OVERDUE, REFUSAL_GROUND_REQUIRED,
    NATIONALITY_GROUND_NEEDS_A_NATIONAL,
    SRE_REQUIRES_JUDGE_OPINION, SRE_REQUIRES_CONSENT_OR_OPINION, SRE_ALREADY_DECIDED,
    SRE_GRANT_REQUIRED,
    AMPARO_ALREADY_FILED, AMPARO_NOT_FILED, AMPARO_ALREADY_DECIDED, AMPARO_FILED_AFTER_WINDOW,
    SUSPENSION_ALREADY_ACTIVE, PICKUP_WINDOW_PASSED, AMPARO_NOT_RULED,
    AMPARO_APPEAL_ALREADY_FILED, AMPARO_APPEAL_PERIOD_PASSED, AMPARO_APPEAL_NOT_FILED,
    AMPARO_APPEAL_ALREADY_DECIDED, *AMPARO_HOLDS,
    SURRENDER_ALREADY_ORDERED, PLACEMENT_ALREADY_RECORDED, SURRENDER_ALREADY_DEFERRED,
    TEMPORARY_SURRENDER_NOT_AGREED, TEMPORARY_SURRENDER_ALREADY_AGREED,
    TRANSFER_ALREADY_AUTHORIZED,
    SURRENDER_NOT_ORDERED, RELEASED_FROM_CUSTODY,
], gates=[SURRENDER, SURRENDER_DEFERRAL])
