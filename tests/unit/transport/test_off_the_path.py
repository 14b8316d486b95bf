"""Transport off the common path (review of 5 Dec 2026): a plan ranks people by a pickup
deadline they still face, a person held by a dead letter is among those who may not fly, a
window a suspension paused is not shown as closed, a late request does not undo a basis change,
and a flight is scheduled when it was entered. Pure unit tests, and for the case list the route
itself on an in-process SQLite database."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from services.judicial import commands as cmd
from services.judicial.domain import decide
from services.judicial.state import ClockKind
from services.transport import api, domain, read_model, rules
from services.transport.domain import FlightPlan
from services.transport.facts import (
    AmparoDenied,
    BasisChanged,
    ClearanceGranted,
    Fact,
    Input,
    PersonKnown,
    SuspensionGranted,
)
from services.transport.inputs import readers
from services.transport.planning import AircraftOffer, TransferRequest, plan_transfer
from services.transport.view import case_view
from shared.deadletters.schema import dead_letters
from shared.deadletters.schema import metadata as dead_letter_tables
from shared.eventstore import NewEvent
from shared.legaltime import start_of_legal_day
from shared.pii.names import metadata as name_tables
from tests.support.service_app import off_kafka
from tests.unit.judicial.support import POLICY as JUDICIAL_POLICY
from tests.unit.judicial.support import amparo, d, fire, granted_treaty_case, run, suspension
from tests.unit.judicial.support import at as jat

from .helpers import DEPARTURE, NOW, ROUTES, TODAY, World

# --- a plan ranks people by the pickup deadline they still face ---------------------------

def test_a_plan_does_not_give_the_last_seat_to_a_person_already_in_us_custody_by_a_dead_deadline(
        ) -> None:
    """README "Planning": urgency is the pickup deadline. Domain brief, corrections, "Pickup
    window": the window ends when the handover is recorded, never after; read_model.
    clock_deadline already says so (no deadline once the US Marshals hold the person). A stays
    in US custody whatever happens; tomorrow is the last day B may be collected, after which B
    must be released and may not be detained again for that offence (LEI art. 35)."""
    world = World()
    # A: handed over, then their flight was cancelled; their old deadline (tomorrow) is moot.
    world.eligible("A", deadline=TODAY + timedelta(days=1))
    first = world.schedule(("JFK",))
    world.assign("A", first)
    world.custody("A", first)
    world.cancel(first)
    assert world.case("A").custody is not None and world.case("A").booking is None
    assert read_model.clock_deadline(world.case("A")) is None  # transport: no window any more
    # B: not handed over yet; the window's last day is tomorrow (first closed day: D+2).
    world.eligible("B", deadline=TODAY + timedelta(days=2))

    plan = plan_transfer(world.cases, TransferRequest(
        ("A", "B"), (AircraftOffer("XC-ONE", 1),), "Mexico City (AIFA)",
        NOW + timedelta(hours=6)), NOW, ROUTES, world.new_flight_id)

    outcome = {r.case_id: r.outcome for r in plan.results}
    assert outcome["B"] == "assigned", outcome


# --- no handover dated while a suspension since lifted held the surrender -------------------

def _note_at(world: World, case_id: str, fact: Fact, at: datetime) -> None:
    """Note one of judicial's facts dated (in law) at `at`, as the consumer does."""
    item = Input(case_id=case_id, fact=fact, source_event_type="judicial.test.v1",
                 source_event_id=str(uuid.uuid4()), occurred_at=at)
    world.apply(domain.note_input(world.case(case_id), None, item, world.now, world.routes))


def test_a_custody_handoff_dated_inside_a_since_lifted_suspension_is_refused() -> None:
    """A transfer entered after the fact: the suspension held from D-10 to D-1 (rule 4: no
    surrender while a suspension is active), so a handoff dated D-5 was a surrender during it
    and is refused on its own legal date; one dated today is not."""
    world = World()
    world.eligible("C")  # surrender ordered D-30, cleared
    _note_at(world, "C", SuspensionGranted("AMP-1"),
             start_of_legal_day(TODAY - timedelta(days=10)))
    _note_at(world, "C", AmparoDenied("AMP-1", ()), start_of_legal_day(TODAY - timedelta(days=1)))
    flight = world.schedule(("JFK",))
    world.assign("C", flight)
    with pytest.raises(rules.Refusal) as refused:
        world.custody("C", flight, at=NOW - timedelta(days=5))
    assert refused.value.rules == ("amparo_suspension_active",)
    assert "AMP-1" in str(refused.value)  # the suspension that held that day
    world.custody("C", flight, at=NOW)


# --- a held person is among those who may not fly ------------------------------------------

async def test_a_held_person_is_listed_among_those_who_may_not_fly() -> None:
    """docs/operations.md "Transport fails closed": the case view, "GET /cases too", lists
    unprocessed_safety_fact among the failing rules; docs/clerks-and-officers.md shows
    `GET /cases?eligible=false` as "who may not fly, and why" (HELD was in neither list)."""
    engine = create_async_engine("sqlite+aiosqlite:///:memory:")
    world = World()
    world.eligible("HELD")
    world.eligible("FREE")
    world.note("BLOCKED", PersonKnown("P-3", "treaty", "EDNY"))
    async with engine.begin() as conn:
        for tables in (read_model.metadata, dead_letter_tables, name_tables):
            await conn.run_sync(tables.create_all)
        for case_id in ("HELD", "FREE", "BLOCKED"):
            await read_model.project_case(conn, world.case(case_id), [], ROUTES, NOW)
        # A suspension transport could not apply waits as a dead letter: HELD is held.
        await conn.execute(dead_letters.insert().values(
            consumer="transport.judicial-events", origin_topic="runway.judicial.events",
            origin_partition=0, origin_offset=7, ce_type="judicial.amparo_suspension_granted.v1",
            case_id="HELD", message_headers=[], error_type="ValueError", error_message="boom",
            attempts=3, failed_at=NOW, status="waiting"))
    runtime = SimpleNamespace(database=SimpleNamespace(connect=engine.connect),
                              clock=SimpleNamespace(now=lambda: NOW))
    [router] = api.routes(None)  # type: ignore[arg-type]
    endpoints: dict[tuple[str, str], Any] = {
        (r.path, m): r.endpoint for r in router.routes for m in r.methods}  # type: ignore[attr-defined]
    list_cases = endpoints[("/cases", "GET")]
    show_case = endpoints[("/cases/{case_id}", "GET")]
    found: dict[str, list[str]] = {}
    for label, eligible in (("all", None), ("eligible", True), ("not_eligible", False)):
        answer = await list_cases(rt=runtime, eligible=eligible, status=None, limit=100,
                                  offset=0)
        found[label] = [c["case_id"] for c in answer["cases"]]
    shown = await show_case(case_id="HELD", rt=runtime)
    found["held_view_rules"] = shown["eligibility"]["failing_rules"]
    await engine.dispose()
    assert found["held_view_rules"] == ["unprocessed_safety_fact"]
    assert "HELD" in found["all"]
    assert "HELD" not in found["eligible"]
    assert "HELD" in found["not_eligible"], found


# --- a pickup window paused by a suspension is not shown as closed ---------------------------

def test_a_pickup_window_paused_by_a_suspension_is_not_shown_as_expired() -> None:
    """Judicial (events.AmparoSuspensionGranted.pickup_paused): a suspension against the
    order's execution freezes the pickup window until the last suspension is lifted, which
    then names the moved deadline. Transport keeps the old deadline, so once that day passes
    the case (view, announcement, audit) says 'the pickup window closed ... the US may no
    longer collect the person', which judicial never said and which is false."""
    world = World()
    world.eligible("D", deadline=TODAY + timedelta(days=2))
    world.note("D", SuspensionGranted("AMP-2", pickup_paused=True))  # judicial paused it
    later = TODAY + timedelta(days=5)  # the old deadline has passed, the suspension holds
    case = world.case("D")
    stored = case_view(case, world.routes, later)
    row = SimpleNamespace(view=stored, **read_model.eligibility_columns(case, stored))
    shown = read_model._live(row, later)
    assert shown["eligibility"]["failing_rules"] == ["amparo_suspension_active"], \
        shown["eligibility"]


# --- a late intake request does not undo a basis change ------------------------------------

def test_a_late_intake_request_does_not_undo_the_basis_change() -> None:
    """Consumers' docstring: topics are not ordered with each other, any fact may come first.
    Brief, corrections: a treaty case may be overtaken by a national-security transfer, and
    refusal texts on that basis name the DOJ commitment, not treaty art. 8. Intake's request
    (basis treaty) read after judicial's basis_changed must not put the case back on treaty."""
    world = World()
    world.note("F", PersonKnown("P-6", "treaty", "EDNY"),                  # judicial.case_opened
               BasisChanged("national_security", TODAY, ()))             # judicial.basis_changed
    world.note("F", PersonKnown("P-6", "treaty", "EDNY"))                  # intake, read late
    facts = world.case("F").facts
    assert facts.legal_basis == "national_security", facts.legal_basis


# --- flight_scheduled is dated when it was entered, not at the planned departure -----------

def test_flight_scheduled_is_dated_when_it_was_entered() -> None:
    """events.LEGAL_TIMES / docs/contracts.md: transport.flight_scheduled's legal time is
    "when it was entered (no document of its own)", as intake's request (occurred_at None ->
    recorded_at). Dated at scheduled_departure, a future instant, a flight stood in legal
    order 'scheduled' after its own manifest, custody and even departure."""
    outcome = domain.schedule_flight("FLT-X", FlightPlan(
        "XC-MGA", 3, "Mexico City (AIFA)", DEPARTURE, ("JFK",)), ROUTES)
    [scheduled] = outcome.flight_events("FLT-X")
    assert scheduled.occurred_at is None or scheduled.occurred_at <= NOW, \
        scheduled.occurred_at


# --- a placement moved back before the hold began ends transport's pause too ---------------

def test_a_placement_that_closes_the_window_before_the_hold_ends_transports_pause() -> None:
    """Judicial: order 10 Apr placing the person at the US's disposal on 20 Apr (deadline 20
    Jun); a suspension granted 15 Jun against the order's execution pauses the window. The
    clerk corrects the placement to 10 Apr: counted from then the window closed on 10 Jun,
    before the hold began, so judicial un-pauses it (its clock is due 10 Jun). Transport reads
    the same events through its readers: the window is held only 'while a suspension judicial
    says paused the window holds' (README), so on 16 Jun it has closed."""
    now = jat("2026-06-16", 12)
    closed = fire(granted_treaty_case(), ClockKind.AMPARO_WINDOW, jat("2026-03-24"))
    order = cmd.OrderSurrender.model_validate(
        {"ordered_on": "2026-04-10", "placed_at_disposal_on": "2026-04-20"})
    placement = cmd.RecordPlacementAtDisposal(placed_on=d("2026-04-10"),
                                              correction_reason="placed the day it was ordered")
    judicial: list[NewEvent] = []
    state = closed
    for command in (order, amparo("X-1", "2026-06-12"), suspension("X-1", "2026-06-15"),
                    placement):
        made = decide(state, command, now, JUDICIAL_POLICY)
        judicial += made
        state = run(state, command, now=now)
    assert state.pickup_paused_on is None and state.pickup is not None
    assert state.pickup.due_on == d("2026-06-10")

    world = World(now=now)
    world.note("RWY-J1", PersonKnown("P-1", "treaty", "EDNY"),
               ClearanceGranted(basis="assurances_accepted", charge_ids=("c1",)))
    for new in judicial:  # those transport subscribes to, as its consumer reads them
        consumed = off_kafka("judicial", new.event_type, new.payload, "RWY-J1",
                             at=new.occurred_at or now)
        if consumed.ce_type not in readers.types("judicial"):
            continue
        world.apply(domain.note_input(world.case("RWY-J1"), None, readers.read(consumed), now,
                                      world.routes))
    case = world.case("RWY-J1")
    assert case.facts.pickup_deadline_on == d("2026-06-10")
    assert "pickup_window_expired" in rules.failing_ids(case.facts, d("2026-06-16"))
    assert read_model.clock_deadline(case) == d("2026-06-10")
