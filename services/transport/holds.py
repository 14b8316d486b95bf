"""Transport fails closed on facts it could not apply (issue 16, deliverable 4).

A judicial or assurance event that transport's consumer dead-lettered may be the one that
stops a handover: an amparo suspension, a withdrawn clearance, a release, an annulled order.
While such a dead letter waits (shared/deadletters), the person it is about may not be put on
a manifest, handed over or flown, under the rule `unprocessed_safety_fact`; the case view
lists the rule with the dead letter's id. Re-driving or discarding the letter lifts the hold.
The hold is not recorded as an event: it is about Runway's own processing, not about the case.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.deadletters import store
from shared.deadletters.store import Waiting, event_type_of

from . import inputs, rules
from .rules import Refusal
from .state import CaseStatus

# The events whose loss can change eligibility: every judicial and assurance event transport
# reads (each is a fact of the eligibility rules), in any version. A dead letter whose type
# could not be read at all holds too (store.waiting_for).
HOLDING_EVENT_TYPES: frozenset[str] = frozenset(
    str(event_type_of(t)) for t in (*inputs.JUDICIAL_TYPES, *inputs.ASSURANCE_TYPES))

RULE = rules.UNPROCESSED_SAFETY_FACT


async def holding(conn: AsyncConnection, case_ids: Collection[str] | None
                  ) -> dict[str, list[Waiting]]:
    """The waiting dead letters that hold each of these cases (None: every case; cases not
    held are absent)."""
    held: dict[str, list[Waiting]] = {}
    for letter in await store.waiting_for(conn, case_ids, HOLDING_EVENT_TYPES):
        held.setdefault(letter.case_id, []).append(letter)
    return held


def blocking(held: Mapping[str, Sequence[Waiting]]) -> set[str]:
    """The cases whose waiting dead letters keep the person off a flight."""
    return {case_id for case_id, letters in held.items() if RULE.blocking(letters)}


def explain(letters: Sequence[Waiting]) -> str:
    """Which dead letters hold the person, and what lifts the hold."""
    named = ", ".join(f"dead letter {letter.id} ({letter.ce_type or 'unreadable event'}, "
                      f"consumer {letter.consumer})" for letter in letters)
    return (f"{named} waits unprocessed: re-drive it once its cause is fixed, or discard it "
            "with a reason (runway dlq redrive transport ID / runway dlq discard transport ID)")


async def require_not_held(conn: AsyncConnection, case_ids: Collection[str]) -> None:
    """Refuse (409 naming the rule and the dead letters) while any of these cases is held."""
    held = await holding(conn, case_ids)
    if not held:
        return
    detail = "; ".join(f"case {case_id} is held: {explain(letters)}"
                       for case_id, letters in sorted(held.items()))
    raise Refusal((RULE.id,), detail, tuple(sorted(held)))


def shown_held(view: dict[str, Any], letters: Sequence[Waiting]) -> dict[str, Any]:
    """A case view (read_model.get_case) with the hold among what blocks the person."""
    if not RULE.blocking(letters):
        return view
    eligibility = dict(view["eligibility"])
    eligibility["failing_rules"] = [*eligibility["failing_rules"], RULE.id]
    eligibility["explanations"] = {**eligibility["explanations"], RULE.id: explain(letters)}
    eligibility["eligible"] = False
    status = view["status"]
    if status == CaseStatus.ELIGIBLE.value:
        status = CaseStatus.NOT_ELIGIBLE.value
    return {**view, "eligibility": eligibility, "status": status}


def listed_held(entry: dict[str, Any], letters: Sequence[Waiting]) -> dict[str, Any]:
    """A case in read_model.list_cases's shape, with the hold among its failing rules."""
    if not RULE.blocking(letters):
        return entry
    status = entry["status"]
    if status == CaseStatus.ELIGIBLE.value:
        status = CaseStatus.NOT_ELIGIBLE.value
    return {**entry, "eligible": False, "failing_rules": [*entry["failing_rules"], RULE.id],
            "status": status}
