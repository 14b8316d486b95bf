"""What transport's API answers, as typed models (see shared/web/responses.py). Flights and
cases are view.py's views (stored as JSON by the read model); a flight adds its manifest, a
case its person's name and the eligibility as of today."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.web.responses import IsoDay, IsoInstant, ResponseBody, ShownName

from .state import CaseStatus, FlightStatus

Rule = str  # one of rules.ELIGIBILITY_RULES, e.g. death_penalty_clearance_missing


class CustodyView(ResponseBody):
    transferred_at: IsoInstant | None
    place: str
    mexican_officer: str
    us_marshal: str


class StopView(ResponseBody):
    airport: str
    district: str | None
    city: str | None
    landed_at: IsoInstant | None


class DiversionView(ResponseBody):
    diverted_to: str
    reason: str
    diverted_at: IsoInstant | None
    landed_at: IsoInstant | None


class CancellationView(ResponseBody):
    reason: str
    cancelled_at: IsoInstant | None


class LandingView(ResponseBody):
    airport: str
    landed_at: IsoInstant | None


class ManifestEntry(ResponseBody):
    case_id: str
    person_name: str | None
    destination_airport: str | None
    destination_district: str | None
    assigned_at: IsoInstant | None
    custody: CustodyView | None
    departed_at: IsoInstant | None
    landed: LandingView | None


class RemovedEntry(ResponseBody):
    case_id: str
    reason: str | None
    detail: str | None
    removed_at: IsoInstant | None


class FlightView(ResponseBody):
    flight_id: str
    version: int
    status: FlightStatus
    aircraft: str | None
    capacity: int
    seats_assigned: int
    seats_free: int
    departure_base: str | None
    scheduled_departure: IsoInstant | None
    route: list[StopView]
    departed_at: IsoInstant | None
    diversion: DiversionView | None
    cancellation: CancellationView | None
    manifest: list[ManifestEntry] = Field(description="who is aboard now")
    removed: list[RemovedEntry] = Field(description="who was taken off, and why")


class FlightSummary(ResponseBody):
    flight_id: str
    status: FlightStatus
    aircraft: str | None
    capacity: int
    seats_assigned: int
    scheduled_departure: IsoInstant | None
    route: list[str] = Field(description="the stops' airports, in route order")
    version: int


class FlightList(ResponseBody):
    flights: list[FlightSummary]
    count: int


class Eligibility(ResponseBody):
    eligible: bool
    failing_rules: list[Rule]
    explanations: dict[Rule, str] = Field(description="why each failing rule fails")
    as_of: IsoDay = Field(description="the day the clock's rules were applied")


class Destination(ResponseBody):
    district: str | None
    airport: str | None
    city: str | None


class SurrenderFacts(ResponseBody):
    kind: str
    ordered_on: IsoDay | None
    pickup_deadline_on: IsoDay | None
    annulled_by_amparo: str | None


class ClearanceFacts(ResponseBody):
    cleared: bool
    basis: str | None
    withdrawal_reason: str | None


class ReleaseFacts(ResponseBody):
    released_on: IsoDay
    reason: str


class Facts(ResponseBody):
    surrender: SurrenderFacts | None
    transfer_authorized_at: IsoInstant | None
    death_penalty_clearance: ClearanceFacts
    active_suspensions: list[str]
    released: ReleaseFacts | None
    pickup_window_expired: bool


class BookingLanding(LandingView):
    diverted: bool = Field(description="got off at a diversion airport, not the destination")


class BookingView(ResponseBody):
    flight_id: str
    destination_airport: str | None
    destination_district: str | None
    assigned_at: IsoInstant | None
    custody: CustodyView | None
    departed_at: IsoInstant | None
    landed: BookingLanding | None


class RemovalView(ResponseBody):
    flight_id: str
    reason: str
    removed_at: IsoInstant | None


class CaseView(ResponseBody):
    case_id: str
    version: int
    status: CaseStatus
    person_id: str | None
    person_name: ShownName
    legal_basis: str | None
    eligibility: Eligibility
    destination: Destination
    facts: Facts
    current_flight: BookingView | None
    removals: list[RemovalView]
    us_custody: CustodyView | None = Field(
        default=None, description="the US Marshals' custody once Mexico handed the person "
        "over; kept if they come off that flight (a cancellation, a withdrawn assurance), and "
        "carried to their next booking")


class CaseSummary(ResponseBody):
    case_id: str
    status: CaseStatus
    person_name: str | None
    eligible: bool
    failing_rules: list[Rule]
    destination_district: str | None
    destination_airport: str | None
    pickup_deadline_on: IsoDay | None
    flight_id: str | None
    version: int


class CaseList(ResponseBody):
    cases: list[CaseSummary]
    count: int


class Airport(ResponseBody):
    airport: str = Field(description="IATA code")
    city: str


class RouteTable(ResponseBody):
    districts: dict[str, Airport] = Field(description="district abbreviation -> arrival airport")
    default_airport: Airport | None = Field(description="for a district not in the table")


class PlannedFlight(ResponseBody):
    flight_id: str
    aircraft: str | None
    capacity: int
    route: list[str]
    manifest: list[str] = Field(description="case ids")


class PlanResult(ResponseBody):
    case_id: str
    outcome: Literal["assigned", "not_eligible", "no_capacity"]
    flight_id: str | None
    aircraft: str | None
    destination_airport: str | None
    rules: list[Rule]
    detail: str | None


class PlanSummary(ResponseBody):
    assigned: int
    not_eligible: int
    no_capacity: int


class Plan(ResponseBody):
    flights: list[PlannedFlight]
    results: list[PlanResult] = Field(description="one per requested case, in request order")
    summary: PlanSummary
