"""Every transport rule on the pure domain: eligibility, capacity, routing, custody before
departure, cancellation, automatic removal, and the packing of a mass transfer."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from services.transport import domain, planning, read_model, rules
from services.transport.domain import FlightPlan
from services.transport.facts import (
    AmparoDenied,
    AmparoGranted,
    BasisChanged,
    ClearanceWithdrawn,
    Fact,
    Input,
    PersonKnown,
    PickupExpired,
    PlacedAtDisposal,
    Released,
    SuspensionGranted,
    TransferAuthorized,
)
from services.transport.planning import AircraftOffer, TransferRequest, Traveller, pack
from services.transport.routing import Airport, RouteTable
from services.transport.rules import Refusal
from services.transport.state import CaseState, CaseStatus, FlightStatus, apply_case
from services.transport.view import case_view
from shared.errors import InvalidRequest

from .helpers import DEPARTURE, NOW, TODAY, World, cleared, payload, ready_facts, surrender, types

# --- eligibility ------------------------------------------------------------------------


def refused(world: World, case_id: str, flight_id: str) -> Refusal:
    before = world.snapshot()
    with pytest.raises(Refusal) as caught:
        world.assign(case_id, flight_id)
    assert world.snapshot() == before
    return caught.value


def test_an_eligible_person_is_assigned_to_a_flight_stopping_at_their_airport() -> None:
    world = World()
    world.eligible("RWY-1", "SDNY")
    flight_id = world.schedule(("JFK",))

    outcome = world.assign("RWY-1", flight_id)

    assert payload(outcome, "RWY-1", "transport.manifest_assigned") == {
        "case_id": "RWY-1", "flight_id": flight_id, "destination_airport": "JFK",
        "destination_district": "SDNY", "assigned_at": "2025-08-11T09:00:00Z"}
    assert types(outcome, flight_id) == ["transport.flight_manifest_changed"]
    assert world.flights[flight_id].manifest == ("RWY-1",)
    assert world.case("RWY-1").booked_status() is CaseStatus.ON_MANIFEST


BROKEN: dict[str, list[Fact]] = {
    "surrender_not_ordered": [PersonKnown("A", "treaty", "EDNY"), cleared()],
    "death_penalty_clearance_missing": [PersonKnown("A", "treaty", "EDNY"), surrender()],
}
ONE_MORE: dict[str, Fact] = {
    "amparo_suspension_active": SuspensionGranted("AMP-1"),
    "pickup_window_expired": PickupExpired(TODAY),
    "released_from_custody": Released(TODAY, "amparo_granted"),
}


@pytest.mark.parametrize("rule", rules.ELIGIBILITY_RULES)
def test_each_eligibility_rule_alone_blocks_assignment_with_its_name(rule: str) -> None:
    world = World()
    if rule in BROKEN:
        world.note("RWY-1", *BROKEN[rule])
    else:
        world.eligible("RWY-1")
        world.note("RWY-1", ONE_MORE[rule])
    flight_id = world.schedule(("JFK",))

    refusal = refused(world, "RWY-1", flight_id)

    assert refusal.rules == (rule,)
    assert refusal.rule == rule and refusal.case_ids == ("RWY-1",)
    assert world.flights[flight_id].manifest == ()


@pytest.mark.parametrize(("fact", "words"), [
    (None, "deferred"),
    (AmparoGranted("AMP-9", TODAY), "amparo AMP-9 granted"),
])
def test_a_deferred_or_annulled_surrender_does_not_count(fact: Fact | None, words: str) -> None:
    world = World()
    if fact is None:
        world.note("RWY-1", PersonKnown("A", "treaty", "EDNY"), surrender(kind="deferred"),
                   cleared())
    else:
        world.eligible("RWY-1")
        world.note("RWY-1", fact)
    refusal = refused(world, "RWY-1", world.schedule(("JFK",)))
    assert refusal.rules == ("surrender_not_ordered",)
    assert words in refusal.message


def test_a_temporary_surrender_and_a_national_security_transfer_count() -> None:
    world = World()
    world.note("RWY-1", PersonKnown("A", "treaty", "EDNY"), surrender(kind="temporary"),
               cleared())
    world.eligible("RWY-2", "EDNY", national_security=True)
    flight_id = world.schedule(("JFK",))
    world.assign("RWY-1", flight_id)
    world.assign("RWY-2", flight_id)
    assert world.flights[flight_id].manifest == ("RWY-1", "RWY-2")


def test_every_failing_rule_is_named() -> None:
    world = World()
    world.note("RWY-1", PersonKnown("A", "treaty", "EDNY"), SuspensionGranted("AMP-1"),
               Released(TODAY, "extradition_refused"))
    refusal = refused(world, "RWY-1", world.schedule(("JFK",)))
    assert refusal.rules == ("surrender_not_ordered", "death_penalty_clearance_missing",
                             "amparo_suspension_active", "released_from_custody")
    assert "AMP-1" in refusal.message


def test_the_pickup_window_is_open_until_the_deadline_day_by_the_service_clock() -> None:
    world = World()
    world.eligible("RWY-1", deadline=TODAY + timedelta(days=1))
    world.eligible("RWY-2", deadline=TODAY)
    world.eligible("RWY-3", national_security=True)
    flight_id = world.schedule(("JFK",))

    world.assign("RWY-1", flight_id)
    assert refused(world, "RWY-2", flight_id).rules == ("pickup_window_expired",)
    world.now = NOW + timedelta(days=400)
    world.assign("RWY-3", flight_id)  # a national-security transfer has no pickup window


def test_a_lifted_suspension_makes_the_person_eligible_again() -> None:
    world = World()
    world.eligible("RWY-1")
    suspended = world.note("RWY-1", SuspensionGranted("AMP-1"), SuspensionGranted("AMP-2"))
    assert payload(suspended, "RWY-1", "transport.case_ineligible") == {
        "case_id": "RWY-1", "reasons": ["amparo_suspension_active"]}
    world.note("RWY-1", AmparoDenied("AMP-1", None))
    assert world.case("RWY-1").facts.suspensions == ("AMP-2",)

    lifted = world.note("RWY-1", AmparoDenied("AMP-2", ()))

    eligible = payload(lifted, "RWY-1", "transport.case_eligible")
    assert eligible["destination_airport"] == "JFK"
    assert eligible["pickup_deadline_on"] == (TODAY + timedelta(days=30)).isoformat()
    world.assign("RWY-1", world.schedule(("JFK",)))


def test_a_fact_that_changes_nothing_records_nothing() -> None:
    world = World()
    world.eligible("RWY-1")
    assert world.note("RWY-1", cleared(), surrender()).empty
    assert world.case("RWY-1").version == 6  # each of the 3 facts noted and announced


# --- flights: capacity, routing, custody, departure, landing --------------------------------

def test_capacity_holds() -> None:
    world = World()
    flight_id = world.schedule(("JFK",), capacity=2)
    for case_id in ("RWY-1", "RWY-2", "RWY-3"):
        world.eligible(case_id)
    world.assign("RWY-1", flight_id)
    world.assign("RWY-2", flight_id)
    assert refused(world, "RWY-3", flight_id).rules == ("flight_full",)


def test_each_person_is_routed_to_their_charging_district() -> None:
    world = World()
    world.eligible("RWY-1", "CDCA")
    world.eligible("RWY-2", "WDNC")  # not in the table, and no fallback configured
    flight_id = world.schedule(("JFK", "SAN"))
    refusal = refused(world, "RWY-1", flight_id)
    assert refusal.rules == ("destination_not_on_route",)
    assert "LAX" in refusal.message
    assert refused(world, "RWY-2", flight_id).rules == ("no_airport_for_district",)

    fallback = RouteTable(fallback=Airport("CLT", "Charlotte"))
    assert fallback.airport_for("WDNC") == Airport("CLT", "Charlotte")
    assert fallback.airport_for("CDCA") == Airport("LAX", "Los Angeles")


def test_landing_lets_off_those_routed_to_that_stop_with_their_district() -> None:
    world = World()
    for case_id, district in (("RWY-1", "EDNY"), ("RWY-2", "SDNY"), ("RWY-3", "CDCA")):
        world.eligible(case_id, district)
    flight_id = world.schedule(("JFK", "LAX"))
    for case_id in ("RWY-1", "RWY-2", "RWY-3"):
        world.assign(case_id, flight_id)
        world.custody(case_id, flight_id)
    world.now = NOW + timedelta(hours=2)
    world.depart(flight_id, NOW + timedelta(hours=1))

    landed = world.land(flight_id, "JFK", NOW + timedelta(hours=2))

    assert payload(landed, flight_id, "transport.flight_landed")["case_ids"] == \
        ["RWY-1", "RWY-2"]
    assert payload(landed, "RWY-2", "transport.person_landed") == {
        "case_id": "RWY-2", "flight_id": flight_id, "landed_at": "2025-08-11T11:00:00Z",
        "airport": "JFK", "district": "SDNY", "diverted": False}
    assert "RWY-3" not in landed.cases
    assert world.flights[flight_id].status is FlightStatus.DEPARTED
    with pytest.raises(Refusal) as again:
        world.land(flight_id, "JFK")
    assert again.value.rule == "stop_already_landed"
    world.land(flight_id, "LAX")
    assert world.flights[flight_id].status is FlightStatus.LANDED
    assert world.case("RWY-3").booked_status() is CaseStatus.LANDED


def test_nobody_is_on_two_manifests_and_closed_flights_take_nobody() -> None:
    world = World()
    world.eligible("RWY-1")
    world.eligible("RWY-2")
    first, second, closed = (world.schedule(("JFK",)) for _ in range(3))
    world.assign("RWY-1", first)
    assert refused(world, "RWY-1", second).rules == ("already_on_manifest",)
    assert refused(world, "RWY-1", first).rules == ("already_on_manifest",)
    world.cancel(closed)
    assert refused(world, "RWY-2", closed).rules == ("flight_not_open",)


def test_custody_is_transferred_before_departure_for_everyone_aboard() -> None:
    world = World()
    for case_id in ("RWY-1", "RWY-2", "RWY-3"):
        world.eligible(case_id)
    flight_id = world.schedule(("JFK",))
    world.assign("RWY-1", flight_id)
    world.assign("RWY-2", flight_id)
    with pytest.raises(Refusal) as stranger:
        world.custody("RWY-3", flight_id)
    assert stranger.value.rule == "not_on_manifest"
    with pytest.raises(Refusal) as future:
        world.custody("RWY-1", flight_id, NOW + timedelta(minutes=1))
    assert future.value.rule == "date_in_future"
    world.custody("RWY-1", flight_id)
    with pytest.raises(Refusal) as twice:
        world.custody("RWY-1", flight_id)
    assert twice.value.rule == "custody_already_transferred"

    before = world.snapshot()
    with pytest.raises(Refusal) as early:
        world.depart(flight_id)
    assert early.value.rules == ("custody_not_transferred",)
    assert early.value.case_ids == ("RWY-2",) and "RWY-2" in early.value.message
    assert world.snapshot() == before

    world.custody("RWY-2", flight_id, NOW - timedelta(minutes=5))
    with pytest.raises(Refusal) as order:
        world.depart(flight_id, NOW - timedelta(minutes=10))
    assert order.value.rule == "date_out_of_order"
    departed = world.depart(flight_id)
    assert payload(departed, flight_id, "transport.flight_departed")["case_ids"] == \
        ["RWY-1", "RWY-2"]
    assert types(departed, "RWY-1") == ["transport.person_departed"]
    world.assign("RWY-3", world.schedule(("JFK",)))
    with pytest.raises(Refusal) as late:
        world.custody("RWY-3", flight_id)
    assert late.value.rule == "flight_not_open"


def test_an_empty_flight_does_not_depart_and_a_grounded_one_does_not_land() -> None:
    world = World()
    flight_id = world.schedule(("JFK",))
    with pytest.raises(Refusal) as empty:
        world.depart(flight_id)
    assert empty.value.rule == "manifest_empty"
    with pytest.raises(Refusal) as grounded:
        world.land(flight_id, "JFK")
    assert grounded.value.rule == "flight_not_in_air"


def test_a_diverted_flight_lets_everyone_aboard_off_at_the_diversion_airport() -> None:
    world = World()
    world.eligible("RWY-1", "EDNY")
    world.eligible("RWY-2", "CDCA")
    flight_id = world.schedule(("JFK", "LAX"))
    for case_id in ("RWY-1", "RWY-2"):
        world.assign(case_id, flight_id)
        world.custody(case_id, flight_id)
    world.depart(flight_id)
    world.apply(domain.divert(world.flights[flight_id], "SAT", "weather", NOW, NOW,
                              world.routes))
    assert world.flights[flight_id].status is FlightStatus.DIVERTED
    with pytest.raises(Refusal) as elsewhere:
        world.land(flight_id, "JFK")
    assert elsewhere.value.rule == "airport_not_on_route"

    landed = world.land(flight_id, "SAT")

    assert payload(landed, "RWY-2", "transport.person_landed")["district"] == "CDCA"
    assert payload(landed, "RWY-2", "transport.person_landed")["diverted"] is True
    assert world.flights[flight_id].status is FlightStatus.LANDED


def test_a_stop_must_be_an_airport_some_district_arrives_at() -> None:
    with pytest.raises(InvalidRequest) as invalid:
        domain.schedule_flight("FLT-X", FlightPlan("XC-1", 5, "AIFA", DEPARTURE,
                                                   ("JFK", "ZZZ", "JFK")), RouteTable())
    assert [(p.loc, p.rule) for p in invalid.value.problems] == [
        (("stops", 1), "known_destination_airport"), (("stops", 2), "unique_stops")]


# --- cancellation and automatic removal -----------------------------------------------------

def open_flight_of_two() -> tuple[World, str]:
    """RWY-1 and RWY-2 on one open flight, RWY-1 already handed to the Marshals."""
    world = World()
    world.eligible("RWY-1")
    world.eligible("RWY-2")
    flight_id = world.schedule(("JFK",))
    world.assign("RWY-1", flight_id)
    world.assign("RWY-2", flight_id)
    world.custody("RWY-1", flight_id)
    return world, flight_id


def test_cancellation_returns_everyone_to_the_pool_for_another_flight() -> None:
    world, cancelled = open_flight_of_two()

    outcome = world.cancel(cancelled, "crew unavailable")

    assert payload(outcome, cancelled, "transport.flight_cancelled")["case_ids"] == \
        ["RWY-1", "RWY-2"]
    removed = payload(outcome, "RWY-1", "transport.removed_from_manifest")
    assert (removed["reason"], removed["detail"]) == ("flight_cancelled", "crew unavailable")
    # RWY-1 was handed over: the Marshals keep them (intake shows them in US custody).
    assert (removed["in_us_custody"],
            payload(outcome, "RWY-2", "transport.removed_from_manifest")["in_us_custody"]) \
        == (True, False)
    assert world.case("RWY-1").booking is None
    assert world.flights[cancelled].status is FlightStatus.CANCELLED
    replacement = world.schedule(("JFK",))
    world.assign("RWY-1", replacement)
    world.assign("RWY-2", replacement)
    assert world.flights[replacement].manifest == ("RWY-1", "RWY-2")


@pytest.mark.parametrize(("fact", "reason", "rule"), [
    (SuspensionGranted("AMP-3"), "amparo_suspension_active", "amparo_suspension_active"),
    (ClearanceWithdrawn("capital_charge_identified", ("c9",)), "clearance_withdrawn",
     "death_penalty_clearance_missing"),
    (Released(TODAY, "amparo_granted"), "released_from_custody", "released_from_custody"),
    (PickupExpired(TODAY), "pickup_window_expired", "pickup_window_expired"),
])
def test_a_rule_that_stops_holding_takes_the_person_off_an_open_flight(
    fact: Fact, reason: str, rule: str
) -> None:
    world, flight_id = open_flight_of_two()

    outcome = world.note("RWY-1", fact)

    assert types(outcome, "RWY-1")[1:] == ["transport.case_ineligible",
                                           "transport.removed_from_manifest"]
    removed = payload(outcome, "RWY-1", "transport.removed_from_manifest")
    assert (removed["reason"], removed["rules"], removed["flight_id"]) == \
        (reason, [rule], flight_id)
    changed = payload(outcome, flight_id, "transport.flight_manifest_changed")
    assert (changed["removed"], changed["manifest_size"]) == (["RWY-1"], 1)
    assert world.flights[flight_id].manifest == ("RWY-2",)
    assert world.case("RWY-1").booking is None
    world.custody("RWY-2", flight_id)  # the others still leave once all are in US custody
    world.depart(flight_id)


def test_after_departure_a_new_suspension_is_only_noted() -> None:
    world = World()
    world.eligible("RWY-1")
    flight_id = world.schedule(("JFK",))
    world.assign("RWY-1", flight_id)
    world.custody("RWY-1", flight_id)
    world.depart(flight_id)

    outcome = world.note("RWY-1", SuspensionGranted("AMP-LATE"))

    assert types(outcome, "RWY-1") == ["transport.amparo_noted", "transport.case_ineligible"]
    assert flight_id not in outcome.flights
    assert world.case("RWY-1").booked_status() is CaseStatus.IN_TRANSIT


def test_a_basis_change_overtakes_the_suspensions_and_the_authorized_transfer_may_fly() -> None:
    """Caro Quintero: a treaty case held by an amparo suspension is moved to the
    national-security basis and transferred. The suspensions judicial marks as overtaken no
    longer hold him; one granted after the change still would."""
    world = World()
    world.note("RWY-1", PersonKnown("P-1", "treaty", "EDNY"), cleared(),
               SuspensionGranted("AMP-1"), SuspensionGranted("AMP-2"))
    assert world.case("RWY-1").facts.suspensions == ("AMP-1", "AMP-2")

    outcome = world.note("RWY-1", BasisChanged("national_security", TODAY, ("AMP-1", "AMP-2")),
                         TransferAuthorized(NOW, "EDNY"))

    assert payload(outcome, "RWY-1", "transport.basis_change_noted")["active_suspensions"] == []
    facts = world.case("RWY-1").facts
    assert (facts.legal_basis, facts.suspensions) == ("national_security", ())
    assert rules.failing_ids(facts, TODAY) == ()
    flight_id = world.schedule(("JFK",))
    assert types(world.assign("RWY-1", flight_id), "RWY-1") == ["transport.manifest_assigned"]


def test_a_basis_change_leaves_a_suspension_it_did_not_overtake() -> None:
    world = World()
    world.note("RWY-1", PersonKnown("P-1", "treaty", "EDNY"), cleared(),
               SuspensionGranted("AMP-1"), SuspensionGranted("AMP-9"),
               BasisChanged("national_security", TODAY, ("AMP-1",)),
               TransferAuthorized(NOW, "EDNY"))
    assert rules.failing_ids(world.case("RWY-1").facts, TODAY) == ("amparo_suspension_active",)


# --- packing -----------------------------------------------------------------------------------

PEOPLE = {f"RWY-{n:02d}": district for n, district in enumerate(
    ["EDNY", "SDNY", "EDNY", "CDCA", "CDCA", "SDCA", "SDTX", "EDNY", "CDCA", "NDIL", "SDNY",
     "DDC", "EDVA", "SDFL"], start=1)}
AIRCRAFT = (AircraftOffer("XC-MGA", 8), AircraftOffer("XC-LJG", 6))


def plan(world: World, case_ids: list[str],
         aircraft: tuple[AircraftOffer, ...] = AIRCRAFT) -> planning.Plan:
    request = TransferRequest(tuple(case_ids), aircraft, "Mexico City (AIFA)", DEPARTURE)
    return planning.plan_transfer(world.cases, request, world.now, world.routes,
                                  world.new_flight_id)


def seating(result: planning.Plan) -> dict[str, tuple[str | None, str | None]]:
    return {r.case_id: (r.aircraft, r.destination_airport) for r in result.results}


def test_packing_puts_big_groups_on_direct_flights_and_combines_small_ones() -> None:
    people = [Traveller(f"c{n}", airport) for n, airport in enumerate(
        ["JFK"] * 5 + ["LAX"] * 3 + ["SAN", "IAH"])]
    packing = pack(people, [AircraftOffer("B", 4), AircraftOffer("A", 6)])
    assert [(load.aircraft.aircraft, load.stops, len(load.travellers))
            for load in packing.loads] == [("A", ("JFK", "IAH"), 6), ("B", ("LAX", "SAN"), 4)]
    split = pack([Traveller(f"c{n}", "JFK") for n in range(7)],
                 [AircraftOffer("A", 4), AircraftOffer("B", 4)])
    assert [len(load.travellers) for load in split.loads] == [4, 3]
    assert split.left_behind == ()


def test_a_plan_packs_every_eligible_person_to_their_airport_within_capacity() -> None:
    world = World()
    for case_id, district in PEOPLE.items():
        world.eligible(case_id, district)

    result = plan(world, list(PEOPLE))

    assert [r.outcome for r in result.results] == ["assigned"] * len(PEOPLE)
    for flight in result.flights:
        assert len(flight.seats) <= flight.capacity
        for seat in flight.seats:
            assert world.routes.airport_for(PEOPLE[seat.case_id]) is not None
            assert seat.airport == world.routes.by_district[PEOPLE[seat.case_id]].code
            assert flight.stop(seat.airport) is not None
    world.apply(result.outcome)
    assert {f.flight_id for f in result.flights} <= set(world.flights)
    for r in result.results:
        booking = world.case(r.case_id).booking
        assert booking is not None and booking.flight_id == r.flight_id
        assert booking.destination_district == PEOPLE[r.case_id]


def test_packing_is_deterministic_whatever_the_order_of_the_request() -> None:
    world = World()
    for case_id, district in PEOPLE.items():
        world.eligible(case_id, district)
    expected = seating(plan(world, list(PEOPLE)))
    shuffled = list(PEOPLE)
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        again = plan(world, shuffled, tuple(reversed(AIRCRAFT)))
        assert seating(again) == expected
        assert [r.case_id for r in again.results] == shuffled


def test_a_plan_reports_ineligible_people_with_their_rules_and_who_did_not_fit() -> None:
    world = World()
    world.eligible("RWY-1", "EDNY", deadline=TODAY + timedelta(days=3))
    world.eligible("RWY-2", "EDNY", deadline=TODAY + timedelta(days=40))
    world.eligible("RWY-3", "CDCA", deadline=TODAY + timedelta(days=2))
    world.eligible("RWY-4", "EDNY")
    world.note("RWY-4", SuspensionGranted("AMP-1"))
    world.eligible("RWY-5", "WDNC")
    booked = world.schedule(("JFK",))
    world.eligible("RWY-6")
    world.assign("RWY-6", booked)

    result = plan(world, ["RWY-1", "RWY-2", "RWY-3", "RWY-4", "RWY-5", "RWY-6", "RWY-7"],
                  (AircraftOffer("XC-1", 2),))

    outcomes = {r.case_id: (r.outcome, r.rules) for r in result.results}
    assert outcomes == {
        "RWY-1": ("assigned", ()), "RWY-3": ("assigned", ()),
        "RWY-2": ("no_capacity", ()),  # the least urgent pickup deadline waits
        "RWY-4": ("not_eligible", ("amparo_suspension_active",)),
        "RWY-5": ("not_eligible", ("no_airport_for_district",)),
        "RWY-6": ("not_eligible", ("already_on_manifest",)),
        "RWY-7": ("not_eligible", ("unknown_case",)),
    }
    [flight] = result.flights
    assert [s.airport for s in flight.stops] == ["JFK", "LAX"]
    assert set(result.outcome.cases) == {"RWY-1", "RWY-3"}


def test_a_plan_with_nobody_eligible_schedules_nothing() -> None:
    world = World()
    world.note("RWY-1", PersonKnown("A", "treaty", "EDNY"))
    result = plan(world, ["RWY-1"])
    assert result.flights == () and result.outcome.empty
    assert result.results[0].rules == ("surrender_not_ordered",
                                       "death_penalty_clearance_missing")


def test_urgency_orders_by_deadline_then_case_id() -> None:
    late = Traveller("a", "JFK", date(2025, 9, 30))
    early = Traveller("b", "JFK", date(2025, 9, 1))
    unbounded = Traveller("0", "JFK")
    packing = pack([late, unbounded, early], [AircraftOffer("X", 2)])
    assert [t.case_id for t in packing.loads[0].travellers] == ["b", "a"]
    assert packing.left_behind == (unbounded,)


def test_a_suspension_lifted_with_a_moved_pickup_deadline_keeps_the_person_eligible() -> None:
    """Judicial pauses the pickup window while a suspension is in force and moves the deadline
    when it is lifted; transport must take the moved deadline, not the original one."""
    world = World()
    world.note("RWY-1", *ready_facts(deadline=TODAY))  # the original deadline: today
    world.note("RWY-1", SuspensionGranted("AMP-1"))
    world.note("RWY-1", AmparoDenied("AMP-1", (), pickup_deadline_on=TODAY + timedelta(days=9)))
    case = world.case("RWY-1")
    assert case.facts.pickup_deadline_on == TODAY + timedelta(days=9)
    assert rules.failing_rules(case.facts, TODAY) == ()


def test_a_placement_recorded_after_the_order_reopens_the_pickup_window() -> None:
    """The window counted from the order ran out today; judicial then records that the person
    was placed at the US's disposal later, so the window runs 30 more days: eligible again."""
    world = World()
    world.eligible("RWY-1", deadline=TODAY)
    assert rules.failing_ids(world.case("RWY-1").facts, TODAY) == ("pickup_window_expired",)
    outcome = world.note("RWY-1", PlacedAtDisposal(TODAY - timedelta(days=30),
                                                   TODAY + timedelta(days=30)))
    assert types(outcome, "RWY-1")[0] == "transport.placement_noted"
    facts = world.case("RWY-1").facts
    assert facts.pickup_deadline_on == TODAY + timedelta(days=30)
    assert rules.failing_ids(facts, TODAY) == ()


def _in_us_custody_on_the_last_day() -> tuple[World, str, date]:
    """RWY-1 on a flight, handed to the US Marshals on 11 Aug, the pickup window's last day."""
    world = World()
    deadline = TODAY + timedelta(days=1)
    world.eligible("RWY-1", deadline=deadline)
    flight_id = world.schedule(("JFK",))
    world.assign("RWY-1", flight_id)
    world.custody("RWY-1", flight_id)
    return world, flight_id, deadline


def test_an_expiry_recorded_after_the_handover_does_not_unbook_a_person_in_us_custody() -> None:
    """Custody passed on the window's last day (11 Aug, Mexico City); judicial's expiry and
    release, dated 12 Aug, arrive after it: the pickup window had ended at the handover, so
    the person stays aboard and the flight leaves with them."""
    world, flight_id, deadline = _in_us_custody_on_the_last_day()
    world.now = DEPARTURE  # 12 Aug: the window has run out since midnight

    outcome = world.note("RWY-1", PickupExpired(deadline),
                         Released(deadline, "pickup_window_expired"))

    assert "transport.removed_from_manifest" not in types(outcome, "RWY-1")
    assert "transport.case_ineligible" not in types(outcome, "RWY-1")
    assert world.flights[flight_id].manifest == ("RWY-1",)
    assert world.case("RWY-1").booked_status() is CaseStatus.CUSTODY_TRANSFERRED
    world.depart(flight_id)
    assert world.case("RWY-1").booked_status() is CaseStatus.IN_TRANSIT


def test_the_view_of_a_person_in_us_custody_does_not_list_a_later_expiry() -> None:
    """The view an officer reads agrees with the domain: custody passed on 11 Aug, the window
    ran out on 12 Aug, so the pickup rule is not among the case's failing rules, and the read
    model stores no pickup clock to add it back as the days go by."""
    world, _, deadline = _in_us_custody_on_the_last_day()
    world.note("RWY-1", PickupExpired(deadline), Released(deadline, "pickup_window_expired"))

    case = world.case("RWY-1")
    later = deadline + timedelta(days=30)
    view = case_view(case, world.routes, later)
    assert view["eligibility"]["failing_rules"] == []
    assert view["status"] == CaseStatus.CUSTODY_TRANSFERRED.value
    assert read_model.clock_deadline(case) is None


def test_a_person_in_us_custody_keeps_it_when_their_flight_is_cancelled() -> None:
    """Handed over on 11 Aug, the window's last day; the expiry dated 12 Aug arrives; then
    the aircraft fails and the flight is cancelled. The US Marshals still hold the person:
    the case keeps the custody, is judged on its day (nothing fails), and goes on the next
    flight with it, which may leave without a second handover."""
    world, flight_id, deadline = _in_us_custody_on_the_last_day()
    world.now = DEPARTURE
    world.note("RWY-1", PickupExpired(deadline), Released(deadline, "pickup_window_expired"))
    world.cancel(flight_id)

    case = world.case("RWY-1")
    assert case.booking is None and case.custody_on == TODAY
    view = case_view(case, world.routes, deadline + timedelta(days=3))
    assert view["eligibility"]["failing_rules"] == []
    assert view["us_custody"]["us_marshal"] and view["current_flight"] is None
    assert read_model.clock_deadline(case) is None

    next_flight = world.schedule(("JFK",))
    world.assign("RWY-1", next_flight)
    assert refused_custody(world, "RWY-1", next_flight) == "custody_already_transferred"
    assert "transport.person_departed" in types(world.depart(next_flight), "RWY-1")


def refused_custody(world: World, case_id: str, flight_id: str) -> str:
    with pytest.raises(Refusal) as refusal:
        world.custody(case_id, flight_id)
    return refusal.value.rule


def test_a_suspension_dated_after_the_handover_neither_unbooks_nor_strands_the_person() -> None:
    """Handed over on 11 Aug; a suspension dated 12 Aug reaches transport before judicial has
    seen the handover. It is recorded as after the handover and changes no fact: the person
    stays aboard, and if the flight is then cancelled the next one may take them."""
    world, flight_id, _ = _in_us_custody_on_the_last_day()
    recorded = _noted_from(world, "judicial.amparo_suspension_granted.v1",
                           SuspensionGranted("AMP-9"), DEPARTURE)
    assert recorded == ["transport.amparo_noted"]
    assert world.case("RWY-1").facts.suspensions == ()
    assert world.flights[flight_id].manifest == ("RWY-1",)
    world.now = DEPARTURE
    world.cancel(flight_id)
    next_flight = world.schedule(("JFK",))
    world.assign("RWY-1", next_flight)
    assert world.case("RWY-1").booking is not None


def test_a_stream_with_two_handovers_keeps_the_first_as_mexicos() -> None:
    """Streams recorded before custody outlived the booking could hand a person over again on
    a later flight; the handover judicial recorded, and the rules read, is the first."""
    def handed(flight_id: str, at: datetime) -> list[tuple[str, dict[str, Any]]]:
        return [("transport.manifest_assigned", {
                    "case_id": "RWY-1", "flight_id": flight_id, "destination_airport": "JFK",
                    "destination_district": "EDNY", "assigned_at": at.isoformat()}),
                ("transport.custody_transferred", {
                    "case_id": "RWY-1", "flight_id": flight_id, "transferred_at": at.isoformat(),
                    "place": "AIFA", "mexican_officer": "FGR 1", "us_marshal": "USMS 2"})]
    removed = ("transport.removed_from_manifest", {
        "case_id": "RWY-1", "flight_id": "F-1", "reason": "flight_cancelled", "detail": "",
        "removed_at": NOW.isoformat()})
    case = CaseState()
    for event_type, body in [*handed("F-1", NOW), removed,
                             *handed("F-2", NOW + timedelta(days=2))]:
        case = apply_case(case, event_type, body)
    assert case.custody_on == TODAY
    assert case.booking is not None and case.booking.flight_id == "F-2"


def test_an_expiry_still_unbooks_a_person_not_yet_handed_over() -> None:
    world = World()
    deadline = TODAY + timedelta(days=1)
    world.eligible("RWY-1", deadline=deadline)
    flight_id = world.schedule(("JFK",))
    world.assign("RWY-1", flight_id)
    world.now = DEPARTURE

    outcome = world.note("RWY-1", PickupExpired(deadline))

    assert "transport.removed_from_manifest" in types(outcome, "RWY-1")
    assert world.flights[flight_id].manifest == ()


def test_a_grant_against_the_order_holds_the_person_until_reversed_on_appeal() -> None:
    """Judicial's appeal decision reaches transport as the ruling that now stands: a grant
    reversed frees the order (with the pickup deadline moved by the days it held), and the
    grant's own suspension ended with the grant."""
    world = World()
    world.eligible("RWY-1")
    world.note("RWY-1", SuspensionGranted("X-1"), AmparoGranted("X-1", TODAY))
    facts = world.case("RWY-1").facts
    assert rules.failing_ids(facts, TODAY) == ("surrender_not_ordered",)
    assert facts.suspensions == ()

    world.note("RWY-1", AmparoDenied("X-1", (), TODAY + timedelta(days=49)))
    facts = world.case("RWY-1").facts
    assert rules.failing_ids(facts, TODAY) == ()
    assert facts.pickup_deadline_on == TODAY + timedelta(days=49)


def test_each_standing_grant_holds_the_order_until_it_is_reversed() -> None:
    world = World()
    world.eligible("RWY-1")
    world.note("RWY-1", AmparoGranted("X-1", TODAY), AmparoGranted("X-2", TODAY))
    world.note("RWY-1", AmparoDenied("X-2", ()))  # X-2 reversed on appeal; X-1 stands
    facts = world.case("RWY-1").facts
    assert rules.failing_ids(facts, TODAY) == ("surrender_not_ordered",)
    assert rules.explain("surrender_not_ordered", facts).startswith("amparo X-1 granted")
    world.note("RWY-1", AmparoDenied("X-1", ()))
    assert rules.failing_ids(world.case("RWY-1").facts, TODAY) == ()


def _noted_from(world: World, source: str, fact: Fact, at: datetime) -> list[str]:
    case = world.case("RWY-1")
    assert case.booking is not None
    flight = world.flights[case.booking.flight_id]
    noted = Input(case_id="RWY-1", fact=fact, source_event_type=source,
                  source_event_id="e-1", occurred_at=at)
    return types(world.apply(domain.note_input(case, flight, noted, world.now, world.routes)),
                 "RWY-1")


@pytest.mark.parametrize(("source", "fact", "after", "removed"), [
    # Mexico's act dated after the handover's day: the surrender was complete, only noted.
    ("judicial.amparo_suspension_granted.v1", SuspensionGranted("AMP-9"), True, False),
    # ... dated on the handover's own day: it may have come first, so it still holds them.
    ("judicial.amparo_suspension_granted.v1", SuspensionGranted("AMP-9"), False, True),
    # A US act before departure: nobody leaves without clearance.
    ("assurance.death_penalty_clearance_withdrawn.v1",
     ClearanceWithdrawn("assurance_withdrawn", ("c1",)), True, True),
])
def test_after_the_handover_only_a_us_act_takes_the_person_off_the_flight(
    source: str, fact: Fact, after: bool, removed: bool
) -> None:
    world = World()
    world.eligible("RWY-1")
    flight_id = world.schedule(("JFK",))
    world.assign("RWY-1", flight_id)
    world.custody("RWY-1", flight_id)  # at NOW
    at = NOW + timedelta(days=1) if after else NOW + timedelta(hours=1)
    recorded = _noted_from(world, source, fact, at)
    assert ("transport.removed_from_manifest" in recorded) is removed
    assert (world.flights[flight_id].manifest == ("RWY-1",)) is not removed
