"""The eligibility gate is one list: for any facts, what the case view shows as failing, what
`case_ineligible.reasons` announces, what the audit names as blockers and what a manifest
assignment is refused with are the same rules, in the same order (issue 12)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.transport import audit, facts, rules
from services.transport.rules import Refusal
from shared.rules import Rule, law

from .helpers import NOW, TODAY, ready_facts
from .test_audit import CASE, Log

DEADLINES = st.sampled_from([TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=1),
                             TODAY + timedelta(days=40)])
FACTS: st.SearchStrategy[facts.Fact] = st.one_of(
    st.builds(facts.SurrenderOrdered, kind=st.sampled_from(["full", "temporary", "deferred"]),
              ordered_on=st.just(TODAY - timedelta(days=10)), pickup_deadline_on=DEADLINES,
              district=st.just("EDNY"), return_obligation=st.booleans()),
    st.just(facts.TransferAuthorized(NOW - timedelta(hours=3), "EDNY")),
    st.builds(facts.SuspensionGranted, amparo_id=st.sampled_from(["A-1", "A-2"])),
    st.builds(facts.AmparoDenied, amparo_id=st.sampled_from(["A-1", "A-2"]),
              active_suspensions=st.none()),
    st.builds(facts.AmparoGranted, amparo_id=st.sampled_from(["A-1", "A-2"]), ruled_on=st.none()),
    st.just(facts.ClearanceGranted("assurances_accepted", ("c1",))),
    st.just(facts.ClearanceWithdrawn("capital_charge_identified", ("c2",))),
    st.just(facts.Released(TODAY, "pickup_window_expired")),
    st.just(facts.PickupExpired(TODAY)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(FACTS, max_size=8))
def test_view_announcement_blockers_and_refusal_name_the_same_rules(
        later: list[facts.Fact]) -> None:
    log = Log()
    log.note(facts.PersonKnown("P-1", "treaty", "EDNY"), *later)
    world = log.world
    case = world.case(CASE)
    flight_id = world.schedule(("JFK",))

    try:
        world.assign(CASE, flight_id)
        refused: tuple[str, ...] = ()
    except Refusal as refusal:
        refused = refusal.rules

    gate = rules.failing_ids(case.facts, TODAY)
    assert refused == gate
    assert case.announced is not None and case.announced.reasons == gate
    assert [b.rule for b in audit.blockers(log.events)] == list(gate)
    shown = audit.view(log.events)
    assert shown["eligibility"]["failing_rules"] == list(gate)
    assert shown["status"] == ("not_eligible" if gate else "eligible")


def test_every_eligibility_rule_is_the_laws_rule_word_for_word() -> None:
    """Transport judges judicial's and assurance's rules; it never restates them."""
    shared = {r.id: r for r in vars(law).values() if isinstance(r, Rule)}
    for rule in rules.ELIGIBILITY.rules:
        assert rules.RULES[rule.id] is rule
        assert (rule.statement, rule.source, rule.reads) == \
            (shared[rule.id].statement, shared[rule.id].source, shared[rule.id].reads)


@pytest.mark.parametrize("fact", [facts.ClearanceWithdrawn("assurance_withdrawn", ("c1",)),
                                  facts.SuspensionGranted("A-7")])
def test_an_audit_blocker_states_its_rule_as_the_book_does(fact: facts.Fact) -> None:
    log = Log()
    log.note(*ready_facts(), fact)
    [blocker] = audit.blockers(log.events)
    assert blocker.detail.startswith(rules.RULES[blocker.rule].statement + ": ")
