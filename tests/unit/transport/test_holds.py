"""Transport's fail-closed hold (services/transport/holds.py): which dead-lettered events hold
a person, and how a held case is shown."""

from __future__ import annotations

from typing import Any

from services.transport import holds, inputs, rules
from shared.deadletters.store import Waiting

SUSPENSION = "judicial.amparo_suspension_granted.v1"


def _view(status: str = "eligible", failing: list[str] | None = None) -> dict[str, Any]:
    failing = failing or []
    return {"case_id": "RWY-1", "status": status,
            "eligibility": {"eligible": not failing, "failing_rules": failing,
                            "explanations": {r: "why" for r in failing}, "as_of": "2025-08-12"}}


def test_every_judicial_and_assurance_fact_transport_reads_can_hold_a_person() -> None:
    assert "judicial.amparo_suspension_granted" in holds.HOLDING_EVENT_TYPES
    assert "assurance.death_penalty_clearance_withdrawn" in holds.HOLDING_EVENT_TYPES
    assert "judicial.released_from_custody" in holds.HOLDING_EVENT_TYPES
    assert not any(t.startswith("intake.") for t in holds.HOLDING_EVENT_TYPES)
    assert len(holds.HOLDING_EVENT_TYPES) == len(
        {t.rsplit(".v", 1)[0] for t in (*inputs.JUDICIAL_TYPES, *inputs.ASSURANCE_TYPES)})


def test_the_rule_blocks_while_a_dead_letter_waits_and_names_its_time() -> None:
    rule = rules.UNPROCESSED_SAFETY_FACT
    assert rule.id in rules.RULES and rule.reads.value == "recorded"
    assert rule.blocking([Waiting(7, "RWY-1", SUSPENSION, "transport.judicial-events")])
    assert not rule.blocking([])


def test_a_held_case_is_not_eligible_and_says_which_dead_letter_holds_it() -> None:
    letters = [Waiting(7, "RWY-1", SUSPENSION, "transport.judicial-events"),
               Waiting(9, "RWY-1", None, "transport.judicial-events")]

    shown = holds.shown_held(_view(), letters)

    assert shown["status"] == "not_eligible"
    assert shown["eligibility"]["eligible"] is False
    assert shown["eligibility"]["failing_rules"] == ["unprocessed_safety_fact"]
    why = shown["eligibility"]["explanations"]["unprocessed_safety_fact"]
    assert "dead letter 7 (judicial.amparo_suspension_granted.v1" in why
    assert "dead letter 9 (unreadable event" in why


def test_a_hold_adds_to_the_rules_already_failing_and_keeps_a_flight_status() -> None:
    letters = [Waiting(7, "RWY-1", SUSPENSION, "transport.judicial-events")]
    shown = holds.shown_held(_view("on_manifest", ["death_penalty_clearance_missing"]), letters)
    assert shown["status"] == "on_manifest"
    assert shown["eligibility"]["failing_rules"] == ["death_penalty_clearance_missing",
                                                     "unprocessed_safety_fact"]
    assert holds.shown_held(_view(), []) == _view()
