"""The case and the flight as the API shows them (JSON-ready dicts)."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.clock import iso_day, iso_instant

from . import rules
from .routing import RouteTable
from .state import Booking, CaseState, CaseStatus, Custody, FlightState


def case_status(state: CaseState, failing: tuple[str, ...]) -> CaseStatus:
    booked = state.booked_status()
    if booked is not None:
        return booked
    return CaseStatus.NOT_ELIGIBLE if failing else CaseStatus.ELIGIBLE


def custody_view(custody: Custody | None) -> dict[str, Any] | None:
    return None if custody is None else {
        "transferred_at": iso_instant(custody.transferred_at), "place": custody.place,
        "mexican_officer": custody.mexican_officer, "us_marshal": custody.us_marshal}


def booking_view(booking: Booking | None, custody: Custody | None) -> dict[str, Any] | None:
    if booking is None:
        return None
    return {
        "flight_id": booking.flight_id, "destination_airport": booking.destination_airport,
        "destination_district": booking.destination_district,
        "assigned_at": iso_instant(booking.assigned_at),
        "custody": custody_view(custody),
        "departed_at": iso_instant(booking.departed_at),
        "landed": None if booking.landed is None else {
            "airport": booking.landed[0], "landed_at": iso_instant(booking.landed[1]),
            "diverted": booking.landed[2]},
    }


def case_view(state: CaseState, routes: RouteTable, today: date) -> dict[str, Any]:
    """The case with the rules failing by its facts only; the read model adds the clock's.
    A person in US custody is judged on the day custody passed, clock included: the pickup
    window ended at the handover, so a later expiry is not theirs to fail."""
    facts = state.facts
    failing = rules.failing_ids(facts, state.custody_on)
    airport = routes.airport_for(facts.district)
    return {
        "case_id": state.case_id,
        "version": state.version,
        "status": case_status(state, rules.failing_ids(facts, state.judged_on(today))).value,
        "person_id": facts.person_id,
        "legal_basis": facts.legal_basis,
        "eligibility": {
            "eligible": not failing,
            "failing_rules": list(failing),
            "explanations": {rule: rules.explain(rule, facts) for rule in failing},
        },
        "destination": {"district": facts.district,
                        "airport": None if airport is None else airport.code,
                        "city": None if airport is None else airport.city},
        "facts": {
            "surrender": None if facts.surrender_kind is None else {
                "kind": facts.surrender_kind, "ordered_on": iso_day(facts.surrender_ordered_on),
                "pickup_deadline_on": iso_day(facts.pickup_deadline_on),
                "annulled_by_amparo": facts.surrender_annulled_by},
            "transfer_authorized_at": iso_instant(facts.transfer_authorized_at),
            "death_penalty_clearance": {"cleared": facts.cleared,
                                        "basis": facts.clearance_basis,
                                        "withdrawal_reason": facts.clearance_withdrawal},
            "active_suspensions": list(facts.suspensions),
            "released": None if facts.released is None else {
                "released_on": facts.released[0].isoformat(), "reason": facts.released[1]},
            "pickup_window_expired": facts.pickup_expired,
        },
        "current_flight": booking_view(state.booking, state.custody),
        "us_custody": custody_view(state.custody),
        "removals": [{"flight_id": r.flight_id, "reason": r.reason,
                      "removed_at": iso_instant(r.removed_at)} for r in state.removals],
    }


def flight_view(state: FlightState) -> dict[str, Any]:
    diversion, cancellation = state.diversion, state.cancellation
    return {
        "flight_id": state.flight_id,
        "version": state.version,
        "status": state.status.value,
        "aircraft": state.aircraft,
        "capacity": state.capacity,
        "seats_assigned": len(state.seats),
        "seats_free": max(state.capacity - len(state.seats), 0),
        "departure_base": state.departure_base,
        "scheduled_departure": iso_instant(state.scheduled_departure),
        "route": [{"airport": s.airport, "district": s.district, "city": s.city,
                   "landed_at": iso_instant(state.landed_at(s.airport))} for s in state.stops],
        "departed_at": iso_instant(state.departed_at),
        "diversion": None if diversion is None else {
            "diverted_to": diversion[0], "reason": diversion[1],
            "diverted_at": iso_instant(diversion[2]),
            "landed_at": iso_instant(state.diversion_landed_at)},
        "cancellation": None if cancellation is None else {
            "reason": cancellation[0], "cancelled_at": iso_instant(cancellation[1])},
    }
