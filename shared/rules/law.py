"""The rules more than one service judges, each defined here once.

A service puts one in its book as it is (a command rule), or judged over its own view of the
case with `rule.over(predicate)`: transport holds a person back under judicial's and
assurance's rules using the facts it has learnt from their events, and the id, statement,
source and time it answers with are these, word for word.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import Reads, Rule

# --- the record itself ------------------------------------------------------------------------

RECORD = "Runway's record: it states only acts that happened, in their order"
# The laws the rules cite, named once so that every rule book cites them alike.
TREATY = "US-Mexico Extradition Treaty (1978)"
AMPARO_LAW = "Ley de Amparo"
NATIONAL_SECURITY_LAW = "Ley de Seguridad Nacional"


def record_rule(rule_id: str, statement: str, reads: Reads = Reads.NONE,
                satisfied_by: tuple[str, ...] = (),
                blocks: Callable[[Any], bool] | None = None) -> Rule[Any]:
    """A rule of Runway's own record (an act happens once, in its order, on a case that
    exists), not of a law: its source is RECORD, and most read no time at all."""
    return Rule(rule_id, statement, RECORD, reads, satisfied_by, blocks)


CASE_NOT_OPENED = record_rule(
    "case_not_opened", "the case has not been opened in this service yet",
    satisfied_by=("intake.request_submitted",))
DATE_IN_FUTURE = record_rule(
    "date_in_future", "an act cannot be dated after the moment it is recorded", Reads.RECORDED)
DATE_OUT_OF_ORDER = record_rule(
    "date_out_of_order", "an act cannot be dated before the act it follows", Reads.LEGAL)
CHARGES_REQUIRED: Rule[Any] = Rule(
    "charges_required", "a case names at least one charge",
    f"{TREATY} art. 10: the request states the offences", Reads.NONE)
BASIS_MISMATCH: Rule[Any] = Rule(
    "basis_mismatch", "the step belongs to another legal basis than the case's",
    f"LEI (treaty and simplified paths); {NATIONAL_SECURITY_LAW} (national-security "
    "transfers)", Reads.NONE)

# --- what holds a person in Mexico -------------------------------------------------------------

SURRENDER_NOT_ORDERED: Rule[Any] = Rule(
    "surrender_not_ordered",
    "Mexico has not authorised the handover: no full or temporary surrender order in force, "
    "and no national-security transfer authorisation",
    f"LEI arts. 33-34 (surrender order after the SRE's grant); {NATIONAL_SECURITY_LAW} "
    "(transfer authorisation)", Reads.NONE,
    satisfied_by=("judicial.surrender_ordered",
                  "judicial.national_security_transfer_authorized"))
AMPARO_SUSPENSION_ACTIVE: Rule[Any] = Rule(
    "amparo_suspension_active",
    "an amparo suspension is in force: the person may not be surrendered",
    f"{AMPARO_LAW} arts. 125-128 (suspension of the act claimed; a denial ends it only once "
    "final, arts. 81, 86: its appeal period passed, or the appeal was decided)",
    Reads.LEGAL, satisfied_by=("judicial.amparo_suspension_lifted",))
DEATH_PENALTY_CLEARANCE_MISSING: Rule[Any] = Rule(
    "death_penalty_clearance_missing",
    "a capital-eligible charge lacks an accepted assurance (treaty basis) or a DOJ commitment "
    "not to seek death (national-security basis)",
    f"{TREATY} art. 8; DOJ commitment on the national-security "
    "basis", Reads.NONE,
    satisfied_by=("assurance.death_penalty_clearance_granted",))
PICKUP_WINDOW_EXPIRED: Rule[Any] = Rule(
    "pickup_window_expired",
    "the requesting state did not collect the person within 60 calendar days from the day "
    "after they were placed at its disposal (by the surrender order, unless a later day is "
    "recorded)",
    "LEI art. 35", Reads.LEGAL)
RELEASED_FROM_CUSTODY: Rule[Any] = Rule(
    "released_from_custody", "Mexico released the person: nobody is held to hand over",
    "LEI art. 35 (uncollected person released); an SRE refusal ends the extradition "
    "detention", Reads.NONE)
