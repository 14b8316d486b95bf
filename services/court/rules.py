"""The court's rules, each one named object (shared/rules): the refusals of domain.py and
arrival.py, the case view's `blocked_by`, the audit's blockers and docs/rules/court.md all ask
this book; none restates a rule.

The specialty rules (treaty art. 17) are judged per count: their subject is a `Count` (the
case and one charge id), and the arraignment gate is the list of rules that hold a count back,
in the order a refusal names them. The national-security note and the exceptions to specialty
are rules too, so what lifts the bar is as visible as what imposes it.
"""

from __future__ import annotations

from typing import Any

from shared.rules import Gate, Reads, Rule, RuleBook
from shared.rules.law import CHARGES_REQUIRED as CHARGES_REQUIRED
from shared.rules.law import DATE_IN_FUTURE as DATE_IN_FUTURE
from shared.rules.law import DATE_OUT_OF_ORDER as DATE_OUT_OF_ORDER
from shared.rules.law import NATIONAL_SECURITY_LAW, TREATY, record_rule

from . import events as ev
from . import specialty
from .events import SpecialtyException
from .specialty import Count, Onward

TREATY_17 = f"{TREATY} art. 17"

# --- the record and the order of the steps ------------------------------------------------

INTAKE_NOT_OPENED = record_rule(
    "intake_not_opened",
    "the person has not landed: no intake record is open in the charging district",
    satisfied_by=(ev.INTAKE_OPENED,), blocks=lambda state: state.intake is None)
PROCEEDINGS_ENDED = record_rule(
    "proceedings_ended", "the US proceedings have ended: nothing more can be recorded",
    blocks=lambda state: state.ended is not None)
REQUEST_NOT_SEEN = record_rule(
    "request_not_seen",
    "intake's request has not been seen yet: the court never guesses a case's charges "
    "(the event is retried until it has)", satisfied_by=("intake.request_submitted",))
SURRENDER_ORDER_NOT_SEEN: Rule[Any] = Rule(
    "surrender_order_not_seen",
    "on the treaty and simplified bases the landing waits for judicial's surrender order, "
    "which names the granted charges", "LEI arts. 33-34 (the surrender order)", Reads.NONE,
    satisfied_by=("judicial.surrender_ordered",))
DOCKET_ALREADY_ASSIGNED = record_rule("docket_already_assigned", "a case has one docket number")
DOCKET_NOT_ASSIGNED = record_rule(
    "docket_not_assigned", "arraignment needs the case's docket number",
    satisfied_by=(ev.DOCKET_ASSIGNED,))
INITIAL_APPEARANCE_OVERDUE: Rule[Any] = Rule(
    "initial_appearance_overdue",
    "the person is brought before a magistrate judge without unnecessary delay after arrival: "
    "an appearance later than INITIAL_APPEARANCE_LIMIT_HOURS after the landing is flagged "
    "late (a duty, not a bar)",
    "Fed. R. Crim. P. 5(a)(1)(B)", Reads.LEGAL,
    satisfied_by=(ev.INITIAL_APPEARANCE_HELD,))
INITIAL_APPEARANCE_ALREADY_HELD = record_rule(
    "initial_appearance_already_held", "the initial appearance is held once")
INITIAL_APPEARANCE_REQUIRED: Rule[Any] = Rule(
    "initial_appearance_required",
    "the detention hearing and the arraignment follow the initial appearance",
    "Fed. R. Crim. P. 5; 18 U.S.C. § 3142(f) (detention hearing at or after the first "
    "appearance)", Reads.NONE, satisfied_by=(ev.INITIAL_APPEARANCE_HELD,))
DETENTION_ALREADY_DECIDED = record_rule("detention_already_decided", "detention is decided once")
DETENTION_HEARING_REQUIRED: Rule[Any] = Rule(
    "detention_hearing_required", "arraignment follows the detention hearing",
    "Runway's record: the order of the court's steps", Reads.NONE,
    satisfied_by=(ev.DETENTION_ORDERED, ev.RELEASED_ON_CONDITIONS))
RELEASE_CONDITIONS_REQUIRED: Rule[Any] = Rule(
    "release_conditions_required", "a release on conditions states the conditions",
    "18 U.S.C. § 3142(c), (h) (the release order states its conditions)", Reads.NONE)
CHARGE_ALREADY_ARRAIGNED = record_rule("charge_already_arraigned", "a count is arraigned once")

# 422 types of the court's request bodies (published: the ids stay as they were).
CONDITIONS_MISSING: Rule[Any] = Rule(
    "missing", "a release on conditions must state the conditions (body field `conditions`)",
    "18 U.S.C. § 3142(c), (h)", Reads.NONE)
CONDITIONS_NOT_ALLOWED = record_rule(
    "not_allowed", "conditions belong to a release on conditions only (body field `conditions`)")
COUNT_DUPLICATE = record_rule("duplicate", "a superseding indictment names each count once")

# --- specialty (treaty art. 17) -----------------------------------------------------------

SPECIALTY_DEFENCE_UNAVAILABLE: Rule[Any] = Rule(
    "specialty_defence_unavailable",
    "on the national-security basis the person was transferred, not extradited: US courts "
    "hold the rule-of-specialty defence unavailable, so every charge may be prosecuted and "
    "superseding counts need no consent from Mexico",
    "United States v. Valencia-Trujillo, 573 F.3d 1171 (11th Cir. 2009); Ker v. Illinois, "
    "119 U.S. 436 (1886) and Frisbie v. Collins, 342 U.S. 519 (1952) (Ker-Frisbie); United "
    f"States v. Alvarez-Machain, 504 U.S. 655 (1992); {NATIONAL_SECURITY_LAW}",
    Reads.NONE, satisfied_by=("judicial.national_security_transfer_authorized",))
SPECIALTY_CONSENT_REQUIRED: Rule[Any] = Rule(
    "specialty_consent_required",
    "a count outside Mexico's grant that was flagged, or for which consent was sought, may "
    "not be prosecuted until Mexico's consent is recorded",
    f"{TREATY_17}(1)(c)", Reads.NONE,
    satisfied_by=(ev.SPECIALTY_CONSENT_REQUESTED, ev.SPECIALTY_CONSENT_GRANTED),
    blocks=lambda count: specialty.awaiting_consent(count.state, count.charge_id))
SPECIALTY_CHARGE_NOT_GRANTED: Rule[Any] = Rule(
    "specialty_charge_not_granted",
    "the person may be tried only for the offences extradition was granted for (or one of "
    "them re-described on the same facts), unless Mexico consents or an exception of art. 17 "
    "applies", f"{TREATY_17}(1)", Reads.NONE,
    satisfied_by=(ev.SPECIALTY_CONSENT_GRANTED, ev.SPECIALTY_EXCEPTION_RECORDED),
    blocks=lambda count: (specialty.applies(count.state)
                          and not specialty.prosecutable(count.state, count.charge_id)
                          and not specialty.awaiting_consent(count.state, count.charge_id)))
CHARGE_NOT_IN_CASE = record_rule(
    "charge_not_in_case", "a count must be a charge of the case",
    satisfied_by=(ev.SUPERSEDING_INDICTMENT_FILED,),
    blocks=lambda count: count.charge_id not in count.state.charges)
SPECIALTY_CONSENT_NOT_NEEDED: Rule[Any] = Rule(
    "specialty_consent_not_needed",
    "Mexico's consent is sought only for counts the person may not yet be tried on, and "
    "never on the national-security basis", TREATY_17, Reads.NONE)
SPECIALTY_CONSENT_ALREADY_REQUESTED = record_rule(
    "specialty_consent_already_requested",
    "Mexico's consent for a count is requested once while the request is pending")
SPECIALTY_CONSENT_NOT_REQUESTED = record_rule(
    "specialty_consent_not_requested", "Mexico answers only a pending request for consent",
    satisfied_by=(ev.SPECIALTY_CONSENT_REQUESTED,))

# What lifts the bar: a re-described offence on the same facts, and the exceptions.
SPECIALTY_SAME_FACTS: Rule[Any] = Rule(
    "specialty_same_facts",
    "a granted offence restated under a new legal description stays inside the grant only "
    "when it rests on the same facts: a superseding count names the granted charge whose "
    "facts it re-describes (facts_of); a count restated under a new statute that names none "
    "is a new offence and needs Mexico's consent",
    f"{TREATY_17}(2)(a) (the same facts as the request and its documents)", Reads.NONE)
FACTS_NOT_IN_CASE = record_rule(
    "facts_not_in_case",
    "a count re-describes the facts of a charge of the case (facts_of names one)")
SPECIALTY_EXCEPTION_STAYED: Rule[Any] = Rule(
    "specialty_exception_stayed_after_free_to_leave",
    "the person did not leave the US within 60 days after being free to do so: the rule of "
    "specialty no longer bars prosecution or onward extradition on any count",
    f"{TREATY_17}(1)(b)", Reads.LEGAL, satisfied_by=(ev.SPECIALTY_EXCEPTION_RECORDED,))
SPECIALTY_EXCEPTION_RETURNED: Rule[Any] = Rule(
    "specialty_exception_left_and_returned",
    "the person left the US after the extradition and came back voluntarily: the rule of "
    "specialty no longer bars prosecution or onward extradition on any count",
    f"{TREATY_17}(1)(a)", Reads.LEGAL, satisfied_by=(ev.SPECIALTY_EXCEPTION_RECORDED,))
SPECIALTY_EXCEPTION_LATER_OFFENCE: Rule[Any] = Rule(
    "specialty_exception_offence_after_extradition",
    "the rule of specialty does not cover an offence committed after the extradition: such a "
    "count may be prosecuted without Mexico's consent",
    f"{TREATY_17} (offences committed after the extradition)", Reads.LEGAL,
    satisfied_by=(ev.SPECIALTY_EXCEPTION_RECORDED,))
SPECIALTY_EXCEPTION_TOO_EARLY: Rule[Any] = Rule(
    "specialty_exception_too_early",
    "the 60 days after the person became free to leave have not passed on the day of the "
    "finding", f"{TREATY_17}(1)(b)", Reads.LEGAL)
OFFENCE_NOT_AFTER_EXTRADITION: Rule[Any] = Rule(
    "offence_not_after_extradition",
    "the offence was not committed after the extradition: it must be dated after the day of "
    "the landing in the court's district (the handover precedes it, perhaps the same day)",
    f"{TREATY_17} (offences committed after the extradition)", Reads.LEGAL)
HELD_FOR_RETURN_TO_MEXICO: Rule[Any] = Rule(
    "held_for_return_to_mexico",
    "a person surrendered temporarily is held for return to Mexico when the US proceedings "
    "end: never free to leave, so the 60 days of art. 17(1)(b) do not run; trying them on "
    "other counts, or sending them to a third state, needs Mexico's consent",
    f"{TREATY} art. 15 and its 1997 protocol (temporary surrender); {TREATY_17}(1)(b)",
    Reads.NONE)
SPECIALTY_EXCEPTION_DETAILS_REQUIRED: Rule[Any] = Rule(
    "specialty_exception_details_required",
    "an exception states its facts: free_to_leave_on (stayed 60 days), left_on and "
    "returned_on (left and came back), committed_on and the counts (a later offence)",
    TREATY_17, Reads.NONE)

# Onward extradition to a third state.
REEXTRADITION_NOT_REQUESTED = record_rule(
    "reextradition_not_requested",
    "onward extradition, and Mexico's answer on it, follow a third state's recorded request",
    satisfied_by=(ev.REEXTRADITION_REQUESTED,),
    blocks=lambda onward: onward.requesting_state not in onward.state.reextraditions)
REEXTRADITION_CONSENT_MISSING: Rule[Any] = Rule(
    "reextradition_consent_missing",
    "an extradited person may not be surrendered on to a third state without Mexico's "
    "consent, unless an exception of art. 17 lifts the rule for the whole case",
    f"{TREATY_17}(1) (\"nor be extradited by that Party to a third State\")", Reads.NONE,
    satisfied_by=(ev.REEXTRADITION_CONSENT_GRANTED, ev.SPECIALTY_EXCEPTION_RECORDED),
    blocks=lambda onward: specialty.onward_surrender_ground(
        onward.state, onward.requesting_state) is None)
REEXTRADITION_ALREADY_REQUESTED = record_rule(
    "reextradition_already_requested", "a third state's request is recorded once")
REEXTRADITION_ALREADY_ANSWERED = record_rule(
    "reextradition_already_answered", "Mexico answers a third state's request once")
ONWARD_SURRENDER_ALREADY_RECORDED = record_rule(
    "onward_surrender_already_recorded", "the person is surrendered on once",
    blocks=lambda onward: specialty.surrendered_on(onward.state) is not None)

# The guarded act: prosecuting (arraigning on) one count. Order = the refusal's order.
ARRAIGNMENT_GATE: Gate[Count] = Gate(
    "arraignment on a count",
    (SPECIALTY_CONSENT_REQUIRED, SPECIALTY_CHARGE_NOT_GRANTED, CHARGE_NOT_IN_CASE))

# The guarded act: surrendering the person on to one third state.
ONWARD_SURRENDER_GATE: Gate[Onward] = Gate(
    "onward surrender to a third state",
    (ONWARD_SURRENDER_ALREADY_RECORDED, REEXTRADITION_NOT_REQUESTED,
     REEXTRADITION_CONSENT_MISSING))

RULES = RuleBook("court", [
    CHARGES_REQUIRED, DATE_IN_FUTURE, DATE_OUT_OF_ORDER,
    INTAKE_NOT_OPENED, PROCEEDINGS_ENDED, REQUEST_NOT_SEEN, SURRENDER_ORDER_NOT_SEEN,
    DOCKET_ALREADY_ASSIGNED, DOCKET_NOT_ASSIGNED, INITIAL_APPEARANCE_OVERDUE,
    INITIAL_APPEARANCE_ALREADY_HELD, INITIAL_APPEARANCE_REQUIRED, DETENTION_ALREADY_DECIDED,
    DETENTION_HEARING_REQUIRED, RELEASE_CONDITIONS_REQUIRED, CHARGE_ALREADY_ARRAIGNED,
    CONDITIONS_MISSING, CONDITIONS_NOT_ALLOWED, COUNT_DUPLICATE,
    SPECIALTY_DEFENCE_UNAVAILABLE, SPECIALTY_CONSENT_REQUIRED, SPECIALTY_CHARGE_NOT_GRANTED,
    CHARGE_NOT_IN_CASE, SPECIALTY_CONSENT_NOT_NEEDED, SPECIALTY_CONSENT_ALREADY_REQUESTED,
    SPECIALTY_CONSENT_NOT_REQUESTED, SPECIALTY_SAME_FACTS, FACTS_NOT_IN_CASE,
    SPECIALTY_EXCEPTION_STAYED, SPECIALTY_EXCEPTION_RETURNED, SPECIALTY_EXCEPTION_LATER_OFFENCE,
    SPECIALTY_EXCEPTION_TOO_EARLY, OFFENCE_NOT_AFTER_EXTRADITION, HELD_FOR_RETURN_TO_MEXICO,
    SPECIALTY_EXCEPTION_DETAILS_REQUIRED, REEXTRADITION_NOT_REQUESTED,
    REEXTRADITION_CONSENT_MISSING, REEXTRADITION_ALREADY_REQUESTED, REEXTRADITION_ALREADY_ANSWERED,
    ONWARD_SURRENDER_ALREADY_RECORDED,
], gates=[ARRAIGNMENT_GATE, ONWARD_SURRENDER_GATE])

# The rule each exception is (the event names the exception; the book says what it lifts).
EXCEPTIONS: dict[SpecialtyException, Rule[Any]] = {
    SpecialtyException.STAYED_AFTER_FREE_TO_LEAVE: SPECIALTY_EXCEPTION_STAYED,
    SpecialtyException.LEFT_AND_RETURNED: SPECIALTY_EXCEPTION_RETURNED,
    SpecialtyException.OFFENCE_AFTER_EXTRADITION: SPECIALTY_EXCEPTION_LATER_OFFENCE,
}


def blocked_by(state: Any, charge_id: str) -> list[str]:
    """The rules holding back prosecution on one count now (the view's `blocked_by`)."""
    return ARRAIGNMENT_GATE.failing_ids(Count(state, charge_id))


def onward_blocked_by(state: Any, requesting_state: str) -> list[str]:
    """The rules holding back surrender to a third state now."""
    return ONWARD_SURRENDER_GATE.failing_ids(Onward(state, requesting_state))
