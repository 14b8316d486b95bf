"""Planning a mass transfer: the eligible people of a batch, packed onto the given aircraft.

Packing (`pack`), deterministic because every choice is made over sorted lists:

1. Who flies. Travellers are ordered by urgency: the pickup deadline of their surrender order
   (earliest first; national-security transfers, which have none, last), then case id. The
   first N fly, N being the aircraft's total capacity; the rest are "no_capacity". Since an
   aircraft may serve several stops, any N people fit, so nobody else is left behind.
2. Groups. Those who fly are grouped by destination airport; groups are placed largest first
   (ties by airport code), each group in urgency order.
3. Aircraft are considered largest first (ties by name). Each group goes, whole, to
   a. the smallest unused aircraft it fits in: a direct flight; else
   b. the used aircraft with the fewest free seats it fits in: one more stop; else
   c. split: the aircraft with the most free seats is filled with the group's most urgent
      travellers, and the rest of the group is placed again from (a).
   So big groups fly direct while aircraft last, and small groups are combined onto the
   aircraft with room, which is when several stops pack better than one flight per city.
4. An aircraft that received nobody is not scheduled. Each flight's stops are in the order its
   groups were placed (largest first).

`plan_transfer` then schedules each loaded aircraft and assigns each traveller through the
same decisions as the HTTP commands (`domain.schedule_flight`, `domain.assign`), folding
each outcome into the states before the next, so a plan can never break a rule a single
assignment would keep.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from . import domain, rules
from .domain import FlightPlan, Outcome
from .routing import RouteTable
from .rules import Refusal
from .state import CaseState, FlightState

NO_DEADLINE = date.max


@dataclass(frozen=True)
class AircraftOffer:
    aircraft: str
    capacity: int


@dataclass(frozen=True)
class Traveller:
    case_id: str
    airport: str
    deadline: date = NO_DEADLINE  # the pickup deadline: the earlier, the more urgent

    @property
    def urgency(self) -> tuple[date, str]:
        return (self.deadline, self.case_id)


@dataclass(frozen=True)
class Load:
    aircraft: AircraftOffer
    stops: tuple[str, ...]
    travellers: tuple[Traveller, ...]


@dataclass(frozen=True)
class Packing:
    loads: tuple[Load, ...]
    left_behind: tuple[Traveller, ...]


def _choose(fleet: Sequence[AircraftOffer], loads: Sequence[list[Traveller]],
            size: int) -> int:
    """The aircraft for a group of `size` (rules 3a-3c); the fleet is in its sorted order."""
    free = [a.capacity - len(load) for a, load in zip(fleet, loads, strict=True)]
    indices = range(len(fleet))
    direct = [i for i in indices if not loads[i] and free[i] >= size]
    if direct:
        return min(direct, key=lambda i: (free[i], i))
    extra_stop = [i for i in indices if loads[i] and free[i] >= size]
    if extra_stop:
        return min(extra_stop, key=lambda i: (free[i], i))
    return min((i for i in indices if free[i] > 0), key=lambda i: (-free[i], i))


def pack(travellers: Sequence[Traveller], aircraft: Sequence[AircraftOffer]) -> Packing:
    fleet = sorted(aircraft, key=lambda a: (-a.capacity, a.aircraft))
    queue = sorted(travellers, key=lambda t: t.urgency)
    room = sum(a.capacity for a in fleet)
    flying, left_behind = queue[:room], queue[room:]
    groups: dict[str, list[Traveller]] = {}
    for traveller in flying:
        groups.setdefault(traveller.airport, []).append(traveller)
    loads: list[list[Traveller]] = [[] for _ in fleet]
    stops: list[list[str]] = [[] for _ in fleet]
    for airport, group in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        remaining = group
        while remaining:
            index = _choose(fleet, loads, len(remaining))
            free = fleet[index].capacity - len(loads[index])
            loads[index].extend(remaining[:free])
            remaining = remaining[free:]
            if airport not in stops[index]:
                stops[index].append(airport)
    packed = tuple(Load(a, tuple(s), tuple(load))
                   for a, s, load in zip(fleet, stops, loads, strict=True) if load)
    return Packing(packed, tuple(left_behind))


# --- the plan ---------------------------------------------------------------------------

@dataclass(frozen=True)
class TransferRequest:
    case_ids: tuple[str, ...]
    aircraft: tuple[AircraftOffer, ...]
    departure_base: str
    scheduled_departure: datetime


@dataclass(frozen=True)
class PersonResult:
    case_id: str
    outcome: Literal["assigned", "not_eligible", "no_capacity"]
    flight_id: str | None = None
    aircraft: str | None = None
    destination_airport: str | None = None
    rules: tuple[str, ...] = ()
    detail: str | None = None


@dataclass(frozen=True)
class Plan:
    outcome: Outcome
    results: tuple[PersonResult, ...]  # one per requested case, in the request's order
    flights: tuple[FlightState, ...]


def _deadline(case: CaseState) -> date:
    """How urgent the person is: the pickup deadline, which ends at the handover (a person
    already in the Marshals' custody faces none, as read_model.clock_deadline says)."""
    facts = case.facts
    if facts.transfer_authorized_at is not None or facts.pickup_deadline_on is None \
            or case.custody is not None:
        return NO_DEADLINE
    return facts.pickup_deadline_on


def screen(cases: Mapping[str, CaseState], case_ids: Sequence[str], on: date,
           routes: RouteTable, held: Mapping[str, str] | None = None
           ) -> tuple[list[Traveller], dict[str, PersonResult]]:
    """Travellers for those who may fly on the legal date `on`; a not_eligible result for
    everyone else, including those `held` (case id -> why) by a fact transport could not
    apply yet (holds.py): they stay behind, the others still fly."""
    travellers: list[Traveller] = []
    refused: dict[str, PersonResult] = {}
    for case_id in case_ids:
        case = cases.get(case_id, CaseState())
        if held and case_id in held:
            refused[case_id] = PersonResult(case_id, "not_eligible",
                                            rules=(rules.UNPROCESSED_SAFETY_FACT.id,),
                                            detail=held[case_id])
            continue
        try:
            airport = domain.admissible(case, case_id, on, routes)
        except Refusal as refusal:
            refused[case_id] = PersonResult(case_id, "not_eligible", rules=refusal.rules,
                                            detail=refusal.message)
            continue
        travellers.append(Traveller(case_id, airport.code, _deadline(case)))
    return travellers, refused


def plan_transfer(cases: Mapping[str, CaseState], request: TransferRequest, now: datetime,
                  routes: RouteTable, new_flight_id: Callable[[], str],
                  held: Mapping[str, str] | None = None) -> Plan:
    case_ids = tuple(dict.fromkeys(request.case_ids))
    on = rules.judged_on(now, request.scheduled_departure)
    travellers, results = screen(cases, case_ids, on, routes, held)
    packing = pack(travellers, request.aircraft)
    for traveller in packing.left_behind:
        results[traveller.case_id] = PersonResult(
            traveller.case_id, "no_capacity", destination_airport=traveller.airport,
            detail="every seat of the given aircraft is taken by more urgent travellers")
    states = dict(cases)
    outcome = Outcome()
    flights: list[FlightState] = []
    for load in packing.loads:
        flight_id = new_flight_id()
        scheduled = domain.schedule_flight(flight_id, FlightPlan(
            load.aircraft.aircraft, load.aircraft.capacity, request.departure_base,
            request.scheduled_departure, load.stops), routes)
        flight = domain.fold_flight(FlightState(), scheduled.flight_events(flight_id))
        outcome += scheduled
        for traveller in load.travellers:
            case_id = traveller.case_id
            step = domain.assign(states[case_id], flight, now, routes)
            flight = domain.fold_flight(flight, step.flight_events(flight_id))
            states[case_id] = domain.fold_case(states[case_id], step.case_events(case_id))
            outcome += step
            results[case_id] = PersonResult(case_id, "assigned", flight_id=flight_id,
                                            aircraft=load.aircraft.aircraft,
                                            destination_airport=traveller.airport)
        flights.append(flight)
    return Plan(outcome, tuple(results[c] for c in case_ids), tuple(flights))
