"""Loading and recording cases and flights inside one transaction (a command's, or a
consumer's with its inbox row).

`Session.commit` appends an Outcome's events stream by stream, always in one order (flights
by id, then cases by id), so two transactions that touch the same streams wait for each
other instead of deadlocking, and projects every stream it appended to.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.aggregate import Loaded, Repository
from shared.errors import NotFound
from shared.eventstore import EventContext, RecordedEvent
from shared.service import ServiceRuntime

from . import read_model
from .domain import Outcome
from .events import CASE_STREAM, FLIGHT_STREAM
from .routing import RouteTable
from .state import CASE, FLIGHT, CaseState, FlightState


def case_repository(runtime: ServiceRuntime) -> Repository[CaseState]:
    return Repository(runtime.store, stream_type=CASE_STREAM, topic=runtime.events_topic,
                      initial=CASE.initial, evolve=CASE.evolve)


def flight_repository(runtime: ServiceRuntime) -> Repository[FlightState]:
    return Repository(runtime.store, stream_type=FLIGHT_STREAM, topic=runtime.events_topic,
                      initial=FLIGHT.initial, evolve=FLIGHT.evolve)


class Session:
    def __init__(self, runtime: ServiceRuntime, conn: AsyncConnection, context: EventContext,
                 routes: RouteTable) -> None:
        self.runtime = runtime
        self.conn = conn
        self.context = context
        self.routes = routes
        self._case_repo = case_repository(runtime)
        self._flight_repo = flight_repository(runtime)
        self._cases: dict[str, Loaded[CaseState]] = {}
        self._flights: dict[str, Loaded[FlightState]] = {}

    async def case(self, case_id: str) -> CaseState:
        """The case as stored (the initial state if transport never heard of it)."""
        if case_id not in self._cases:
            self._cases[case_id] = await self._case_repo.load(self.conn, case_id)
        return self._cases[case_id].state

    async def existing_case(self, case_id: str) -> CaseState:
        found = await self.case(case_id)
        if not found.exists:
            raise NotFound("case", case_id)
        return found

    async def flight(self, flight_id: str) -> FlightState:
        if flight_id not in self._flights:
            self._flights[flight_id] = await self._flight_repo.load(self.conn, flight_id)
        found = self._flights[flight_id].state
        if not found.exists:
            raise NotFound("flight", flight_id)
        return found

    def new_flight(self, flight_id: str) -> None:
        self._flights[flight_id] = Loaded(flight_id, FLIGHT.initial(), 0, None)

    async def open_flight_of(self, case: CaseState) -> FlightState | None:
        """The flight whose open manifest the person is on, if any."""
        if not case.on_open_manifest:
            return None
        assert case.booking is not None
        return await self.flight(case.booking.flight_id)

    async def manifest_cases(self, flight: FlightState) -> dict[str, CaseState]:
        return {case_id: await self.case(case_id) for case_id in flight.manifest}

    async def commit(self, outcome: Outcome) -> list[RecordedEvent]:
        if self._appended_unloaded(outcome):
            raise RuntimeError("an outcome named a stream the session never loaded")
        recorded: list[RecordedEvent] = []
        # Projections take each append's own recorded time, not a clock reading, so that a
        # replay of the log rebuilds exactly the same rows.
        for flight_id in sorted(k for k, v in outcome.flights.items() if v):
            loaded = self._flights[flight_id]
            state, events = await self._flight_repo.append(
                self.conn, loaded, outcome.flights[flight_id], self.context)
            self._flights[flight_id] = Loaded(flight_id, state, state.version, events[-1].hash)
            await read_model.project_flight(self.conn, state, events[-1].recorded_at)
            recorded += events
        for case_id in sorted(k for k, v in outcome.cases.items() if v):
            loaded_case = self._cases[case_id]
            case, events = await self._case_repo.append(
                self.conn, loaded_case, outcome.cases[case_id], self.context)
            self._cases[case_id] = Loaded(case_id, case, case.version, events[-1].hash)
            await read_model.project_case(self.conn, case, events, self.routes,
                                          events[-1].recorded_at)
            recorded += events
        return recorded

    def _appended_unloaded(self, outcome: Outcome) -> bool:
        return (any(k not in self._flights for k in outcome.flights)
                or any(k not in self._cases for k in outcome.cases))
