"""Assurance's rules, each defined once (shared/rules): the refusals of its commands, the
death-penalty rule it answers for, and the findings it records about a transfer.

The clearance rule (`CAPITAL_CHARGE_UNCOVERED`) is a state rule: the case view's `blocked`,
the audit's blockers and the refusal of POST /clearance/evaluation all ask `CLEARANCE`, so
they name the same rule by construction. Other services see the same rule as the law's
`death_penalty_clearance_missing` (shared/rules/law.py), judged here over the case.

Times: a rule reads legal dates (the documents' dates, the custody handoff's instant) or
when Runway recorded an act, never both. A transfer is flagged only on legal dates; an act
entered late is the clerical `recorded_after_the_fact`, shown, never a flag.
"""

from __future__ import annotations

from typing import Any

from shared.rules import Gate, Reads, Rule, RuleBook, law
from shared.rules.law import record_rule

from . import coverage
from . import events as ev
from .state import AssuranceCase

TREATY_ART_8 = f"{law.TREATY} art. 8"
DOJ = "the DOJ's written commitment not to seek death (national-security basis)"

ACCEPTED = ev.ASSURANCE_ACCEPTED
DOJ_RECORDED = ev.DOJ_COMMITMENT_RECORDED

# --- the clearance ------------------------------------------------------------------------

CAPITAL_CHARGE_UNCOVERED: Rule[AssuranceCase] = Rule(
    "capital_charge_uncovered",
    "clearance cannot be granted while a capital-eligible charge lacks an accepted assurance "
    "(or, on the national-security basis, a DOJ commitment covering it)",
    f"{TREATY_ART_8}; {DOJ}", Reads.NONE,
    satisfied_by=(ACCEPTED, DOJ_RECORDED),
    blocks=lambda case: bool(coverage.uncovered_charges(case)))
DOJ_COMMITMENT_INSUFFICIENT: Rule[AssuranceCase] = Rule(
    "doj_commitment_insufficient",
    "a DOJ commitment clears only the capital counts its scope covers: it names them (or "
    "every count), it does not seek death, and it binds their prosecuting authority (a "
    "state's prosecution needs that state's own commitment)",
    f"{DOJ}; domain brief, corrections: its scope must cover every capital-eligible count "
    "[U]", Reads.NONE,
    satisfied_by=(DOJ_RECORDED, ACCEPTED),
    blocks=lambda case: (case.national_security and bool(case.commitments)
                         and bool(coverage.uncovered_charges(case))))
DEATH_PENALTY_CLEARANCE_MISSING: Rule[AssuranceCase] = law.DEATH_PENALTY_CLEARANCE_MISSING.over(
    lambda case: case.exists and not case.clearance.cleared)

# A recorded commitment that falls short is named first: it is the instrument the officers
# must get amended; otherwise the charges that lack cover.
CLEARANCE: Gate[AssuranceCase] = Gate("a death-penalty clearance", (
    DOJ_COMMITMENT_INSUFFICIENT, CAPITAL_CHARGE_UNCOVERED))


def instrument(case: AssuranceCase) -> str:
    """The instrument the case's basis asks for, named in every text about it: the DOJ
    commitment on the national-security basis (never treaty art. 8), else an assurance."""
    if case.national_security:
        return "a DOJ commitment not to seek death whose scope covers it"
    return "an accepted assurance (treaty art. 8)"


def commitment_gaps(case: AssuranceCase, charge_id: str) -> str:
    """Why the recorded commitments do not cover this count, in the commitments' terms."""
    charge = case.capital[charge_id]
    gaps = []
    for commitment in case.commitments.values():
        if commitment.seeks_death and coverage.speaks_to(commitment, charge):
            gaps.append(f"{commitment.reference} says death will be sought")
        elif commitment.charge_ids is not None and charge_id not in commitment.charge_ids:
            gaps.append(f"{commitment.reference} names only {', '.join(commitment.charge_ids)}")
        elif commitment.covers is not None and charge.cover not in commitment.covers:
            gaps.append(f"{commitment.reference} names {charge_id} as it stood on "
                        f"{commitment.committed_on}, not as now charged ({charge.statute})")
        elif coverage.prosecutor(charge) != commitment.prosecuting_authority:
            kind = "federal" if coverage.federal(charge) else "state"
            whose = "" if kind == "federal" else (
                f", {coverage.prosecutor(charge)}'s" if coverage.prosecutor(charge)
                else ", whose statute names no state")
            gaps.append(f"{commitment.reference} binds the {commitment.prosecuting_authority} "
                        f"prosecution, not the {kind} count {charge_id} "
                        f"({charge.statute}{whose})")
    return "; ".join(gaps)


def blocked_detail(case: AssuranceCase) -> str:
    """Why the case cannot be cleared, naming the uncovered charges and the instrument its
    basis asks for (view, refusal and audit)."""
    uncovered = coverage.uncovered_charges(case)
    detail = (f"capital charges {', '.join(uncovered)} lack {instrument(case)}; clearance "
              "cannot be granted")
    gaps = [g for c in uncovered if (g := commitment_gaps(case, c))]
    return f"{detail} ({'; '.join(dict.fromkeys(gaps))})" if gaps else detail

# --- the officers' commands -----------------------------------------------------------------

CHARGE_NOT_CAPITAL_ELIGIBLE: Rule[Any] = Rule(
    "charge_not_capital_eligible",
    "an assurance or its request names only capital-eligible charges of the case",
    TREATY_ART_8, Reads.NONE)
ASSURANCE_ALREADY_RECORDED = record_rule(
    "assurance_already_recorded", "an assurance is recorded once")
DATE_BEFORE_ISSUE = record_rule(
    "date_before_issue",
    "an assurance cannot be decided on or withdrawn before the date it was issued", Reads.LEGAL)
ASSURANCE_SCOPE_INSUFFICIENT: Rule[Any] = Rule(
    "assurance_scope_insufficient",
    "Mexico may accept only an assurance that death will not be imposed, or if imposed not "
    "carried out (the configured sufficient scopes)",
    TREATY_ART_8, Reads.NONE)
ASSURANCE_ALREADY_WITHDRAWN = record_rule(
    "assurance_already_withdrawn", "a withdrawn assurance cannot be withdrawn again")
ASSURANCE_WITHDRAWN = record_rule(
    "assurance_withdrawn", "a withdrawn assurance can no longer be evaluated")
ASSURANCE_ALREADY_DECIDED = record_rule(
    "assurance_already_decided", "Mexico decides on an assurance once")
PROSECUTING_AUTHORITY_UNKNOWN: Rule[Any] = Rule(
    "prosecuting_authority_unknown",
    "a DOJ commitment names the prosecution it binds: federal, or a US state by name; a text "
    "that names neither is refused, never taken for a state's",
    f"{DOJ}; domain brief, corrections: a state prosecution needs its own commitment [U]",
    Reads.NONE)
DOJ_COMMITMENT_ALREADY_RECORDED = record_rule(
    "doj_commitment_already_recorded",
    "each DOJ or state commitment, by its reference, is recorded once")

# --- what is found about a transfer (recorded, never refused) ------------------------------

NOT_CLEARED: Rule[Any] = Rule(
    "not_cleared",
    "custody passed to the US while a capital-eligible charge lacked an accepted assurance "
    "or DOJ commitment: flagged for auditors, naming the custody's legal date",
    f"{TREATY_ART_8}; {DOJ}", Reads.LEGAL,
    satisfied_by=(ACCEPTED, DOJ_RECORDED),
    blocks=lambda case: _flagged_under(case, NOT_CLEARED))
CLEARED_AFTER_TRANSFER: Rule[Any] = Rule(
    "cleared_after_transfer",
    "the clearance's legal date (the assurance's acceptance or the DOJ commitment) is after "
    "the custody transfer's legal date: flagged for auditors, naming both dates",
    f"{TREATY_ART_8}; {DOJ}", Reads.LEGAL,
    blocks=lambda case: _flagged_under(case, CLEARED_AFTER_TRANSFER))
RECORDED_AFTER_THE_FACT = record_rule(
    "recorded_after_the_fact",
    "clerical: the custody handoff or a commitment was recorded in Runway on a later legal "
    "day than its own; shown, never a legal flag", Reads.RECORDED,
    blocks=lambda case: bool(case.transfer and case.transfer.recorded_after_the_fact) or any(
        c.recorded_after_the_fact for c in case.commitments.values()))


def _flagged_under(case: AssuranceCase, rule: Rule[Any]) -> bool:
    """The transfer is flagged under this finding (a finding holds, it refuses nothing)."""
    return case.transfer is not None and case.transfer.flag_reason == rule.id

RULES = RuleBook("assurance", [
    DOJ_COMMITMENT_INSUFFICIENT, CAPITAL_CHARGE_UNCOVERED, DEATH_PENALTY_CLEARANCE_MISSING,
    law.CASE_NOT_OPENED, law.BASIS_MISMATCH, law.DATE_IN_FUTURE,
    CHARGE_NOT_CAPITAL_ELIGIBLE, ASSURANCE_ALREADY_RECORDED, DATE_BEFORE_ISSUE,
    ASSURANCE_SCOPE_INSUFFICIENT, ASSURANCE_ALREADY_WITHDRAWN, ASSURANCE_WITHDRAWN,
    ASSURANCE_ALREADY_DECIDED, PROSECUTING_AUTHORITY_UNKNOWN, DOJ_COMMITMENT_ALREADY_RECORDED,
    NOT_CLEARED, CLEARED_AFTER_TRANSFER, RECORDED_AFTER_THE_FACT,
], gates=[CLEARANCE])
