"""Transport's rules, each defined once (shared/rules): who may be put on a manifest, and the
refusals of the flight commands.

Eligibility (the `ELIGIBILITY` gate) is the law's rules about what holds a person in Mexico
(shared/rules/law.py), judged over the facts transport noted from judicial's and assurance's
events; their ids are used in 409 answers, in `case_ineligible.reasons` and in
`removed_from_manifest.rules`:

* surrender_not_ordered: a surrender order of kind full or temporary (deferred does not
  count; an amparo granted annuls it), or a national-security transfer authorization.
* death_penalty_clearance_missing: assurance's death-penalty clearance, granted and not
  withdrawn (treaty art. 8; on the national-security basis the DOJ commitment plays this role,
  which assurance already folds into its clearance).
* amparo_suspension_active: no suspension in force in any amparo suit.
* pickup_window_expired: surrender orders only: judicial's `pickup_deadline_on` is the first
  legal day on which the US may no longer collect the person (judicial's clocks run out at the
  start of their due day, and its scheduler releases the person then), so the window is open
  while the legal date of the act < pickup_deadline_on, or until judicial says it expired.
* released_from_custody: judicial has not released the person.

The gate judges an `Eligibility`: the facts and the legal date they are read on (`today`,
None to leave out the clock's rule). An assignment is judged on the legal date of now, or
the flight's scheduled departure date when earlier (`judged_on`), a custody handoff on the
legal date of its own instant (shared.legaltime.legal_date).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shared.errors import RuleViolation
from shared.legaltime import legal_date
from shared.rules import Gate, Reads, Rule, RuleBook, law
from shared.rules.law import record_rule

from .state import Facts

SURRENDER_KINDS_THAT_COUNT = frozenset({"full", "temporary"})
NATIONAL_SECURITY = "national_security"


@dataclass(frozen=True)
class Eligibility:
    """What the eligibility gate judges: the noted facts, read on a legal date."""

    facts: Facts
    today: date | None = None


def surrender_ground(facts: Facts) -> bool:
    return (facts.surrender_kind in SURRENDER_KINDS_THAT_COUNT
            and facts.surrender_annulled_by is None)


def _suspended(facts: Facts, day: date | None) -> bool:
    """A suspension in force now, or one that held on `day` (a handover entered after the
    fact, dated while a suspension since lifted held the surrender)."""
    return bool(facts.suspensions) or bool(_held_on(facts, day))


def _held_on(facts: Facts, day: date | None) -> list[str]:
    """The suspensions that held on `day`, by their spans."""
    if day is None:
        return []
    return [amparo for amparo, start, end in facts.suspension_spans
            if start <= day and (end is None or day < end)]


def _pickup_passed(facts: Facts, today: date | None) -> bool:
    if facts.transfer_authorized_at is not None:
        return False  # a national-security transfer has no pickup window
    if facts.pickup_paused and not facts.pickup_expired:
        return False  # a suspension holds it: judicial moves the deadline when it ends
    deadline = facts.pickup_deadline_on
    if facts.pickup_expired:
        # Judicial recorded the expiry, dated (in law) at the deadline: on a legal date before
        # it the window was still open, however late either act was entered.
        expired_on = facts.pickup_expired_on or deadline
        return today is None or expired_on is None or today >= expired_on
    return (today is not None and deadline is not None and surrender_ground(facts)
            and today >= deadline)


def _released(facts: Facts, today: date | None) -> bool:
    """Released on or before the legal date judged (a release is dated in law), and not
    overtaken by a later ground to hand the person over: a release from a lapsed provisional
    detention leaves the case open, and a surrender order or transfer authorisation after it
    holds the person again. A later order overtakes the release even once an amparo granted
    against it annuls it (or it is deferred): the matter goes back to the SRE with the person
    still detained for the extradition (domain brief, corrections, "Amparo finality"), and
    `surrender_not_ordered` says why they may not fly. A release dated after the order wins."""
    if facts.released is None:
        return False
    released_on = facts.released[0]
    grounds = [facts.surrender_ordered_on,
               None if facts.transfer_authorized_at is None
               else legal_date(facts.transfer_authorized_at)]
    if any(day is not None and day > released_on for day in grounds):
        return False
    return today is None or today >= released_on


def judged_on(now: datetime, scheduled_departure: datetime | None) -> date:
    """The legal date a place on a flight is judged on: today's, or the flight's departure
    date when that is earlier (a transfer entered after the fact is judged on the day it
    flew, not on the day it was typed in). A later departure is judged today, as the case
    view shows it; the custody handoff is judged again on its own legal date."""
    today = legal_date(now)
    if scheduled_departure is None:
        return today
    return min(today, legal_date(scheduled_departure))


# --- eligibility: the law's rules over transport's facts ------------------------------------

SURRENDER_NOT_ORDERED: Rule[Eligibility] = law.SURRENDER_NOT_ORDERED.over(
    lambda e: not surrender_ground(e.facts) and e.facts.transfer_authorized_at is None)
CLEARANCE_MISSING: Rule[Eligibility] = law.DEATH_PENALTY_CLEARANCE_MISSING.over(
    lambda e: not e.facts.cleared)
SUSPENSION_ACTIVE: Rule[Eligibility] = law.AMPARO_SUSPENSION_ACTIVE.over(
    lambda e: _suspended(e.facts, e.today))
PICKUP_WINDOW_EXPIRED: Rule[Eligibility] = law.PICKUP_WINDOW_EXPIRED.over(
    lambda e: _pickup_passed(e.facts, e.today))
RELEASED: Rule[Eligibility] = law.RELEASED_FROM_CUSTODY.over(
    lambda e: _released(e.facts, e.today))

ELIGIBILITY: Gate[Eligibility] = Gate("a place on a manifest", (
    SURRENDER_NOT_ORDERED, CLEARANCE_MISSING, SUSPENSION_ACTIVE, PICKUP_WINDOW_EXPIRED,
    RELEASED))
ELIGIBILITY_RULES: tuple[str, ...] = tuple(rule.id for rule in ELIGIBILITY.rules)

# Why someone came off a manifest, per rule: the contract's reason for a withdrawn clearance is
# "clearance_withdrawn" (the rule, death_penalty_clearance_missing, is in `rules`).
REMOVAL_REASON = {CLEARANCE_MISSING.id: "clearance_withdrawn"}

# --- the flight commands --------------------------------------------------------------------


UNKNOWN_CASE = record_rule("unknown_case", "transport has heard of the case from its neighbours")
FLIGHT_NOT_OPEN = record_rule(
    "flight_not_open", "a manifest changes only while its flight is scheduled")
ALREADY_ON_MANIFEST = record_rule("already_on_manifest", "a person is on one manifest at a time")
ALREADY_TRANSPORTED = record_rule("already_transported", "a person who landed is not flown again")
NO_AIRPORT_FOR_DISTRICT: Rule[Any] = Rule(
    "no_airport_for_district",
    "a person is flown to the airport configured for their charging district",
    "Fed. R. Crim. P. 5 (appearance in the charging district); TRANSPORT_DISTRICT_AIRPORTS",
    Reads.NONE)
DESTINATION_NOT_ON_ROUTE = record_rule(
    "destination_not_on_route", "the flight stops at the person's destination airport")
FLIGHT_FULL = record_rule("flight_full", "a flight carries at most its capacity")
NOT_ON_MANIFEST = record_rule("not_on_manifest", "the person is on the flight's manifest")
CUSTODY_ALREADY_TRANSFERRED = record_rule(
    "custody_already_transferred", "custody passes to the US Marshals once")
CUSTODY_NOT_TRANSFERRED: Rule[Any] = Rule(
    "custody_not_transferred",
    "a flight leaves only with everyone aboard in the US Marshals' custody",
    "LEI art. 34 (handover to the requesting state's agents)", Reads.NONE)
MANIFEST_EMPTY = record_rule("manifest_empty", "a flight leaves with somebody aboard")
FLIGHT_NOT_IN_AIR = record_rule(
    "flight_not_in_air", "only a flight in the air can land or be diverted")
FLIGHT_ALREADY_DIVERTED = record_rule("flight_already_diverted", "a flight is diverted once")
AIRPORT_NOT_ON_ROUTE = record_rule(
    "airport_not_on_route", "a flight lands at a stop of its route or where it was diverted")
# Everyone aboard gets off at the diversion airport as landed on US soil (person_landed opens
# court intake): an aircraft that turns back to Mexico delivers nobody, so a diversion there is
# refused rather than recorded as an arrival. A US airport no district is mapped to (El Paso,
# say) is a landing in the US all the same. Reads no time: only the airport.
DIVERSION_TO_MEXICO: Rule[Any] = Rule(
    "diversion_to_mexico",
    "a flight is diverted only to an airport in the US: everyone aboard gets off there as "
    "landed in the US, and an aircraft that turns back to Mexico has delivered nobody",
    "Fed. R. Crim. P. 5 (initial appearance on arrival in the US)", Reads.NONE)
STOP_ALREADY_LANDED = record_rule("stop_already_landed", "a flight lands at each stop once")
STOP_OUT_OF_ORDER = record_rule(
    "stop_out_of_order",
    "a flight lands at its stops in the route's order: not at a "
                             "later one while people for an earlier one are still aboard")

# --- failing closed on a fact transport could not apply --------------------------------------

# Held while transport has a waiting dead letter about the case whose event can change who may
# be flown (services/transport/holds.py names those events). Its time is Runway's own: it
# holds from the recording of the dead letter until an operator re-drives or discards it.
UNPROCESSED_SAFETY_FACT: Rule[Sequence[object]] = Rule(
    "unprocessed_safety_fact",
    "a message that can change whether the person may be flown (a suspension, a withdrawn "
    "clearance, a release, an annulled order) was dead-lettered and waits unprocessed: the "
    "person is held until an operator re-drives or discards it",
    "Runway's fail-closed policy (issue 16): nobody is handed over on facts transport could "
    f"not apply; the facts it guards are those of {law.TREATY} art. 8, "
    f"{law.AMPARO_LAW} arts. 125-128 and LEI arts. 33-35",
    Reads.RECORDED, blocks=lambda held: bool(held))

RULES = RuleBook("transport", [
    *ELIGIBILITY.rules, law.DATE_IN_FUTURE, law.DATE_OUT_OF_ORDER,
    UNKNOWN_CASE, FLIGHT_NOT_OPEN, ALREADY_ON_MANIFEST, ALREADY_TRANSPORTED,
    NO_AIRPORT_FOR_DISTRICT, DESTINATION_NOT_ON_ROUTE, FLIGHT_FULL, NOT_ON_MANIFEST,
    CUSTODY_ALREADY_TRANSFERRED, CUSTODY_NOT_TRANSFERRED, MANIFEST_EMPTY, FLIGHT_NOT_IN_AIR,
    FLIGHT_ALREADY_DIVERTED, DIVERSION_TO_MEXICO, AIRPORT_NOT_ON_ROUTE,
    STOP_ALREADY_LANDED, STOP_OUT_OF_ORDER,
    UNPROCESSED_SAFETY_FACT,
], gates=[ELIGIBILITY])


class Refusal(RuleViolation):
    """A refused command naming every rule that failed (and the people concerned)."""

    def __init__(self, rules: Sequence[str], message: str,
                 case_ids: Sequence[str] = ()) -> None:
        super().__init__(rules[0], message)
        self.rules = tuple(rules)
        self.case_ids = tuple(case_ids)


def refuse(rule: Rule[Any], message: str, case_ids: Sequence[str] = ()) -> Refusal:
    """The refusal of a command under one rule (raise it)."""
    return Refusal((rule.id,), message, case_ids)


def failing_ids(facts: Facts, today: date | None) -> tuple[str, ...]:
    """The eligibility rules that fail, in the gate's order; `today=None` leaves out the
    clock."""
    return tuple(ELIGIBILITY.failing_ids(Eligibility(facts, today)))


failing_rules = failing_ids  # the name the tests and older callers use


def explain(rule: str, facts: Facts, day: date | None = None) -> str:
    """What is missing, in words an operator can act on (`day`: the legal date judged)."""
    if rule == SURRENDER_NOT_ORDERED.id:
        if facts.annulments:
            suits = "amparos" if len(facts.annulments) > 1 else "amparo"
            return (f"{suits} {facts.surrender_annulled_by} granted: the surrender order is "
                    "annulled unless the grant is reversed on appeal")
        if facts.surrender_kind == "deferred":
            return "surrender was deferred (treaty art. 15); it must be ordered full or temporary"
        return ("no surrender order (full or temporary) and no national-security transfer "
                "authorization has been received from judicial")
    if rule == CLEARANCE_MISSING.id:
        if facts.clearance_withdrawal:
            return f"the death-penalty clearance was withdrawn ({facts.clearance_withdrawal})"
        if facts.legal_basis == NATIONAL_SECURITY:
            return ("no death-penalty clearance has been granted by assurance: no DOJ "
                    "commitment not to seek death covers every capital count")
        return ("no death-penalty clearance has been granted by assurance: a capital count "
                "lacks an accepted assurance (treaty art. 8)")
    if rule == SUSPENSION_ACTIVE.id:
        if facts.suspensions:
            return f"amparo suspension in force in {', '.join(facts.suspensions)}"
        return (f"amparo suspension in force on {day} in {', '.join(_held_on(facts, day))} "
                "(lifted since)")
    if rule == PICKUP_WINDOW_EXPIRED.id:
        return (f"the pickup window closed on {facts.pickup_deadline_on}: the US may no longer "
                "collect the person under this surrender order")
    if rule == RELEASED.id:
        assert facts.released is not None
        day, reason = facts.released
        return f"released from custody on {day} ({reason})"
    return RULES.statement(rule)


def explain_all(rules: Sequence[str], facts: Facts, day: date | None = None) -> str:
    return "; ".join(f"{rule}: {explain(rule, facts, day)}" for rule in rules)


def require_eligible(case_id: str, facts: Facts, today: date) -> None:
    """Refuse, naming every failing rule, unless the person may be put on a manifest on the
    legal date `today`."""
    failing = failing_ids(facts, today)
    if failing:
        raise Refusal(failing, f"case {case_id} may not be put on a manifest: "
                               f"{explain_all(failing, facts, today)}", (case_id,))
