"""Review s14 of transport (F2-F5), each finding with the reviewer's failing test, adapted.

* F2: a handover at the border before the pickup deadline, typed in after judicial's expiry and
  release (which took the person off the flight), re-seats the person on that flight; judicial,
  told of it, voids the expiry and its release.
* F3: a person on an open manifest is judged again on the day their place was judged on, so an
  unrelated fact does not take someone off a flight entered after the fact.
* F4: a release overtaken by a later surrender order is not named once that order is annulled.
* F5: a flight is diverted only to an airport a US district arrives at: an aircraft turning
  back to Mexico is refused, never recorded as everyone landing in the US.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.judicial import events as judicial_events
from services.judicial.domain import decide_timer, note_handover, replay
from services.judicial.state import ClockKind
from services.transport import domain, rules
from services.transport.domain import FlightPlan
from services.transport.events import CASE_STREAM
from services.transport.facts import (
    AmparoGranted,
    ClearanceWithdrawn,
    PersonKnown,
    PickupExpired,
    Released,
    SurrenderOrdered,
)
from services.transport.inputs import readers
from services.transport.state import FlightStatus
from services.transport.view import case_view
from shared.audit.legal_times import check_stream
from shared.legaltime import DEFAULT_LEGAL_TIMEZONE
from shared.rules import Reads
from tests.support.service_app import off_kafka
from tests.support.stored import as_recorded
from tests.unit.judicial.support import at, granted_treaty_case
from tests.unit.judicial.support import surrender as order_surrender

from .helpers import DEPARTURE, ROUTES, TODAY, World, handoff, payload, ready_facts, types
from .test_expiry_voided_by_appeal import CASE as JUDICIAL_CASE
from .test_expiry_voided_by_appeal import Judicial, noted

CASE = "RWY-S14"
DEADLINE = date(2025, 9, 26)  # the first closed day of the window
HANDED_OVER_AT = datetime(2025, 9, 25, 17, tzinfo=UTC)  # 11:00 in Mexico City, 25 Sep


# --- F2: a handover before the deadline, typed in after judicial's expiry -----------------------

def _taken_off_by_the_expiry(capacity: int = 3) -> tuple[World, str]:
    """Booked on 23 Sep on a flight leaving 28 Sep; on 27 Sep judicial's expiry and release,
    dated 26 Sep, are noted and take the person off (nobody had typed the handover in)."""
    world = World(now=datetime(2025, 9, 23, 16, tzinfo=UTC))
    world.note(CASE, *ready_facts("EDNY", deadline=DEADLINE))
    flight_id = world.new_flight_id()
    world.apply(domain.schedule_flight(flight_id, FlightPlan(
        "XC-MGA", capacity, "Mexico City (AIFA)", datetime(2025, 9, 28, 15, tzinfo=UTC),
        ("JFK",)), ROUTES))
    world.assign(CASE, flight_id)
    world.now = datetime(2025, 9, 27, 16, tzinfo=UTC)
    world.note(CASE, PickupExpired(DEADLINE), Released(DEADLINE, "pickup_window_expired"))
    return world, flight_id


def test_f2_a_handover_before_the_deadline_entered_after_the_expiry_can_be_recorded() -> None:
    """The reviewer's case: custody answered not_on_manifest, re-booking (judged on today)
    pickup_window_expired and released_from_custody."""
    world, flight_id = _taken_off_by_the_expiry()
    assert world.case(CASE).booking is None  # taken off, as designed for someone not handed over
    with pytest.raises(rules.Refusal) as rebooked:
        world.assign(CASE, flight_id)
    assert rebooked.value.rules == (rules.PICKUP_WINDOW_EXPIRED.id, rules.RELEASED.id)

    try:
        world.custody(CASE, flight_id, at=HANDED_OVER_AT)
    except rules.Refusal as refusal:
        pytest.fail(f"the handover of 25 Sep cannot be recorded: {refusal.rules} "
                    f"({refusal.message})")
    case = world.case(CASE)
    assert case.custody is not None and case.booking is not None
    assert case.booking.flight_id == flight_id
    assert world.flights[flight_id].manifest == (CASE,)
    # In US custody the person is judged on the handover's day: the expiry does not reach them.
    assert rules.failing_ids(case.facts, case.judged_on(date(2025, 9, 27))) == ()


def test_f2_the_reseat_is_recorded_before_the_handover_on_the_case_and_the_flight() -> None:
    world, flight_id = _taken_off_by_the_expiry()
    case, flight = world.case(CASE), world.flights[flight_id]
    outcome = domain.record_custody(case, flight, handoff(HANDED_OVER_AT), world.now, ROUTES)
    assert types(outcome, CASE) == ["transport.manifest_assigned",
                                    "transport.custody_transferred", "transport.case_eligible"]
    assert types(outcome, flight_id) == ["transport.flight_manifest_changed"]
    assert payload(outcome, flight_id, "transport.flight_manifest_changed")["manifest_size"] == 1
    custody = payload(outcome, CASE, "transport.custody_transferred")
    assert custody["flight_id"] == flight_id
    # Re-seated as of the handover: every event of the command carries its legal time, so
    # `runway audit verify` finds the announcement dated with the act it was recorded with.
    assert [e.occurred_at for e in outcome.case_events(CASE)] == [HANDED_OVER_AT] * 3
    # Judged on the handover's day, as the view and the audit judge a person in US custody,
    # the expiry and release announced as holding them no longer do.
    assert payload(outcome, CASE, "transport.case_eligible")["eligible_since"] == \
        HANDED_OVER_AT.isoformat().replace("+00:00", "Z")


def test_f2_the_reseat_passes_the_audits_legal_time_check() -> None:
    """`runway audit verify` checks each event's legal time: the announcement recorded with
    the re-seated handover is dated with the act it was recorded with."""
    world, flight_id = _taken_off_by_the_expiry()
    outcome = domain.record_custody(world.case(CASE), world.flights[flight_id],
                                    handoff(HANDED_OVER_AT), world.now, ROUTES)
    recorded = as_recorded(outcome.case_events(CASE), stream_id=CASE, stream_type=CASE_STREAM,
                           at=world.now)
    mismatches, _ = check_stream(recorded, DEFAULT_LEGAL_TIMEZONE)
    assert [m.detail for m in mismatches] == []


def test_f2_transports_note_of_judicials_handover_void_passes_the_legal_time_check() -> None:
    """Judicial voids its expiry when the late handover reaches it (dated at the handover);
    transport's note of that void carries the same legal time (not the voided deadline)."""
    world, flight_id = _taken_off_by_the_expiry()
    world.custody(CASE, flight_id, at=HANDED_OVER_AT)
    void = judicial_events.PickupExpiryVoided(
        case_id=CASE, handed_over_at=HANDED_OVER_AT, handed_over_on=date(2025, 9, 25),
        deadline_on=DEADLINE, release_voided=True)
    consumed = off_kafka("judicial", void.EVENT_TYPE, void.model_dump(mode="json"), CASE,
                         at=HANDED_OVER_AT, version=40)
    outcome = world.apply(domain.note_input(world.case(CASE), world.flights[flight_id],
                                            readers.read(consumed), world.now, ROUTES))
    events = outcome.case_events(CASE)
    assert types(outcome, CASE)[:1] == ["transport.pickup_expiry_void_by_act_noted"]
    recorded = as_recorded(events, stream_id=CASE, stream_type=CASE_STREAM, at=world.now,
                           causation_id=str(consumed.event_id))
    mismatches, _ = check_stream(recorded, DEFAULT_LEGAL_TIMEZONE)
    assert [m.detail for m in mismatches] == []
    assert world.case(CASE).facts.released is None


def test_f2_a_handover_dated_on_the_expiry_day_is_still_refused() -> None:
    """The re-seat is judged on the handover's own legal date: on 26 Sep the window had
    closed and the person was released."""
    world, flight_id = _taken_off_by_the_expiry()
    with pytest.raises(rules.Refusal) as refused:
        world.custody(CASE, flight_id, at=datetime(2025, 9, 26, 17, tzinfo=UTC))
    assert refused.value.rules == (rules.PICKUP_WINDOW_EXPIRED.id, rules.RELEASED.id)
    assert world.case(CASE).booking is None


def test_f2_an_operators_removal_stands() -> None:
    """Taken off by an officer (not by a neighbour's fact): the handover does not put the
    person back; the officer books them again."""
    world = World()
    world.note(CASE, *ready_facts("EDNY"))
    flight_id = world.schedule(("JFK",))
    world.assign(CASE, flight_id)
    world.apply(domain.remove(world.case(CASE), world.flights[flight_id], "medical hold",
                              world.now))
    with pytest.raises(rules.Refusal) as refused:
        world.custody(CASE, flight_id)
    assert refused.value.rules == (rules.NOT_ON_MANIFEST.id,)


def test_f2_only_the_flight_the_person_was_taken_off_reseats_them() -> None:
    world, _taken_off = _taken_off_by_the_expiry()
    other = world.new_flight_id()
    world.apply(domain.schedule_flight(other, FlightPlan(
        "XC-PFM", 3, "Mexico City (AIFA)", datetime(2025, 9, 28, 15, tzinfo=UTC), ("JFK",)),
        ROUTES))
    with pytest.raises(rules.Refusal) as refused:
        world.custody(CASE, other, at=HANDED_OVER_AT)
    assert refused.value.rules == (rules.NOT_ON_MANIFEST.id,)


def test_f2_a_seat_given_away_meanwhile_refuses_the_reseat() -> None:
    world, flight_id = _taken_off_by_the_expiry(capacity=1)
    world.note("RWY-OTHER", *ready_facts("SDNY", deadline=date(2025, 10, 30)))
    world.assign("RWY-OTHER", flight_id)
    with pytest.raises(rules.Refusal) as refused:
        world.custody(CASE, flight_id, at=HANDED_OVER_AT)
    assert refused.value.rules == (rules.FLIGHT_FULL.id,)
    assert world.case(CASE).custody is None


def test_f2_judicial_told_of_the_reseated_handover_voids_its_expiry_and_release() -> None:
    """Judicial's real decisions and transport's real readers: the scheduler's expiry and
    release (dated at the due day) reach transport before the handover of the day before is
    typed in; transport records it; judicial, told of it, voids both (`_void_late_expiry`).
    Transport holds the person by nothing: in US custody they are judged on the handover's
    day, so the expiry and release it noted (dated after it) do not reach them."""
    judicial = Judicial(replay(granted_treaty_case(), list(decide_timer(
        granted_treaty_case(), ClockKind.AMPARO_WINDOW, at("2026-03-24")).events)))
    world = World(now=at("2026-06-05", 12))
    world.note(JUDICIAL_CASE, *ready_facts("EDNY")[2:])  # assurance's clearance
    noted(world, judicial.step(order_surrender("2026-04-10")))
    assert judicial.state.pickup is not None
    due = judicial.state.pickup.due_on  # 10 Jun 2026
    flight_id = world.new_flight_id()
    world.apply(domain.schedule_flight(flight_id, FlightPlan(
        "XC-MGA", 3, "Mexico City (AIFA)", at(due.isoformat(), 14) + timedelta(days=2),
        ("JFK",)), ROUTES))
    world.assign(JUDICIAL_CASE, flight_id)

    world.now = at((due + timedelta(days=1)).isoformat(), 12)
    noted(world, judicial.fire(ClockKind.PICKUP_WINDOW, at(due.isoformat(), 1)))
    assert world.case(JUDICIAL_CASE).booking is None

    handed_over_at = at((due - timedelta(days=1)).isoformat(), 11)
    recorded = world.custody(JUDICIAL_CASE, flight_id, at=handed_over_at)
    transfer = payload(recorded, JUDICIAL_CASE, "transport.custody_transferred")
    voiding = note_handover(judicial.state, judicial_events.HandedOver(
        case_id=JUDICIAL_CASE, handed_over_at=handed_over_at,
        handed_over_on=due - timedelta(days=1), flight_id=str(transfer["flight_id"]),
        place=str(transfer["place"]), custody_transfer_event_id="e-custody"))
    assert [e.event_type for e in voiding] == ["judicial.handed_over",
                                               "judicial.pickup_expiry_voided"]
    noted(world, voiding)

    case = world.case(JUDICIAL_CASE)
    assert case.booking is not None and case.custody is not None
    assert rules.failing_ids(case.facts, case.judged_on(due + timedelta(days=1))) == ()
    assert case.announced is not None and case.announced.reasons == ()
    shown = case_view(case, ROUTES, due + timedelta(days=1))
    assert shown["eligibility"]["failing_rules"] == []
    assert shown["status"] == "custody_transferred"


# --- F3: a back-filled booking re-judged on another day than it was booked on -----------------

def _back_filled() -> tuple[World, str]:
    """A transfer typed in on 3 Dec 2026; its flight left on 12 Aug 2025, inside the window."""
    world = World(now=datetime(2026, 12, 3, 15, tzinfo=UTC))
    world.note(CASE, *ready_facts("EDNY", deadline=DEADLINE))
    flight_id = world.schedule(("JFK",))  # departs 12 Aug 2025
    world.assign(CASE, flight_id)
    assert world.case(CASE).booking is not None
    return world, flight_id


def test_f3_a_back_filled_booking_taken_off_is_put_back_by_its_handover() -> None:
    """Intake's v2 request (the person's id) arrives before the custody handoff is typed in.
    Judged today, the window has long closed, and the person comes off: until the departure
    is recorded, a flight entered after the fact cannot be told from one delayed on the
    ground. The handover, dated on the day it flew and judged on that date, puts them back."""
    world, flight_id = _back_filled()
    world.note(CASE, PersonKnown("P-77", "treaty", "EDNY"))
    case = world.case(CASE)
    assert [(r.flight_id, r.reason) for r in case.removals] == [
        (flight_id, rules.PICKUP_WINDOW_EXPIRED.id)]
    world.custody(CASE, flight_id, at=DEPARTURE - timedelta(hours=2))
    case = world.case(CASE)
    assert case.custody is not None
    assert case.booking is not None and case.booking.flight_id == flight_id


def test_f3_a_booking_made_after_a_delayed_flights_departure_time_loses_a_released_one(
) -> None:
    """Scheduled 12 Aug 14:00 UTC and delayed; booked at 16:00 UTC; judicial's expiry and
    release of 13 Aug arrive while it is still on the ground: the person comes off, and the
    flight may leave without them (second review of the change, T1)."""
    world = World()
    world.note("RWY-LATE", *ready_facts("EDNY", deadline=date(2025, 8, 13)))
    flight_id = world.schedule(("JFK",))  # scheduled 12 Aug 2025 14:00 UTC
    world.now = datetime(2025, 8, 12, 16, tzinfo=UTC)
    world.assign("RWY-LATE", flight_id)
    world.now = datetime(2025, 8, 13, 7, tzinfo=UTC)
    world.note("RWY-LATE", PickupExpired(date(2025, 8, 13)),
               Released(date(2025, 8, 13), "pickup_window_expired"))
    assert world.case("RWY-LATE").booking is None


def test_f3_a_back_filled_booking_still_comes_off_for_a_withdrawn_clearance() -> None:
    """Judged on the departure day, a rule that reads no time still takes the person off."""
    world, flight_id = _back_filled()
    world.note(CASE, ClearanceWithdrawn("capital_charge_identified", ("c9",)))
    case = world.case(CASE)
    assert case.booking is None
    assert [(r.flight_id, r.reason) for r in case.removals] == [(flight_id, "clearance_withdrawn")]


def test_f3_a_live_booking_is_still_taken_off_when_the_window_closes_before_departure() -> None:
    """A flight leaving after today is judged on today, as its booking was."""
    world = World()
    world.note(CASE, *ready_facts("EDNY", deadline=TODAY + timedelta(days=1)))
    flight_id = world.new_flight_id()
    world.apply(domain.schedule_flight(flight_id, FlightPlan(
        "XC-MGA", 3, "Mexico City (AIFA)", world.now + timedelta(days=5), ("JFK",)), ROUTES))
    world.assign(CASE, flight_id)
    world.now += timedelta(days=2)
    world.note(CASE, PersonKnown("P-77", "treaty", "EDNY"))
    case = world.case(CASE)
    assert case.booking is None
    assert [r.reason for r in case.removals] == [rules.PICKUP_WINDOW_EXPIRED.id]


def test_f3_a_flight_delayed_past_its_departure_still_loses_a_released_person() -> None:
    """Booked on 11 Aug 2025, before the flight's departure on 12 Aug; the window's first
    closed day is 13 Aug. The flight is still on the ground on 13 Aug when judicial's expiry
    and release arrive: the booking was judged on its own day, not back-filled, so the person
    is judged today and comes off (review of the change, F4)."""
    world = World()
    world.note("RWY-LATE", *ready_facts("EDNY", deadline=date(2025, 8, 13)))
    flight_id = world.schedule(("JFK",))  # scheduled 12 Aug 2025 14:00 UTC
    world.assign("RWY-LATE", flight_id)
    world.now = datetime(2025, 8, 13, 7, tzinfo=UTC)  # 01:00 on 13 Aug in Mexico City
    world.note("RWY-LATE", PickupExpired(date(2025, 8, 13)),
               Released(date(2025, 8, 13), "pickup_window_expired"))
    case = world.case("RWY-LATE")
    assert case.booking is None
    assert [r.reason for r in case.removals] == [rules.PICKUP_WINDOW_EXPIRED.id]


# --- F4: a release overtaken by a later order, once that order is annulled ---------------------

def test_f4_a_release_before_a_later_order_is_not_named_once_that_order_is_annulled() -> None:
    """Released on 1 Mar 2025 (provisional detention lapsed, the case kept open); a surrender
    order of 12 Jul 2025 holds the person again. An amparo granted against it annuls the order
    (the SRE must decide again): the person is still detained for the extradition, so only
    surrender_not_ordered is named, not the March release."""
    world = World()
    person, order, clearance = ready_facts("EDNY")
    assert isinstance(order, SurrenderOrdered)
    world.note(CASE, person, clearance, Released(date(2025, 3, 1), "provisional_detention_lapsed"),
               order)
    assert rules.failing_ids(world.case(CASE).facts, world.now.date()) == ()
    world.note(CASE, AmparoGranted("A-1", date(2025, 8, 10)))

    assert rules.failing_ids(world.case(CASE).facts, world.now.date()) == (
        rules.SURRENDER_NOT_ORDERED.id,)
    announced = world.case(CASE).announced
    assert announced is not None and announced.reasons == (rules.SURRENDER_NOT_ORDERED.id,)


def test_f4_a_release_after_the_order_is_still_named() -> None:
    world = World()
    person, order, clearance = ready_facts("EDNY")
    assert isinstance(order, SurrenderOrdered)
    world.note(CASE, person, clearance, order, AmparoGranted("A-1", TODAY),
               Released(TODAY, "amparo_granted"))
    assert rules.failing_ids(world.case(CASE).facts, TODAY) == (
        rules.SURRENDER_NOT_ORDERED.id, rules.RELEASED.id)


# --- F5: a diversion back to Mexico ------------------------------------------------------------

def _in_the_air() -> tuple[World, str]:
    world = World()
    world.note(CASE, *ready_facts("EDNY"))
    flight_id = world.schedule(("JFK",))
    world.assign(CASE, flight_id)
    world.custody(CASE, flight_id)
    world.depart(flight_id, at=world.now)
    world.now += timedelta(hours=2)
    return world, flight_id


def test_f5_a_flight_that_returns_to_mexico_does_not_deliver_the_person_to_the_us() -> None:
    """An aircraft from AIFA to JFK turns back and lands at Mexico City (MEX): the diversion
    is refused, so nobody is recorded as on US soil there (person_landed opens court intake,
    and every later booking would be refused already_transported)."""
    world, flight_id = _in_the_air()
    before = world.snapshot()
    with pytest.raises(rules.Refusal) as refused:
        world.apply(domain.divert(world.flights[flight_id], "MEX", "hydraulic failure",
                                  world.now, world.now, world.routes))
    assert refused.value.rules == (rules.DIVERSION_TO_MEXICO.id,)
    assert "MEX" in refused.value.message
    assert world.snapshot() == before
    assert world.flights[flight_id].status is FlightStatus.DEPARTED
    assert not world.case(CASE).transported


@pytest.mark.parametrize("airport", ["IAH", "ELP"])
def test_f5_a_diversion_to_a_us_airport_lands_everyone_there(airport: str) -> None:
    """AIFA to JFK, diverted for weather to Houston (a district arrives there) or to El Paso
    (none in the table does, but it is in the US): everyone aboard lands there, diverted."""
    world, flight_id = _in_the_air()
    world.apply(domain.divert(world.flights[flight_id], airport, "weather at JFK", world.now,
                              world.now, world.routes))
    world.now += timedelta(hours=1)
    world.land(flight_id, airport)
    case = world.case(CASE)
    assert case.booking is not None and case.booking.landed is not None
    assert case.booking.landed[0] == airport and case.booking.landed[2] is True
    assert case.transported


def test_f5_the_rule_is_in_transports_book_and_reads_no_time() -> None:
    rule = rules.RULES[rules.DIVERSION_TO_MEXICO.id]
    assert rule is rules.DIVERSION_TO_MEXICO
    assert rule.reads is Reads.NONE and "Fed. R. Crim. P. 5" in rule.source
