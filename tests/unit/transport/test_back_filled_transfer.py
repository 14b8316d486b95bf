"""A transfer entered after the fact is judged on the legal dates of its acts (issue 13): a
person surrendered on 28 Jul 2025 and handed over on 12 Aug 2025, both typed in months later,
was inside the 60-day pickup window, even though the window has long closed by the day of
entry and judicial has meanwhile recorded its expiry (dated, in law, at the deadline)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.transport import rules
from services.transport.facts import PickupExpired, Released

from .helpers import DEPARTURE, World, ready_facts, surrender

DEADLINE = date(2025, 9, 26)          # 60 calendar days after the 28 Jul 2025 order
ENTERED = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # the day the clerk types it all in
CASE = "C-LATE"


def _world_entered_late() -> World:
    world = World(now=ENTERED)
    world.note(CASE, *ready_facts("EDNY", deadline=DEADLINE))
    return world


def test_a_flight_that_left_inside_the_window_takes_the_person_though_entered_after_it() -> None:
    world = _world_entered_late()
    flight = world.schedule(("JFK",))  # departs 12 Aug 2025 (DEPARTURE)
    world.assign(CASE, flight)
    world.custody(CASE, flight, at=DEPARTURE - timedelta(hours=2))
    case = world.case(CASE)
    assert case.booking is not None and case.custody is not None


def test_judicials_expiry_and_release_dated_after_the_flight_do_not_hold_it_back() -> None:
    world = _world_entered_late()
    world.note(CASE, PickupExpired(DEADLINE), Released(DEADLINE, "pickup_window_expired"))
    flight = world.schedule(("JFK",))
    world.assign(CASE, flight)
    # ... but a flight on or after the day the window closed may not take the person.
    assert rules.failing_ids(world.case(CASE).facts, DEADLINE) == (
        "pickup_window_expired", "released_from_custody")


def test_a_handoff_after_the_window_closed_is_refused_even_on_a_flight_scheduled_before() -> None:
    world = _world_entered_late()
    flight = world.schedule(("JFK",))
    world.assign(CASE, flight)
    too_late = datetime(2025, 9, 26, 18, 0, tzinfo=UTC)  # noon in Mexico City: the 26th
    with pytest.raises(rules.Refusal) as refused:
        world.custody(CASE, flight, at=too_late)
    assert refused.value.rules == ("pickup_window_expired",)


def test_a_live_assignment_is_still_judged_on_today() -> None:
    assert rules.judged_on(ENTERED, ENTERED + timedelta(days=3)) == date(2026, 12, 3)
    assert rules.judged_on(ENTERED, DEPARTURE) == date(2025, 8, 12)


def test_a_release_from_a_lapsed_provisional_detention_is_overtaken_by_a_later_order() -> None:
    """Judicial releases a person whose provisional detention lapsed but keeps the case
    open (issue 14); a surrender order made after the release holds them again."""
    world = World(now=ENTERED)
    person, _order, clearance = ready_facts("EDNY", deadline=DEADLINE)
    world.note(CASE, person, clearance, Released(date(2025, 6, 1), "provisional_detention_lapsed"))
    assert "released_from_custody" in rules.failing_ids(world.case(CASE).facts, None)
    world.note(CASE, surrender("EDNY", DEADLINE))  # ordered 28 Jul 2025
    assert rules.failing_ids(world.case(CASE).facts, date(2025, 8, 12)) == ()
