"""Random sequences of judicial/assurance facts, flights, assignments, custody, departures,
landings, cancellations, removals, plans and clock jumps against the pure domain.

Eligibility is checked against an independent model (`Truth`) that follows the product rules
directly from the facts fed in, never from the domain's state. After every step:
* nobody is on the manifest of a flight that has not departed unless every rule holds;
* no flight carries more people than its capacity;
* nobody is on two manifests, and case and flight agree on who is where;
* a refused command changed nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from services.transport import domain, facts, planning, rules
from services.transport.planning import AircraftOffer, TransferRequest
from services.transport.state import FlightStatus
from shared.errors import InvalidRequest, NotFound, RuleViolation
from shared.legaltime import legal_date

from .helpers import DEPARTURE, NOW, TODAY, World, handoff

CASES = {"C1": "EDNY", "C2": "SDNY", "C3": "CDCA", "C4": "SDCA", "C5": "WDNC"}
CASE_IDS = tuple(CASES)
AIRPORTS = ("JFK", "LAX", "SAN", "IAH")
COUNTING = frozenset({"full", "temporary"})


@dataclass
class Truth:
    """What the product rules say about one person, from the facts alone."""

    kind: str | None = None
    deadline: date | None = None
    annulled: set[str] = field(default_factory=set)  # the suits whose grant annuls the order
    national_security: bool = False
    suspensions: set[str] = field(default_factory=set)
    cleared: bool = False
    released: bool = False
    expired: bool = False
    custody_on: date | None = None  # the first handover to the US Marshals, once recorded

    def judged(self, day: date) -> date:
        """A person the US Marshals hold is judged on the handover's day, however late."""
        return day if self.custody_on is None else min(day, self.custody_on)

    def handed_over(self, on: date) -> None:
        self.custody_on = self.custody_on or on

    def learn(self, fact: facts.Fact) -> None:
        match fact:
            case facts.SurrenderOrdered():
                self.kind, self.deadline, self.annulled = fact.kind, fact.pickup_deadline_on, set()
            case facts.TransferAuthorized():
                self.national_security = True
            case facts.SuspensionGranted():
                self.suspensions.add(fact.amparo_id)
            case facts.AmparoDenied():  # at first instance, final, or a grant reversed
                self.suspensions.discard(fact.amparo_id)
                self.annulled.discard(fact.amparo_id)
            case facts.AmparoGranted():  # annulled instead of suspended
                self.suspensions.discard(fact.amparo_id)
                self.annulled.add(fact.amparo_id)
            case facts.ClearanceGranted() | facts.ClearanceWithdrawn():
                self.cleared = isinstance(fact, facts.ClearanceGranted)
            case facts.Released():
                self.released = True
            case facts.PickupExpired():
                self.expired = True
            case facts.PlacedAtDisposal():
                self.deadline = fact.pickup_deadline_on

    def failing(self, today: date | None) -> set[str]:
        ordered = self.kind in COUNTING and not self.annulled
        failing = set()
        if not ordered and not self.national_security:
            failing.add("surrender_not_ordered")
        if not self.cleared:
            failing.add("death_penalty_clearance_missing")
        if self.suspensions:
            failing.add("amparo_suspension_active")
        window_closed = self.expired or (ordered and today is not None
                                         and self.deadline is not None and today >= self.deadline)
        if window_closed and not self.national_security:
            failing.add("pickup_window_expired")
        if self.released:
            failing.add("released_from_custody")
        return failing


def fact_for(case_id: str, which: int, choice: int) -> facts.Fact:
    district = CASES[case_id]
    candidates: list[facts.Fact] = [
        facts.PersonKnown(f"Person {case_id}", "treaty", district),
        facts.SurrenderOrdered(("full", "temporary", "deferred")[choice % 3],
                               TODAY - timedelta(10), TODAY + timedelta(days=choice % 40 - 5),
                               district, False),
        facts.TransferAuthorized(NOW - timedelta(hours=choice), district),
        facts.SuspensionGranted(f"A{choice % 2}"),
        facts.AmparoDenied(f"A{choice % 2}", None),
        facts.AmparoGranted(f"A{choice % 2}", TODAY),
        facts.ClearanceGranted("assurances_accepted", ("c1",)),
        facts.ClearanceWithdrawn("capital_charge_identified", ("c1",)),
        facts.Released(TODAY, "extradition_refused"),
        facts.PickupExpired(TODAY),
        facts.PlacedAtDisposal(TODAY - timedelta(5), TODAY + timedelta(days=choice % 40 - 4)),
    ]
    # Make the facts that lead to eligibility (and to removal) the common ones.
    weights = (0, 1, 1, 1, 1, 2, 3, 4, 4, 5, 6, 6, 6, 6, 7, 8, 9, 10)
    return candidates[weights[which % len(weights)]]


Step = tuple[str, int, int, int]
KINDS = ("fact", "fact", "fact", "fact", "schedule", "schedule", "assign", "assign", "assign",
         "custody", "depart", "depart", "land", "land", "divert", "cancel", "remove", "advance",
         "plan")
steps = st.tuples(st.sampled_from(KINDS), st.integers(0, 63), st.integers(0, 63),
                  st.integers(0, 63))


@dataclass
class Run:
    world: World = field(default_factory=World)
    truth: dict[str, Truth] = field(default_factory=lambda: {c: Truth() for c in CASE_IDS})
    refused: int = 0

    def flight_id(self, kind: str, index: int, choice: int) -> str | None:
        """Mostly a flight the step can apply to (so sequences get deep), sometimes any."""
        flights = sorted(self.world.flights)
        relevant = [f for f in flights if self._relevant(kind, self.world.flights[f].status,
                                                          bool(self.world.flights[f].seats))]
        pool = relevant if relevant and choice % 4 else flights
        return pool[index % len(pool)] if pool else None

    def case_id(self, kind: str, index: int, choice: int) -> str:
        """For an assignment, mostly someone free to fly; otherwise anyone."""
        today = self.boarding_day()
        free = [c for c in CASE_IDS if kind == "assign" and self.world.case(c).booking is None
                and not self.truth[c].failing(self.truth[c].judged(today))]
        pool = free if free and choice % 4 else list(CASE_IDS)
        return pool[index % len(pool)]

    @staticmethod
    def _relevant(kind: str, status: FlightStatus, occupied: bool) -> bool:
        if kind in ("land", "divert"):
            return status in (FlightStatus.DEPARTED, FlightStatus.DIVERTED)
        if kind in ("depart", "custody", "remove"):
            return status is FlightStatus.SCHEDULED and occupied
        return status is FlightStatus.SCHEDULED

    def step(self, kind: str, a: int, b: int, c: int) -> None:
        before = self.world.snapshot()
        try:
            self._do(kind, a, b, c)
        except (RuleViolation, NotFound, InvalidRequest) as refusal:
            self.refused += 1
            assert self.world.snapshot() == before, f"{kind} was refused but changed state"
            self._check_refusal(kind, refusal)

    def boarding_day(self) -> date:
        """The legal date a place on a flight is judged on: today, or the (earlier) departure
        date of a flight entered after the fact."""
        return rules.judged_on(self.world.now, DEPARTURE)

    def _check_refusal(self, kind: str, refusal: Exception) -> None:
        if isinstance(refusal, rules.Refusal) and refusal.rule in rules.ELIGIBILITY_RULES:
            [case_id] = refusal.case_ids
            # A custody handoff is judged on its own legal date; a place on a flight on the
            # boarding day.
            truth = self.truth[case_id]
            day = self.world.now.date() if kind in ("custody", "depart") \
                else truth.judged(self.boarding_day())
            assert set(refusal.rules) == truth.failing(day)

    def _do(self, kind: str, a: int, b: int, c: int) -> None:
        world = self.world
        case_id = self.case_id(kind, a, c)
        flight_id = self.flight_id(kind, b, c)
        if kind == "fact":
            fact = fact_for(case_id, b, c)
            world.note(case_id, fact)
            self.truth[case_id].learn(fact)
            domain_failing = set(rules.failing_rules(world.case(case_id).facts, None))
            assert domain_failing == self.truth[case_id].failing(None)
        elif kind == "schedule":
            stops = tuple(p for bit, p in enumerate(AIRPORTS) if (a % 15 + 1) >> bit & 1)
            world.schedule(stops, capacity=1 + b % 3)
        elif kind == "advance":
            world.now += timedelta(days=a % 6)
        elif kind == "plan":
            self._plan(a, b, c)
        elif flight_id is not None:
            self._flight_step(kind, case_id, flight_id, c)

    def _flight_step(self, kind: str, case_id: str, flight_id: str, c: int) -> None:
        world = self.world
        booking = world.case(case_id).booking
        own_flight = booking.flight_id if booking is not None and c % 2 else flight_id
        if kind == "assign":
            world.assign(case_id, flight_id)
            truth = self.truth[case_id]
            assert not truth.failing(truth.judged(self.boarding_day()))
        elif kind == "custody":
            world.custody(case_id, own_flight)
            self.truth[case_id].handed_over(legal_date(world.now))
        elif kind == "depart":
            if c % 4:
                self._hand_over_everyone(flight_id)
            world.depart(flight_id)
        elif kind == "land":
            flight = world.flights[flight_id]
            places = [s.airport for s in flight.stops] + (
                [flight.diversion[0]] if flight.diversion else [])
            world.land(flight_id, places[c % len(places)])
        elif kind == "divert":
            world.apply(domain.divert(world.flights[flight_id], AIRPORTS[c % 4], "weather",
                                      world.now, world.now, world.routes))
        elif kind == "cancel":
            world.cancel(flight_id)
        elif kind == "remove":
            world.apply(domain.remove(world.case(case_id), world.flights[own_flight],
                                      "medical hold", world.now))

    def _hand_over_everyone(self, flight_id: str) -> None:
        for case_id in self.world.flights[flight_id].manifest:
            case = self.world.case(case_id)
            if case.booking is not None and case.custody is None:
                self.world.apply(domain.record_custody(
                    case, self.world.flights[flight_id], handoff(self.world.now),
                    self.world.now, self.world.routes))
                self.truth[case_id].handed_over(legal_date(self.world.now))

    def _plan(self, a: int, b: int, c: int) -> None:
        chosen = tuple(cid for bit, cid in enumerate(CASE_IDS) if a >> bit & 1) or CASE_IDS
        fleet = (AircraftOffer("P1", 1 + b % 3), AircraftOffer("P2", 1 + c % 2))
        request = TransferRequest(chosen, fleet, "Mexico City (AIFA)", DEPARTURE)
        plan = planning.plan_transfer(self.world.cases, request, self.world.now,
                                      self.world.routes, self.world.new_flight_id)
        self.world.apply(plan.outcome)
        for result in plan.results:
            truth = self.truth[result.case_id]
            if result.outcome == "assigned":
                assert not truth.failing(truth.judged(self.boarding_day()))
            if result.outcome == "not_eligible" and result.rules[0] in rules.ELIGIBILITY_RULES:
                assert set(result.rules) == truth.failing(truth.judged(self.boarding_day()))

    def check_invariants(self) -> None:
        world = self.world
        seats_of: dict[str, list[str]] = {}
        for flight in world.flights.values():
            assert len(flight.seats) <= flight.capacity, f"{flight.flight_id} over capacity"
            for seat in flight.aboard if flight.departed_at else flight.seats:
                seats_of.setdefault(seat.case_id, []).append(flight.flight_id)
                case = world.case(seat.case_id)
                assert case.booking is not None
                assert case.booking.flight_id == flight.flight_id
            if flight.status is FlightStatus.SCHEDULED:
                for case_id in flight.manifest:
                    assert not self.truth[case_id].failing(None), \
                        f"{case_id} is on open flight {flight.flight_id} but a rule fails"
        assert all(len(flights) == 1 for flights in seats_of.values()), seats_of
        for case_id, case in world.cases.items():
            if case.booking is not None and case.booking.landed is None:
                assert seats_of.get(case_id) == [case.booking.flight_id]


# Handed over on the pickup window's last day, the flight cancelled, re-booked the next day:
# the US Marshals still hold the person, judged on the handover's day.
REBOOKED_IN_CUSTODY = [("fact", 0, 0, 0), ("fact", 0, 1, 6), ("fact", 0, 10, 1),
                       ("schedule", 0, 0, 1), ("assign", 0, 0, 1), ("custody", 0, 0, 1),
                       ("cancel", 0, 0, 1), ("advance", 1, 0, 0), ("schedule", 0, 0, 1),
                       ("assign", 0, 1, 1)]


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(steps, min_size=1, max_size=60))
@example(REBOOKED_IN_CUSTODY)
def test_no_sequence_breaks_the_manifest_rules(sequence: list[Step]) -> None:
    run = Run()
    for step in sequence:
        run.step(*step)
        run.check_invariants()


@settings(max_examples=500, deadline=None)
@given(st.lists(steps, min_size=1, max_size=40), st.lists(st.integers(0, 63), min_size=5,
                                                          max_size=5))
def test_rules_are_checked_at_every_assignment_even_after_eligibility_swings(
    sequence: list[Step], order: list[int]
) -> None:
    """Make everyone eligible first, then let random events swing eligibility: assignments
    must keep following the model, and removals must keep manifests clean."""
    run = Run()
    for index in range(len(CASE_IDS)):
        for which in (0, 1, 11):  # known, surrender ordered (full: c % 3 == 0), cleared
            run.step("fact", index, which, 30 + order[index] % 2 * 3)
    run.step("schedule", 14, 2, 0)
    for step in sequence:
        run.step(*step)
        run.check_invariants()
