"""The clearance gate is one list: for any case, the view's `blocked`, the audit's blockers
and the refusal of a clearance evaluation name the same rule (issue 12), and every refusal
of the domain names a rule of assurance's book."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.assurance import audit, domain, rules
from services.assurance.domain import AssuranceCase
from services.assurance.view import case_view
from shared.errors import RuleViolation
from shared.eventstore import NewEvent
from shared.rules import law

from .helpers import NOW, POLICY, assurance, charge, recorded, submitted

CHARGES = ("c1", "c2", "c3")


def _step(state: AssuranceCase, log: list[NewEvent], events: list[NewEvent]) -> AssuranceCase:
    log += events
    return domain.preview(state, events)


@settings(max_examples=120, deadline=None)
@given(capital=st.lists(st.booleans(), min_size=1, max_size=3),
       accepted=st.sets(st.sampled_from(CHARGES)),
       basis=st.sampled_from(["treaty", "national_security"]), doj=st.booleans())
def test_view_audit_and_evaluation_name_the_same_rule(capital: list[bool], accepted: set[str],
                                                      basis: str, doj: bool) -> None:
    log: list[NewEvent] = []
    ids = CHARGES[:len(capital)]
    state = _step(domain.initial(), log, domain.take_charges(domain.initial(), submitted(
        *(charge(c, capital=k) for c, k in zip(ids, capital, strict=True)), basis=basis), NOW))
    for number, charge_id in enumerate(sorted(accepted & set(state.capital))):
        assurance_id = f"A{number}"
        state = _step(state, log, domain.receive_assurance(
            state, assurance(assurance_id, charge_id), POLICY, NOW))
        state = _step(state, log, domain.decide_assurance(
            state, assurance_id, True, date(2025, 7, 15), "sufficient", POLICY, NOW))
    if doj and basis == "national_security":
        state = _step(state, log, domain.record_doj_commitment(
            state, "DOJ-1", date(2025, 7, 20), "US DOJ", "will not seek death", NOW))

    try:
        domain.evaluate(state, NOW)
        refused = None
    except RuleViolation as refusal:
        refused = refusal.rule

    blocked = case_view(state)["clearance"]["blocked"]
    assert (blocked and blocked["rule"]) == refused
    assert refused == next(iter(rules.CLEARANCE.failing_ids(state)), None)
    held = audit.blockers(recorded(log))
    assert bool(held) == (refused is not None)
    assert {b.rule for b in held} <= {law.DEATH_PENALTY_CLEARANCE_MISSING.id}
    assert state.clearance.cleared == (refused is None)


@pytest.mark.parametrize("refuse", [
    lambda s: domain.record_doj_commitment(s, "DOJ-1", date(2025, 7, 1), "DOJ", "x", NOW),
    lambda s: domain.request_assurance(s, ["c9"], date(2025, 7, 1), None, NOW),
    lambda s: domain.request_assurance(s, ["c1"], date(2099, 1, 1), None, NOW),
])
def test_every_refusal_names_a_rule_of_the_book(refuse: object) -> None:
    state = domain.preview(domain.initial(), domain.take_charges(
        domain.initial(), submitted(charge("c1")), NOW))
    with pytest.raises(RuleViolation) as refused:
        refuse(state)  # type: ignore[operator]
    assert refused.value.rule in rules.RULES
