"""Transport's HTTP API: flights, manifests, custody handoff, departure, landing, diversion,
cancellation, mass-transfer planning, and the eligibility of each case.

Every command is one transaction: load the streams it reads, decide (domain.py), append and
project. A refused command is a 409 naming its rule ("rule") and, when several fail, all of
them ("rules"), plus the people concerned ("case_ids"); nothing is written. An unknown
flight or case is a 404; a bad body a 422 naming the field.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import Field, StringConstraints, field_validator

from shared.errors import NotFound, RuleViolation
from shared.eventstore import EventContext
from shared.legaltime import legal_date
from shared.service import ServiceRuntime
from shared.web.actor import Context
from shared.web.app import Runtime
from shared.web.lists import add_list_by_status
from shared.web.params import Instant, Limit, Offset
from shared.web.requests import RequestBody
from shared.web.steps import Step, register_by_path

from . import domain, holds, planning, read_model, responses
from .domain import FlightPlan, Outcome
from .persistence import Session
from .rules import Refusal
from .settings import routes_of
from .state import CaseStatus, Custody, FlightState, FlightStatus

Airport = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
CaseId = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Capacity = Annotated[int, Field(strict=True, ge=1, le=1000)]
FlightIdPath = Annotated[str, Path(min_length=1, max_length=40)]
CaseIdPath = Annotated[str, Path(min_length=1, max_length=200)]
Result = dict[str, Any]


def _unique(values: list[str], what: str) -> list[str]:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"{what} listed more than once: {', '.join(repeated)}")
    return values


class ScheduleBody(RequestBody):
    aircraft: Name = Field(description="registration or name, e.g. XC-MGA")
    capacity: Capacity = Field(description="seats for people in custody")
    departure_base: Name = Field(description='e.g. "Mexico City (AIFA)"')
    scheduled_departure: Instant
    stops: list[Airport] = Field(min_length=1, max_length=20,
                                 description="destination airports (IATA), in route order")

    @field_validator("stops")
    @classmethod
    def _distinct_stops(cls, value: list[str]) -> list[str]:
        return _unique(value, "stops")


class AssignBody(RequestBody):
    case_id: CaseId


class RemovalBody(RequestBody):
    detail: Text = Field(description="why the operator takes the person off")


class CustodyBody(RequestBody):
    case_id: CaseId
    transferred_at: Instant
    place: Name = Field(description="e.g. aboard the aircraft at AIFA")
    mexican_officer: Name
    us_marshal: Name


class DepartureBody(RequestBody):
    departed_at: Instant


class LandingBody(RequestBody):
    airport: Airport
    landed_at: Instant


class DiversionBody(RequestBody):
    diverted_to: Airport
    reason: Text
    diverted_at: Instant | None = Field(default=None, description="default: now")


class CancellationBody(RequestBody):
    reason: Text


class AircraftBody(RequestBody):
    aircraft: Name
    capacity: Capacity


class PlanBody(RequestBody):
    case_ids: list[CaseId] = Field(min_length=1, max_length=500)
    aircraft: list[AircraftBody] = Field(min_length=1, max_length=50)
    departure_base: Name
    scheduled_departure: Instant

    @field_validator("case_ids")
    @classmethod
    def _distinct_cases(cls, value: list[str]) -> list[str]:
        return _unique(value, "case_ids")

    @field_validator("aircraft")
    @classmethod
    def _distinct_aircraft(cls, value: list[AircraftBody]) -> list[AircraftBody]:
        _unique([a.aircraft for a in value], "aircraft")
        return value


class RefusalRoute(APIRoute):
    """Answers a refused command with every rule that failed (the shared handler names one)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RuleViolation as error:
                return refusal_response(error)

        return handle


def refusal_response(error: RuleViolation) -> JSONResponse:
    refusal = error if isinstance(error, Refusal) else Refusal((error.rule,), error.message)
    return JSONResponse(status_code=409, content={
        "error": "rule_violation", "rule": refusal.rule, "rules": list(refusal.rules),
        "detail": refusal.message, "case_ids": list(refusal.case_ids)})


def new_flight_id() -> str:
    return f"FLT-{uuid.uuid4().hex[:10].upper()}"


async def run_step(rt: ServiceRuntime, ids: dict[str, str], body: Any, context: EventContext,
                   step: Step) -> Result:
    """One flight step: load the flight, decide (loading what else the row's decision needs),
    record, show the flight."""
    async with rt.command() as conn:
        session = Session(rt, conn, context, routes_of(rt))
        flight = await session.flight(ids["flight_id"])
        await session.commit(await step.decide(session, flight, body, ids, rt.clock.now()))
        shown = await read_model.get_flight(conn, ids["flight_id"])
    assert shown is not None
    return shown


# A flight step's decision: the session (to load cases), the flight, the body, the path's ids
# and the clock's now.
FlightDecision = Callable[[Session, FlightState, Any, dict[str, str], datetime],
                          Awaitable[Outcome]]


async def _assign(s: Session, flight: FlightState, body: AssignBody, _ids: dict[str, str],
                  now: datetime) -> Outcome:
    await holds.require_not_held(s.conn, [body.case_id])
    return domain.assign(await s.existing_case(body.case_id), flight, now, s.routes)


async def _remove(s: Session, flight: FlightState, body: RemovalBody, ids: dict[str, str],
                  now: datetime) -> Outcome:
    return domain.remove(await s.existing_case(ids["case_id"]), flight, body.detail, now)


async def _custody(s: Session, flight: FlightState, body: CustodyBody, _ids: dict[str, str],
                   now: datetime) -> Outcome:
    handoff = Custody(body.transferred_at, body.place, body.mexican_officer, body.us_marshal)
    await holds.require_not_held(s.conn, [body.case_id])
    return domain.record_custody(await s.existing_case(body.case_id), flight, handoff, now,
                                 s.routes)


async def _depart(s: Session, flight: FlightState, body: DepartureBody, _ids: dict[str, str],
                  now: datetime) -> Outcome:
    await holds.require_not_held(s.conn, flight.manifest)
    return domain.depart(flight, await s.manifest_cases(flight), body.departed_at, now)


async def _land(s: Session, flight: FlightState, body: LandingBody, _ids: dict[str, str],
                now: datetime) -> Outcome:
    return domain.land(flight, await s.manifest_cases(flight), body.airport, body.landed_at,
                       now, s.routes)


async def _divert(s: Session, flight: FlightState, body: DiversionBody, _ids: dict[str, str],
                  now: datetime) -> Outcome:
    return domain.divert(flight, body.diverted_to, body.reason, body.diverted_at or now, now,
                         s.routes)


async def _cancel(s: Session, flight: FlightState, body: CancellationBody,
                  _ids: dict[str, str], now: datetime) -> Outcome:
    return domain.cancel(flight, await s.manifest_cases(flight), body.reason, now)


FLIGHT: tuple[tuple[str, Any], ...] = (("flight_id", FlightIdPath),)
FLIGHT_AND_CASE: tuple[tuple[str, Any], ...] = (("flight_id", FlightIdPath),
                                                 ("case_id", CaseIdPath))


def _step(path: str, command: type[RequestBody], operation: str, summary: str,
          decide: FlightDecision, ids: tuple[tuple[str, Any], ...] = FLIGHT) -> Step:
    return Step(f"/flights/{{flight_id}}/{path}", command, operation, summary, decide,
                responses.FlightView, ids)


# Every step on a scheduled flight, in the order the OpenAPI document lists them.
STEPS: tuple[Step, ...] = (
    _step("manifest", AssignBody, "assign", "Put a person on the manifest", _assign),
    _step("manifest/{case_id}/removal", RemovalBody, "remove",
          "Take a person off an open manifest (back to the pool)", _remove, FLIGHT_AND_CASE),
    _step("custody", CustodyBody, "custody",
          "Custody handed to the US Marshals (before departure)", _custody),
    _step("departure", DepartureBody, "departure",
          "The flight left; everyone aboard must be in US custody", _depart),
    _step("landing", LandingBody, "landing",
          "Landed at a stop: those routed there are on US soil", _land),
    _step("diversion", DiversionBody, "diversion",
          "Diverted in the air: everyone aboard gets off there", _divert),
    _step("cancellation", CancellationBody, "cancellation",
          "Cancel a flight that has not left; everyone returns to the pool", _cancel),
)


def _schedule_route(router: APIRouter) -> None:
    @router.post("/flights", status_code=201, summary="Schedule a flight and its route",
                 response_model=responses.FlightView)
    async def schedule(body: ScheduleBody, rt: Runtime, context: Context) -> Result:
        flight_id = new_flight_id()
        plan = FlightPlan(body.aircraft, body.capacity, body.departure_base,
                          body.scheduled_departure, tuple(body.stops))
        async with rt.command() as conn:
            session = Session(rt, conn, context, routes_of(rt))
            session.new_flight(flight_id)
            await session.commit(domain.schedule_flight(flight_id, plan, session.routes))
            shown = await read_model.get_flight(conn, flight_id)
        assert shown is not None
        return shown


def _plan_view(plan: planning.Plan) -> Result:
    results = [{"case_id": r.case_id, "outcome": r.outcome, "flight_id": r.flight_id,
                "aircraft": r.aircraft, "destination_airport": r.destination_airport,
                "rules": list(r.rules), "detail": r.detail} for r in plan.results]
    counts = {kind: sum(r.outcome == kind for r in plan.results)
              for kind in ("assigned", "not_eligible", "no_capacity")}
    flights = [{"flight_id": f.flight_id, "aircraft": f.aircraft, "capacity": f.capacity,
                "route": [s.airport for s in f.stops], "manifest": list(f.manifest)}
               for f in plan.flights]
    return {"flights": flights, "results": results, "summary": counts}


def _plan_routes(router: APIRouter) -> None:
    @router.post("/transfers/plan",
                 summary="Pack a batch of cases onto aircraft, schedule and assign (all or "
                         "nothing)",
                 response_model=responses.Plan)
    async def plan_transfer(body: PlanBody, rt: Runtime, context: Context) -> Result:
        request = planning.TransferRequest(
            tuple(body.case_ids),
            tuple(planning.AircraftOffer(a.aircraft, a.capacity) for a in body.aircraft),
            body.departure_base, body.scheduled_departure)
        # One transaction for the whole plan: it is one operator decision, so either every
        # flight and assignment it shows is recorded, or (on a concurrent change) none is
        # and the operator plans again from a consistent pool.
        async with rt.command() as conn:
            session = Session(rt, conn, context, routes_of(rt))
            # A held person stays behind with the rule named; the others are planned.
            held = {case_id: holds.explain(letters)
                    for case_id, letters in (await holds.holding(conn, body.case_ids)).items()}
            cases = {case_id: await session.case(case_id) for case_id in body.case_ids}
            plan = planning.plan_transfer(cases, request, rt.clock.now(), session.routes,
                                          new_flight_id, held)
            for flight in plan.flights:
                session.new_flight(flight.flight_id)
            await session.commit(plan.outcome)
        return _plan_view(plan)


def _read_routes(router: APIRouter) -> None:
    @router.get("/flights/{flight_id}", summary="A flight: status, route, manifest",
                response_model=responses.FlightView)
    async def show_flight(flight_id: FlightIdPath, rt: Runtime) -> Result:
        async with rt.database.connect() as conn:
            found = await read_model.get_flight(conn, flight_id)
        if found is None:
            raise NotFound("flight", flight_id)
        return found

    add_list_by_status(router, "/flights", name="list_flights",
                       summary="Flights, optionally by status",
                       response_model=responses.FlightList, statuses=FlightStatus,
                       key="flights", load=read_model.list_flights)

    @router.get("/cases/{case_id}", summary="A case's eligibility, failing rules and flight",
                response_model=responses.CaseView)
    async def show_case(case_id: CaseIdPath, rt: Runtime) -> Result:
        async with rt.database.connect() as conn:
            found = await read_model.get_case(conn, case_id, legal_date(rt.clock.now()))
            held = await holds.holding(conn, [case_id])
        if found is None:
            raise NotFound("case", case_id)
        return holds.shown_held(found, held.get(case_id, []))

    @router.get("/cases", summary="Cases, by eligibility (now) or status",
                response_model=responses.CaseList)
    async def list_cases(
        rt: Runtime,
        eligible: bool | None = None,
        status: Annotated[CaseStatus | None, Query()] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Result:
        async with rt.database.connect() as conn:
            # Held people are filtered in the query, so pages and counts stay whole.
            held = await holds.holding(conn, None)
            found = await read_model.list_cases(conn, eligible=eligible, status=status,
                                                today=legal_date(rt.clock.now()), limit=limit,
                                                offset=offset, held=holds.blocking(held))
        found = [holds.listed_held(c, held.get(c["case_id"], [])) for c in found]
        return {"cases": found, "count": len(found)}

    @router.get("/routes", summary="The district → arrival airport table in force",
                response_model=responses.RouteTable)
    async def route_table(rt: Runtime) -> Result:
        routes = routes_of(rt)
        fallback = routes.fallback
        return {"districts": {d: {"airport": a.code, "city": a.city}
                              for d, a in sorted(routes.by_district.items())},
                "default_airport": None if fallback is None else {
                    "airport": fallback.code, "city": fallback.city}}


def routes(_runtime: ServiceRuntime) -> Sequence[APIRouter]:
    router = APIRouter(tags=["transport"], route_class=RefusalRoute)
    _read_routes(router)
    _schedule_route(router)
    register_by_path(router, STEPS, run_step)
    _plan_routes(router)
    return [router]
