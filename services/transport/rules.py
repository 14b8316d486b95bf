"""The eligibility rules: a person may be put on a manifest only while every one holds.

Each rule has a stable name, used in 409 answers, in `case_ineligible.reasons` and in
`removed_from_manifest.rules`:

* surrender_not_ordered: a surrender order of kind full or temporary (deferred does not
  count; an amparo granted annuls it), or a national-security transfer authorization.
* death_penalty_clearance_missing: assurance's death-penalty clearance, granted and not
  withdrawn (treaty art. 8; on the national-security basis the DOJ commitment plays this role,
  which assurance already folds into its clearance).
* amparo_suspension_active: no suspension in force in any amparo suit.
* pickup_window_expired: surrender orders only: judicial's `pickup_deadline_on` is the first
  day on which the US may no longer collect the person (judicial's clocks run out at the start
  of their due day, and its scheduler releases the person then), so the window is open while
  today < pickup_deadline_on, or until judicial says it expired.
* released_from_custody: judicial has not released the person.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from shared.errors import RuleViolation

from .state import Facts

SURRENDER_NOT_ORDERED = "surrender_not_ordered"
CLEARANCE_MISSING = "death_penalty_clearance_missing"
SUSPENSION_ACTIVE = "amparo_suspension_active"
PICKUP_WINDOW_EXPIRED = "pickup_window_expired"
RELEASED = "released_from_custody"

ELIGIBILITY_RULES = (SURRENDER_NOT_ORDERED, CLEARANCE_MISSING, SUSPENSION_ACTIVE,
                     PICKUP_WINDOW_EXPIRED, RELEASED)
SURRENDER_KINDS_THAT_COUNT = frozenset({"full", "temporary"})

# Why someone came off a manifest, per rule: the contract's reason for a withdrawn clearance is
# "clearance_withdrawn" (the rule, death_penalty_clearance_missing, is in `rules`).
REMOVAL_REASON = {CLEARANCE_MISSING: "clearance_withdrawn"}


class Refusal(RuleViolation):
    """A refused command naming every rule that failed (and the people concerned)."""

    def __init__(self, rules: Sequence[str], message: str,
                 case_ids: Sequence[str] = ()) -> None:
        super().__init__(rules[0], message)
        self.rules = tuple(rules)
        self.case_ids = tuple(case_ids)


def surrender_ground(facts: Facts) -> bool:
    return (facts.surrender_kind in SURRENDER_KINDS_THAT_COUNT
            and facts.surrender_annulled_by is None)


def _pickup_passed(facts: Facts, today: date | None) -> bool:
    if facts.transfer_authorized_at is not None:
        return False  # a national-security transfer has no pickup window
    if facts.pickup_expired:
        return True
    deadline = facts.pickup_deadline_on
    return (today is not None and deadline is not None and surrender_ground(facts)
            and today >= deadline)


def failing_rules(facts: Facts, today: date | None) -> tuple[str, ...]:
    """The rules that fail, in their fixed order; `today=None` leaves out the clock."""
    failing = (
        (SURRENDER_NOT_ORDERED,
         not surrender_ground(facts) and facts.transfer_authorized_at is None),
        (CLEARANCE_MISSING, not facts.cleared),
        (SUSPENSION_ACTIVE, bool(facts.suspensions)),
        (PICKUP_WINDOW_EXPIRED, _pickup_passed(facts, today)),
        (RELEASED, facts.released is not None),
    )
    return tuple(rule for rule, fails in failing if fails)


def explain(rule: str, facts: Facts) -> str:
    """What is missing, in words an operator can act on."""
    if rule == SURRENDER_NOT_ORDERED:
        if facts.surrender_annulled_by is not None:
            return f"amparo {facts.surrender_annulled_by} was granted: the extradition is annulled"
        if facts.surrender_kind == "deferred":
            return "surrender was deferred (treaty art. 15); it must be ordered full or temporary"
        return ("no surrender order (full or temporary) and no national-security transfer "
                "authorization has been received from judicial")
    if rule == CLEARANCE_MISSING:
        if facts.clearance_withdrawal:
            return f"the death-penalty clearance was withdrawn ({facts.clearance_withdrawal})"
        return "no death-penalty clearance has been granted by assurance"
    if rule == SUSPENSION_ACTIVE:
        return f"amparo suspension in force in {', '.join(facts.suspensions)}"
    if rule == PICKUP_WINDOW_EXPIRED:
        return (f"the pickup window closed on {facts.pickup_deadline_on}: the US may no longer "
                "collect the person under this surrender order")
    if rule == RELEASED:
        assert facts.released is not None
        day, reason = facts.released
        return f"released from custody on {day} ({reason})"
    return rule


def explain_all(rules: Sequence[str], facts: Facts) -> str:
    return "; ".join(f"{rule}: {explain(rule, facts)}" for rule in rules)


def require_eligible(case_id: str, facts: Facts, today: date) -> None:
    failing = failing_rules(facts, today)
    if failing:
        raise Refusal(failing, f"case {case_id} may not be put on a manifest: "
                               f"{explain_all(failing, facts)}", (case_id,))
