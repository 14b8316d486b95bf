"""The specialty gate, one list for both sides: for random cases, the rules the case view says
hold a count back (`blocked_by`) are exactly the rules an arraignment on it is refused under
(the first of them), and a count with none may be arraigned."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.court import domain
from services.court import rules as R  # noqa: N812
from services.court.domain import CourtCase
from services.court.events import ChargeText, LegalBasis, SpecialtyException
from services.court.view import case_view
from shared.errors import RuleViolation
from shared.eventstore import NewEvent

from .helpers import (
    NOW,
    arraign,
    decide_consent,
    ready_to_arraign,
    request_consent,
    supersede,
)

IDS = ("c1", "c2", "c3", "c4", "c5", "c6")
STRANGER = "c7"  # never a charge of the case
STATES = ("Spain", "Italy")
LATER = NOW + timedelta(days=200)


def _try(state: CourtCase, decide: Callable[[CourtCase], list[NewEvent]]) -> CourtCase:
    try:
        return domain.preview(state, decide(state))
    except RuleViolation:
        return state


step = st.one_of(
    st.tuples(st.just("supersede"), st.lists(st.sampled_from(IDS), min_size=1, max_size=3)),
    st.tuples(st.just("redescribe"), st.lists(st.sampled_from(IDS), min_size=2, max_size=2)),
    st.tuples(st.just("later_offence"), st.lists(st.sampled_from(IDS), min_size=1,
                                                 max_size=2)),
    st.tuples(st.just("stayed"), st.just([])),
    st.tuples(st.just("third_state"), st.lists(st.sampled_from(STATES), min_size=1,
                                               max_size=1)),
    st.tuples(st.just("mexico_agrees"), st.lists(st.sampled_from(STATES), min_size=1,
                                                 max_size=1)),
    st.tuples(st.just("ask"), st.lists(st.sampled_from(IDS), min_size=1, max_size=2)),
    st.tuples(st.just("grant"), st.lists(st.sampled_from(IDS), min_size=1, max_size=2)),
    st.tuples(st.just("refuse"), st.lists(st.sampled_from(IDS), min_size=1, max_size=2)))


@st.composite
def cases(draw: st.DrawFn) -> CourtCase:
    basis = draw(st.sampled_from(tuple(LegalBasis)))
    charges = draw(st.lists(st.sampled_from(IDS[:4]), min_size=1, max_size=4, unique=True))
    granted = draw(st.lists(st.sampled_from(charges), max_size=len(charges), unique=True))
    state = ready_to_arraign(*charges, basis=basis, granted=granted)
    for kind, ids in draw(st.lists(step, max_size=8)):
        state = _try(state, _command(kind, ids))
    return state


def _command(kind: str, ids: list[str]) -> Callable[[CourtCase], list[NewEvent]]:
    def decide(state: CourtCase) -> list[NewEvent]:
        if kind == "supersede":
            return supersede(state, *ids)
        if kind == "redescribe":  # the first count, under a new statute, on the second's facts
            count = ChargeText(charge_id=ids[0], statute="18 U.S.C. § 1959",
                               description="VICAR")
            return domain.file_superseding_indictment(state, NOW.date(), [count], NOW,
                                                      {ids[0]: ids[1]})
        if kind in ("later_offence", "stayed"):
            return _exception(state, kind, ids)
        if kind == "third_state":
            return domain.request_reextradition(state, ids[0], NOW.date(), None, LATER)
        if kind == "mexico_agrees":
            return domain.decide_reextradition_consent(state, ids[0], True, NOW.date(),
                                                       "SRE note", LATER)
        if kind == "ask":
            return request_consent(state, *ids)
        return decide_consent(state, kind == "grant", *ids)

    return decide


def _exception(state: CourtCase, kind: str, ids: list[str]) -> list[NewEvent]:
    if kind == "stayed":
        return domain.record_specialty_exception(
            state, SpecialtyException.STAYED_AFTER_FREE_TO_LEAVE,
            domain.ExceptionFacts(free_to_leave_on=NOW.date()),
            (NOW + timedelta(days=60)).date(), "order", LATER)
    return domain.record_specialty_exception(
        state, SpecialtyException.OFFENCE_AFTER_EXTRADITION,
        domain.ExceptionFacts(committed_on=NOW.date(), charge_ids=tuple(ids)),
        NOW.date(), "order", LATER)


def _refused_with(state: CourtCase, *charge_ids: str) -> str | None:
    try:
        arraign(state, *charge_ids)
    except RuleViolation as refusal:
        return refusal.rule
    return None


@settings(max_examples=300, deadline=None)
@given(cases())
def test_the_views_blockers_are_the_rules_an_arraignment_is_refused_with(
        state: CourtCase) -> None:
    shown = {c["charge_id"]: c for c in case_view(state)["charges"]}
    for charge_id in (*IDS, STRANGER):
        blocked_by = (shown[charge_id]["blocked_by"] if charge_id in shown
                      else R.blocked_by(state, charge_id))
        refused = _refused_with(state, charge_id)
        assert refused == (blocked_by[0] if blocked_by else None), (charge_id, blocked_by)
        if charge_id in shown:
            assert shown[charge_id]["blocked"] == bool(blocked_by)


@settings(max_examples=200, deadline=None)
@given(cases(), st.sampled_from(STATES))
def test_onward_surrender_is_refused_with_the_views_first_blocker(
        state: CourtCase, requesting_state: str) -> None:
    listed = {r["requesting_state"]: r for r in case_view(state)["reextraditions"]}
    blocked_by = (listed[requesting_state]["blocked_by"] if requesting_state in listed
                  else R.onward_blocked_by(state, requesting_state))
    try:
        domain.surrender_onward(state, requesting_state, LATER.date(), LATER)
        refused = None
    except RuleViolation as refusal:
        refused = refusal.rule
    assert refused == (blocked_by[0] if blocked_by else None), blocked_by


@settings(max_examples=150, deadline=None)
@given(cases(), st.lists(st.sampled_from((*IDS, STRANGER)), min_size=2, max_size=4,
                         unique=True))
def test_several_counts_are_refused_under_the_first_rule_holding_any_of_them(
        state: CourtCase, charge_ids: list[str]) -> None:
    failing = {rule for c in charge_ids for rule in R.blocked_by(state, c)}
    first = next((r.id for r in R.ARRAIGNMENT_GATE.rules if r.id in failing), None)
    assert _refused_with(state, *charge_ids) == first
