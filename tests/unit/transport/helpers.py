"""Building blocks for the pure transport-domain tests: facts, and a World of states that
applies decisions the way the service does (every stream of an Outcome, folded)."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from services.transport import domain
from services.transport.domain import FlightPlan, Outcome
from services.transport.facts import (
    ClearanceGranted,
    Fact,
    Input,
    PersonKnown,
    SurrenderOrdered,
    TransferAuthorized,
)
from services.transport.routing import RouteTable
from services.transport.state import CaseState, Custody, FlightState

NOW = datetime(2025, 8, 11, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
ROUTES = RouteTable()
DEPARTURE = datetime(2025, 8, 12, 14, 0, tzinfo=UTC)


def item(case_id: str, fact: Fact, at: datetime = NOW) -> Input:
    return Input(case_id=case_id, fact=fact, source_event_type="test.fact.v1",
                 source_event_id=str(uuid.uuid4()), occurred_at=at)


def surrender(district: str = "EDNY", deadline: date = TODAY + timedelta(days=30),
              kind: str = "full") -> SurrenderOrdered:
    return SurrenderOrdered(kind=kind, ordered_on=deadline - timedelta(days=60),
                            pickup_deadline_on=deadline, district=district,
                            return_obligation=kind == "temporary")


def cleared() -> ClearanceGranted:
    return ClearanceGranted(basis="assurances_accepted", charge_ids=("c1",))


def ready_facts(district: str = "EDNY", *, national_security: bool = False,
                deadline: date = TODAY + timedelta(days=30)) -> list[Fact]:
    """The facts that make a person eligible: known, surrender (or NS transfer), cleared."""
    basis = "national_security" if national_security else "treaty"
    ground: Fact = (TransferAuthorized(NOW - timedelta(days=1), district) if national_security
                    else surrender(district, deadline))
    return [PersonKnown(f"Person {district}", basis, district), ground, cleared()]


def handoff(at: datetime = NOW) -> Custody:
    return Custody(transferred_at=at, place="aboard the aircraft at AIFA",
                   mexican_officer="FGR agent 12", us_marshal="Deputy US Marshal 7")


@dataclass
class World:
    """Case and flight states, changed only by applying decided Outcomes."""

    cases: dict[str, CaseState] = field(default_factory=dict)
    flights: dict[str, FlightState] = field(default_factory=dict)
    now: datetime = NOW
    routes: RouteTable = ROUTES
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def case(self, case_id: str) -> CaseState:
        return self.cases.get(case_id, CaseState())

    def apply(self, outcome: Outcome) -> Outcome:
        for flight_id, events in outcome.flights.items():
            self.flights[flight_id] = domain.fold_flight(
                self.flights.get(flight_id, FlightState()), events)
        for case_id, events in outcome.cases.items():
            self.cases[case_id] = domain.fold_case(self.case(case_id), events)
        return outcome

    def new_flight_id(self) -> str:
        return f"FLT-{next(self._ids):04d}"

    def note(self, case_id: str, *facts: Fact) -> Outcome:
        total = Outcome()
        for fact in facts:
            case = self.case(case_id)
            flight = (self.flights[case.booking.flight_id]
                      if case.on_open_manifest and case.booking else None)
            total += self.apply(domain.note_input(case, flight, item(case_id, fact), self.now,
                                                  self.routes))
        return total

    def eligible(self, case_id: str, district: str = "EDNY", *,
                 national_security: bool = False,
                 deadline: date = TODAY + timedelta(days=30)) -> CaseState:
        self.note(case_id, *ready_facts(district, national_security=national_security,
                                        deadline=deadline))
        return self.case(case_id)

    def schedule(self, stops: tuple[str, ...] = ("JFK", "LAX"), capacity: int = 3,
                 aircraft: str = "XC-MGA") -> str:
        flight_id = self.new_flight_id()
        self.apply(domain.schedule_flight(flight_id, FlightPlan(
            aircraft, capacity, "Mexico City (AIFA)", DEPARTURE, stops), self.routes))
        return flight_id

    def assign(self, case_id: str, flight_id: str) -> Outcome:
        return self.apply(domain.assign(self.case(case_id), self.flights[flight_id], self.now,
                                        self.routes))

    def manifest_cases(self, flight_id: str) -> dict[str, CaseState]:
        return {c: self.case(c) for c in self.flights[flight_id].manifest}

    def custody(self, case_id: str, flight_id: str, at: datetime | None = None) -> Outcome:
        return self.apply(domain.record_custody(self.case(case_id), self.flights[flight_id],
                                                handoff(at or self.now), self.now,
                                                self.routes))

    def depart(self, flight_id: str, at: datetime | None = None) -> Outcome:
        return self.apply(domain.depart(self.flights[flight_id], self.manifest_cases(flight_id),
                                        at or self.now, self.now))

    def land(self, flight_id: str, airport: str, at: datetime | None = None) -> Outcome:
        flight = self.flights[flight_id]
        cases = {s.case_id: self.case(s.case_id) for s in flight.seats}
        return self.apply(domain.land(flight, cases, airport, at or self.now, self.now,
                                      self.routes))

    def cancel(self, flight_id: str, reason: str = "aircraft unserviceable") -> Outcome:
        return self.apply(domain.cancel(self.flights[flight_id],
                                        self.manifest_cases(flight_id), reason, self.now))

    def snapshot(self) -> tuple[dict[str, CaseState], dict[str, FlightState]]:
        return dict(self.cases), dict(self.flights)


def types(outcome: Outcome, stream: str) -> list[str]:
    events = outcome.cases.get(stream) or outcome.flights.get(stream) or ()
    return [e.event_type for e in events]


def payload(outcome: Outcome, stream: str, event_type: str) -> dict[str, object]:
    events = outcome.cases.get(stream) or outcome.flights.get(stream) or ()
    [found] = [e.payload for e in events if e.event_type == event_type]
    return found
