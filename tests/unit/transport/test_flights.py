"""The flight side, as a review of 5 Dec 2026 found it: stops are landed at in the route's
order; a handover is not dated before Mexico's surrender order; a person whose charging
district changes comes off a flight bound for the old one; a diversion shows its own
landing, not an earlier one at the same airport."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from services.transport import domain
from services.transport.facts import Input, SuspensionGranted
from services.transport.rules import Refusal
from services.transport.view import case_view, flight_view
from tests.unit.transport.helpers import NOW, TODAY, World, surrender


def _flown(world: World, stops: tuple[str, ...], people: dict[str, str]) -> str:
    for case_id, district in people.items():
        world.eligible(case_id, district)
    flight_id = world.schedule(stops, capacity=len(people))
    for case_id in people:
        world.assign(case_id, flight_id)
        world.custody(case_id, flight_id)
    world.now = NOW + timedelta(hours=1)
    world.depart(flight_id)
    return flight_id


def test_a_landing_at_a_later_stop_before_an_earlier_one_is_refused() -> None:
    """Route JFK -> LAX with a person for each: a landing at LAX while JFK (the first stop,
    with someone still aboard for it) has not been landed at must be refused."""
    world = World()
    flight_id = _flown(world, ("JFK", "LAX"), {"RWY-1": "EDNY", "RWY-2": "CDCA"})
    world.now = NOW + timedelta(hours=5)
    with pytest.raises(Refusal) as refused:
        world.land(flight_id, "LAX")
    assert refused.value.rule == "stop_out_of_order"
    world.land(flight_id, "JFK")
    world.now = NOW + timedelta(hours=8)
    assert world.land(flight_id, "LAX")


def test_a_district_change_on_an_open_manifest_does_not_fly_the_person_to_the_old_city() -> None:
    """Booked EDNY -> JFK; judicial then orders surrender to CDCA (a corrected/new order).
    The person stays eligible, so nothing takes them off; they fly to JFK and land with
    district EDNY although their charging district is now CDCA (LAX)."""
    world = World()
    world.eligible("RWY-1", "EDNY")
    flight_id = world.schedule(("JFK",), capacity=1)
    world.assign("RWY-1", flight_id)

    world.note("RWY-1", surrender("CDCA"))

    case = world.case("RWY-1")
    assert case.facts.district == "CDCA"
    assert case.booking is None and world.flights[flight_id].manifest == ()
    assert [r.reason for r in case.removals] == ["destination_changed"]
    assert case_view(case, world.routes, TODAY)["destination"]["airport"] == "LAX"


def test_a_district_change_after_booking_is_not_delivered_to_the_old_district() -> None:
    """Same scenario carried through: the landing records the person at JFK for EDNY."""
    world = World()
    world.eligible("RWY-1", "EDNY")
    flight_id = world.schedule(("JFK",), capacity=1)
    world.assign("RWY-1", flight_id)
    world.note("RWY-1", surrender("CDCA"))
    assert world.case("RWY-1").booking is None  # taken off the flight to JFK
    world.assign("RWY-1", flight_id := world.schedule(("LAX",), capacity=1))
    world.custody("RWY-1", flight_id)
    world.now = NOW + timedelta(hours=1)
    world.depart(flight_id)
    world.now = NOW + timedelta(hours=6)
    landed = world.land(flight_id, "LAX")
    [person] = [e.payload for e in landed.case_events("RWY-1")]
    assert person["district"] == world.case("RWY-1").facts.district, person


def test_the_diversion_landing_time_is_not_an_earlier_landing_at_the_same_airport() -> None:
    """Route JFK -> LAX; landed at JFK (EDNY person off); diverted back to JFK. Before the
    aircraft lands there, the view already shows the diversion as landed, at a time before
    the diversion itself."""
    world = World()
    flight_id = _flown(world, ("JFK", "LAX"), {"RWY-1": "EDNY", "RWY-2": "CDCA"})
    world.now = NOW + timedelta(hours=5)
    world.land(flight_id, "JFK")
    world.now = NOW + timedelta(hours=6)
    world.apply(domain.divert(world.flights[flight_id], "JFK", "LAX closed", world.now,
                              world.now, world.routes))

    shown = flight_view(world.flights[flight_id])
    assert shown["status"] == "diverted"
    assert shown["diversion"]["landed_at"] is None, shown["diversion"]


def test_a_custody_handoff_dated_before_the_surrender_order_is_refused() -> None:
    """The surrender was ordered on TODAY-30 (helpers.surrender: deadline-60). A handoff
    typed in as TODAY-40 is accepted, and from then on every judicial act dated after
    TODAY-40 (e.g. a new amparo suspension) is treated as 'after the handover' and ignored."""
    world = World()
    world.eligible("RWY-1", "EDNY")
    ordered_on = world.case("RWY-1").facts.surrender_ordered_on
    flight_id = world.schedule(("JFK",), capacity=1)
    world.assign("RWY-1", flight_id)
    with pytest.raises(Refusal):
        world.custody("RWY-1", flight_id, at=NOW - timedelta(days=40))
    assert ordered_on is not None


def test_a_backdated_handoff_does_not_let_a_current_suspension_be_ignored() -> None:
    """Consequence of the above: handoff typed in as TODAY-40 (before the order of TODAY-30);
    judicial then grants an amparo suspension today. It is noted 'after_handover' and
    ignored, and the person departs with a suspension in force."""
    world = World()
    world.eligible("RWY-1", "EDNY")
    flight_id = world.schedule(("JFK",), capacity=1)
    world.assign("RWY-1", flight_id)
    with pytest.raises(Refusal) as refused:
        world.custody("RWY-1", flight_id, at=NOW - timedelta(days=40))
    assert refused.value.rule == "date_out_of_order"
    suspension = Input(case_id="RWY-1", fact=SuspensionGranted("AMP-1"),
                       source_event_type="judicial.amparo_suspension_granted.v1",
                       source_event_id=str(uuid.uuid4()), occurred_at=NOW)
    world.apply(domain.note_input(world.case("RWY-1"), world.flights[flight_id], suspension,
                                  NOW, world.routes))
    assert world.case("RWY-1").booking is None, "still on the manifest with AMP-1 granted today"
