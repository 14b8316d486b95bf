"""Legal time in transport (issue 13): the facts noted from the neighbours are dated at their
cause's legal time and judged the same whenever they arrive, and the one rule that reads a
date (the pickup window) reads the legal date of the act, in LEGAL_TIMEZONE."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.transport import domain, rules
from services.transport.facts import (
    ClearanceGranted,
    Fact,
    PersonKnown,
    Released,
    SuspensionGranted,
    TransferAuthorized,
)
from services.transport.rules import Refusal

from .helpers import ROUTES, World, handoff, item, surrender

ACTED = datetime(2026, 1, 20, 16, 0, tzinfo=UTC)
# Facts that do not overrule one another: the same facts in any order are the same case.
FACTS: tuple[Fact, ...] = (
    PersonKnown("P-1", "national_security", "EDNY"),
    TransferAuthorized(ACTED, "EDNY"),
    ClearanceGranted("doj_commitment", ("c1",)),
    SuspensionGranted("A-1"),
    Released(ACTED.date(), "amparo_granted"),
)


@settings(max_examples=60, deadline=None)
@given(chosen=st.lists(st.sampled_from(range(len(FACTS))), unique=True, min_size=1),
       order=st.randoms(use_true_random=False),
       delays=st.lists(st.integers(0, 120 * 24 * 60), min_size=len(FACTS),
                       max_size=len(FACTS)))
def test_the_same_facts_in_any_order_at_any_later_time_make_the_same_case(
        chosen: list[int], order: random.Random, delays: list[int]) -> None:
    facts = [FACTS[i] for i in chosen]
    shuffled = list(facts)
    order.shuffle(shuffled)

    def run(sequence: list[Fact], entered: list[datetime]) -> tuple[object, ...]:
        world = World()
        dated: list[datetime] = []
        for fact, now in zip(sequence, entered, strict=False):
            case = world.case("RWY-1")
            outcome = domain.note_input(case, None, item("RWY-1", fact, ACTED), now, ROUTES)
            world.apply(outcome)
            dated += [e.occurred_at for e in outcome.case_events("RWY-1") if e.occurred_at]
        facts_now = world.case("RWY-1").facts
        return (facts_now, rules.failing_ids(facts_now, None), frozenset(dated))

    late = [ACTED + timedelta(minutes=d) for d in delays]
    assert run(shuffled, late) == run(facts, [ACTED] * len(facts))
    dated = run(shuffled, late)[2]
    assert dated == frozenset({ACTED})  # every noted event keeps its cause's legal time


DEADLINE = datetime(2025, 9, 10).date()


@pytest.mark.parametrize(("handed_over", "allowed"), [
    # 23:30 on 9 Sep in Mexico City is 10 Sep in UTC: still the 9th in law, inside the window
    (datetime(2025, 9, 10, 5, 30, tzinfo=UTC), True),
    # 00:30 on 10 Sep in Mexico City: the deadline's own day, the window is shut
    (datetime(2025, 9, 10, 6, 30, tzinfo=UTC), False),
])
@pytest.mark.parametrize("recorded_days_later", [0, 20])
def test_the_pickup_window_reads_the_handoffs_legal_date_not_its_recording(
        handed_over: datetime, allowed: bool, recorded_days_later: int) -> None:
    world = World(now=datetime(2025, 9, 9, 15, 0, tzinfo=UTC))
    world.note("RWY-1", PersonKnown("P-1", "treaty", "EDNY"), surrender(deadline=DEADLINE),
               ClearanceGranted("assurances_accepted", ("c1",)))
    flight_id = world.schedule(("JFK",))
    world.assign("RWY-1", flight_id)
    now = handed_over + timedelta(days=recorded_days_later, minutes=1)
    case, flight = world.case("RWY-1"), world.flights[flight_id]
    if allowed:
        outcome = domain.record_custody(case, flight, handoff(handed_over), now, world.routes)
        assert [e.occurred_at for e in outcome.case_events("RWY-1")] == [handed_over]
    else:
        with pytest.raises(Refusal) as refused:
            domain.record_custody(case, flight, handoff(handed_over), now, world.routes)
        assert refused.value.rules == (rules.PICKUP_WINDOW_EXPIRED.id,)


def test_an_assignment_reads_the_legal_date_of_now() -> None:
    """At 20:00 on 9 Sep in Mexico City (10 Sep in UTC) the window is still open."""
    evening = datetime(2025, 9, 10, 2, 0, tzinfo=UTC)
    world = World(now=evening)
    world.note("RWY-1", PersonKnown("P-1", "treaty", "EDNY"), surrender(deadline=DEADLINE),
               ClearanceGranted("assurances_accepted", ("c1",)))
    world.assign("RWY-1", world.schedule(("JFK",)))
    assert world.case("RWY-1").booking is not None
