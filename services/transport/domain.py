"""Transport decisions: pure functions from the states they read to the events they record.

A decision returns an `Outcome`, the new events per stream (case streams and flight streams),
or raises a RuleViolation (`rules.Refusal`, naming every failed rule) and decides nothing.
Whatever a decision relied on is guarded by a stream it appends to, or by a stream every
competing decision appends to, so a concurrent change surfaces as a ConcurrencyConflict:

* assigning appends to the case (nobody on two manifests) and to the flight (capacity);
* custody appends to the case; departure and cancellation append to every case aboard;
* a consumer that takes someone off appends to the case and to the flight.

Every refusal names a rule of transport's book (rules.py, docs/rules/transport.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from shared.errors import InvalidRequest, NotFound, Problem
from shared.eventstore import NewEvent
from shared.legaltime import legal_date, start_of_legal_day
from shared.rules import law

from . import events as ev
from . import facts, rules
from .routing import Airport, RouteTable
from .rules import refuse
from .state import (
    CASE,
    FLIGHT,
    Announcement,
    CaseState,
    Custody,
    FlightState,
    FlightStatus,
    superseded,
)

OPERATOR_REMOVAL = "removed_by_operator"
FLIGHT_CANCELLED = "flight_cancelled"
DESTINATION_CHANGED = "destination_changed"


# --- outcomes ---------------------------------------------------------------------------

def _merge(a: Mapping[str, tuple[NewEvent, ...]],
           b: Mapping[str, tuple[NewEvent, ...]]) -> dict[str, tuple[NewEvent, ...]]:
    merged = dict(a)
    for stream, events in b.items():
        merged[stream] = merged.get(stream, ()) + events
    return merged


@dataclass(frozen=True)
class Outcome:
    """New events per case stream and per flight stream, in the order they happen."""

    cases: Mapping[str, tuple[NewEvent, ...]] = field(default_factory=dict)
    flights: Mapping[str, tuple[NewEvent, ...]] = field(default_factory=dict)

    def __add__(self, other: Outcome) -> Outcome:
        return Outcome(_merge(self.cases, other.cases), _merge(self.flights, other.flights))

    @property
    def empty(self) -> bool:
        return not any(self.cases.values()) and not any(self.flights.values())

    def case_events(self, case_id: str) -> tuple[NewEvent, ...]:
        return tuple(self.cases.get(case_id, ()))

    def flight_events(self, flight_id: str) -> tuple[NewEvent, ...]:
        return tuple(self.flights.get(flight_id, ()))


def event(model: ev.TransportEvent, occurred_at: datetime | None) -> NewEvent:
    return NewEvent(model.EVENT_TYPE, model.model_dump(mode="json"),
                    schema_version=ev.SCHEMA_VERSION, occurred_at=occurred_at)


# The state after the events a decision has just made (not yet recorded).
fold_case = CASE.after
fold_flight = FLIGHT.after


# --- guards -----------------------------------------------------------------------------

def _not_in_future(at: datetime, now: datetime, what: str) -> None:
    if at > now:
        raise refuse(law.DATE_IN_FUTURE, f"{what} {at.isoformat()} is after now "
                                       f"({now.isoformat()})")


def _not_before(at: datetime, earlier: datetime | None, what: str, before_what: str) -> None:
    if earlier is not None and at < earlier:
        raise refuse(law.DATE_OUT_OF_ORDER, f"{what} {at.isoformat()} is before {before_what} "
                                          f"({earlier.isoformat()})")


def _require_open(flight: FlightState) -> None:
    if not flight.exists:
        raise NotFound("flight", flight.flight_id or "?")
    if flight.status is not FlightStatus.SCHEDULED:
        raise refuse(rules.FLIGHT_NOT_OPEN, f"flight {flight.flight_id} is {flight.status.value}: "
                                        "its manifest can no longer change")


def _require_case(case: CaseState, case_id: str) -> None:
    if not case.exists:
        raise NotFound("case", case_id)


def _require_unbooked(case: CaseState) -> None:
    booking = case.booking
    if booking is None:
        return
    if booking.landed is not None:
        raise refuse(rules.ALREADY_TRANSPORTED, f"case {case.case_id} landed at "
                                            f"{booking.landed[0]} on flight {booking.flight_id}",
                     (case.case_id,))
    raise refuse(rules.ALREADY_ON_MANIFEST, f"case {case.case_id} is on the manifest of flight "
                                        f"{booking.flight_id}", (case.case_id,))


def destination(case: CaseState, routes: RouteTable) -> Airport:
    airport = routes.airport_for(case.facts.district)
    if airport is None:
        district = case.facts.district or "(unknown)"
        raise refuse(rules.NO_AIRPORT_FOR_DISTRICT,
                     f"no arrival airport is configured for district {district} of case "
                     f"{case.case_id} (TRANSPORT_DISTRICT_AIRPORTS)", (case.case_id,))
    return airport


def admissible(case: CaseState, case_id: str, on: date, routes: RouteTable) -> Airport:
    """The airport the person may be flown to on the legal date `on`, or a Refusal naming
    what keeps them off every flight (the checks of `assign` that don't depend on the
    flight)."""
    if not case.exists:
        raise refuse(rules.UNKNOWN_CASE, f"transport has heard nothing of case {case_id}",
                     (case_id,))
    _require_unbooked(case)
    rules.require_eligible(case.case_id, case.facts, case.judged_on(on))
    return destination(case, routes)


def _on_manifest(case: CaseState, flight: FlightState) -> None:
    booking = case.booking
    if (flight.seat(case.case_id) is None or booking is None
            or booking.flight_id != flight.flight_id):
        raise refuse(rules.NOT_ON_MANIFEST, f"case {case.case_id} is not on the manifest of "
                                        f"flight {flight.flight_id}", (case.case_id,))


# --- flights ----------------------------------------------------------------------------

@dataclass(frozen=True)
class FlightPlan:
    aircraft: str
    capacity: int
    departure_base: str
    scheduled_departure: datetime
    stops: tuple[str, ...]  # airport codes, in route order


def schedule_flight(flight_id: str, plan: FlightPlan, routes: RouteTable) -> Outcome:
    problems = [Problem(("stops", index), "known_destination_airport",
                        f"no US district is configured to arrive at {code}")
                for index, code in enumerate(plan.stops) if not routes.serves(code)]
    problems += [Problem(("stops", index), "unique_stops", f"{code} is listed twice")
                 for index, code in enumerate(plan.stops) if code in plan.stops[:index]]
    if problems:
        raise InvalidRequest(problems)
    stops = tuple(ev.Stop(airport=code, district=routes.primary_district(code),
                          city=routes.city(code)) for code in plan.stops)
    scheduled = ev.FlightScheduled(
        flight_id=flight_id, aircraft=plan.aircraft, capacity=plan.capacity,
        departure_base=plan.departure_base, scheduled_departure=plan.scheduled_departure,
        stops=stops)
    # Dated when it was entered (its legal time, events.LEGAL_TIMES): the departure it plans
    # is in the payload, and may be days ahead.
    return Outcome(flights={flight_id: (event(scheduled, None),)})


def assign(case: CaseState, flight: FlightState, now: datetime,
           routes: RouteTable) -> Outcome:
    """Put a person on a flight: every eligibility rule holds (the pickup window by the
    service clock), the flight is open, stops at their district's airport and has a seat."""
    _require_open(flight)
    return _seat(case, flight, now, routes, rules.judged_on(now, flight.scheduled_departure))


def _seat(case: CaseState, flight: FlightState, now: datetime, routes: RouteTable,
          on: date) -> Outcome:
    """The place on an open flight, every eligibility rule judged on the legal date `on`."""
    airport = admissible(case, case.case_id, on, routes)
    if flight.stop(airport.code) is None:
        route = ", ".join(s.airport for s in flight.stops)
        raise refuse(rules.DESTINATION_NOT_ON_ROUTE,
                     f"case {case.case_id} goes to {airport.code} ({case.facts.district}); "
                     f"flight {flight.flight_id} stops at {route}", (case.case_id,))
    if len(flight.seats) >= flight.capacity:
        raise refuse(rules.FLIGHT_FULL, f"flight {flight.flight_id} has all {flight.capacity} "
                                    "seats assigned", (case.case_id,))
    district = case.facts.district
    assert district is not None
    assigned = ev.ManifestAssigned(case_id=case.case_id, flight_id=flight.flight_id,
                                   destination_airport=airport.code,
                                   destination_district=district, assigned_at=now)
    changed = ev.FlightManifestChanged(
        flight_id=flight.flight_id, manifest_size=len(flight.seats) + 1, changed_at=now,
        assigned=(ev.Seat(case_id=case.case_id, destination_airport=airport.code,
                          destination_district=district),))
    return Outcome(cases={case.case_id: (event(assigned, now),)},
                   flights={flight.flight_id: (event(changed, now),)})


def _take_off(case: CaseState, flight: FlightState, reason: str, detail: str,
              now: datetime, failed: tuple[str, ...] = ()) -> Outcome:
    removed = ev.RemovedFromManifest(case_id=case.case_id, flight_id=flight.flight_id,
                                     reason=reason, detail=detail, removed_at=now, rules=failed,
                                     in_us_custody=case.custody is not None)
    changed = ev.FlightManifestChanged(
        flight_id=flight.flight_id, removed=(case.case_id,), reason=reason, changed_at=now,
        manifest_size=len(flight.seats) - 1)
    return Outcome(cases={case.case_id: (event(removed, now),)},
                   flights={flight.flight_id: (event(changed, now),)})


def remove(case: CaseState, flight: FlightState, detail: str, now: datetime) -> Outcome:
    """An operator takes someone off an open flight (they return to the pool)."""
    _require_open(flight)
    _on_manifest(case, flight)
    return _take_off(case, flight, OPERATOR_REMOVAL, detail, now)


def record_custody(case: CaseState, flight: FlightState, handoff: Custody,
                   now: datetime, routes: RouteTable) -> Outcome:
    """Mexican officers hand the person to the US Marshals, before the flight leaves.

    A handover entered after a neighbour's fact took the person off this flight re-seats them
    on it first (`_reseatable`), when they may fly judged on the handover's own legal date and
    the flight still has a seat: the window ends at the handover (domain brief, corrections),
    so an expiry or release dated after it, entered first, does not keep it off the record.
    Judicial, told of the handover, then voids such an expiry and its release."""
    _require_open(flight)
    reseat = _reseatable(case, flight)
    if not reseat:
        _on_manifest(case, flight)
    if case.custody is not None:
        raise refuse(rules.CUSTODY_ALREADY_TRANSFERRED,
                     f"custody of case {case.case_id} was transferred at "
                     f"{case.custody.transferred_at.isoformat()}", (case.case_id,))
    _not_in_future(handoff.transferred_at, now, "transferred_at")
    _not_before_surrender(case, handoff.transferred_at)
    handed_over_on = legal_date(handoff.transferred_at)
    rules.require_eligible(case.case_id, case.facts, handed_over_on)
    # Re-seated as of the handover: the person was on this flight when handed over, and the
    # announcement recorded with them carries the same legal time.
    seated = _seat(case, flight, handoff.transferred_at, routes, handed_over_on) if reseat \
        else Outcome()
    transferred = ev.CustodyTransferred(
        case_id=case.case_id, flight_id=flight.flight_id,
        transferred_at=handoff.transferred_at, place=handoff.place,
        mexican_officer=handoff.mexican_officer, us_marshal=handoff.us_marshal)
    outcome = seated + Outcome(cases={case.case_id: (event(transferred,
                                                           handoff.transferred_at),)})
    # From now on the person is judged on the handover's day: an expiry or release dated
    # later, announced as holding them, no longer does.
    announcement = _announce(fold_case(case, outcome.case_events(case.case_id)),
                             handoff.transferred_at, now, routes)
    if announcement is not None:
        outcome += Outcome(cases={case.case_id: (announcement,)})
    return outcome


def _reseatable(case: CaseState, flight: FlightState) -> bool:
    """On no flight, never handed over, and last taken off this one by a neighbour's fact
    (not by an operator, whose removal stands): the handover may put them back on it."""
    last = case.removals[-1] if case.removals else None
    return (case.booking is None and case.custody is None and last is not None
            and last.flight_id == flight.flight_id and last.reason != OPERATOR_REMOVAL
            and flight.seat(case.case_id) is None)


def _not_before_surrender(case: CaseState, transferred_at: datetime) -> None:
    """Custody passes on Mexico's authority: not before the surrender order's legal day, nor
    before the national-security transfer's authorisation. (A handover dated earlier would
    make every later judicial act read as after it, and change nothing.)"""
    facts = case.facts
    if facts.surrender_ordered_on is not None:
        _not_before(transferred_at, start_of_legal_day(facts.surrender_ordered_on),
                    "transferred_at", "the surrender order")
    _not_before(transferred_at, facts.transfer_authorized_at, "transferred_at",
                "the transfer's authorisation")


def _manifest_cases(flight: FlightState, cases: Mapping[str, CaseState],
                    case_ids: Iterable[str]) -> list[CaseState]:
    found = []
    for case_id in case_ids:
        case = cases[case_id]
        if case.booking is None or case.booking.flight_id != flight.flight_id:
            raise RuntimeError(f"flight {flight.flight_id} lists {case_id}, whose case is "
                               "not booked on it")
        found.append(case)
    return found


def depart(flight: FlightState, cases: Mapping[str, CaseState], departed_at: datetime,
           now: datetime) -> Outcome:
    """The flight leaves with everyone on its manifest, all in US custody."""
    _require_open(flight)
    if not flight.seats:
        raise refuse(rules.MANIFEST_EMPTY, f"flight {flight.flight_id} has nobody on its manifest")
    aboard = _manifest_cases(flight, cases, flight.manifest)
    missing = [c.case_id for c in aboard if c.custody is None]
    if missing:
        raise refuse(rules.CUSTODY_NOT_TRANSFERRED, "custody has not been transferred to the US "
                     f"Marshals for {', '.join(missing)}", missing)
    _not_in_future(departed_at, now, "departed_at")
    for case in aboard:
        assert case.custody is not None
        _not_before(departed_at, case.custody.transferred_at, "departed_at",
                    f"the custody handoff of {case.case_id}")
    departed = ev.FlightDeparted(flight_id=flight.flight_id, departed_at=departed_at,
                                 case_ids=flight.manifest)
    people = {c.case_id: (event(ev.PersonDeparted(case_id=c.case_id, flight_id=flight.flight_id,
                                                  departed_at=departed_at), departed_at),)
              for c in aboard}
    return Outcome(cases=people, flights={flight.flight_id: (event(departed, departed_at),)})


def _last_movement(flight: FlightState) -> datetime | None:
    moments = [flight.departed_at, *(lg.landed_at for lg in flight.landings)]
    if flight.diversion is not None:
        moments.append(flight.diversion[2])
    return max((m for m in moments if m is not None), default=None)


def divert(flight: FlightState, diverted_to: str, reason: str, diverted_at: datetime,
           now: datetime, routes: RouteTable) -> Outcome:
    """The aircraft in the air goes elsewhere: everyone still aboard gets off there, as
    landed in the US. So it goes only to an airport in the US: an aircraft turning back to
    Mexico (routing.MEXICAN_AIRPORTS) is refused, not recorded as an arrival."""
    if flight.status is FlightStatus.DIVERTED:
        assert flight.diversion is not None
        raise refuse(rules.FLIGHT_ALREADY_DIVERTED, f"flight {flight.flight_id} was diverted to "
                                                f"{flight.diversion[0]}")
    if flight.status is not FlightStatus.DEPARTED:
        raise refuse(rules.FLIGHT_NOT_IN_AIR, f"flight {flight.flight_id} is "
                                          f"{flight.status.value}")
    if routes.in_mexico(diverted_to):
        raise refuse(rules.DIVERSION_TO_MEXICO,
                     f"{diverted_to} is in Mexico: flight {flight.flight_id} would land everyone "
                     "aboard there as in the US; an aircraft that turns back has delivered "
                     "nobody")
    _not_in_future(diverted_at, now, "diverted_at")
    _not_before(diverted_at, _last_movement(flight), "diverted_at", "the flight's last movement")
    diverted = ev.FlightDiverted(flight_id=flight.flight_id, diverted_to=diverted_to,
                                 reason=reason, diverted_at=diverted_at)
    return Outcome(flights={flight.flight_id: (event(diverted, diverted_at),)})


def land(flight: FlightState, cases: Mapping[str, CaseState], airport: str,
         landed_at: datetime, now: datetime, routes: RouteTable) -> Outcome:
    """A landing at one stop (or at the diversion airport): those routed there get off."""
    if flight.status not in (FlightStatus.DEPARTED, FlightStatus.DIVERTED):
        raise refuse(rules.FLIGHT_NOT_IN_AIR, f"flight {flight.flight_id} is "
                                          f"{flight.status.value}")
    diverted = flight.diversion is not None
    if flight.diversion is not None:
        if airport != flight.diversion[0]:
            raise refuse(rules.AIRPORT_NOT_ON_ROUTE, f"flight {flight.flight_id} was diverted to "
                                                 f"{flight.diversion[0]}, not {airport}")
        getting_off = flight.aboard
        district = routes.primary_district(airport)
    else:
        stop = flight.stop(airport)
        if stop is None:
            raise refuse(rules.AIRPORT_NOT_ON_ROUTE, f"flight {flight.flight_id} does not stop at "
                                                 f"{airport}")
        if flight.landed_at(airport) is not None:
            raise refuse(rules.STOP_ALREADY_LANDED, f"flight {flight.flight_id} already landed at "
                                                f"{airport}")
        _earlier_stops_landed(flight, airport)
        getting_off = tuple(s for s in flight.aboard if s.airport == airport)
        district = stop.district
    _not_in_future(landed_at, now, "landed_at")
    _not_before(landed_at, _last_movement(flight), "landed_at", "the flight's last movement")
    _manifest_cases(flight, cases, (s.case_id for s in getting_off))
    landed = ev.FlightLanded(flight_id=flight.flight_id, landed_at=landed_at, airport=airport,
                             district=district, case_ids=tuple(s.case_id for s in getting_off))
    people = {s.case_id: (event(ev.PersonLanded(
        case_id=s.case_id, flight_id=flight.flight_id, landed_at=landed_at, airport=airport,
        district=s.district, diverted=diverted), landed_at),) for s in getting_off}
    return Outcome(cases=people, flights={flight.flight_id: (event(landed, landed_at),)})


def _earlier_stops_landed(flight: FlightState, airport: str) -> None:
    """Stops are landed at in the route's order; one with nobody left for it may be passed."""
    for stop in flight.stops:
        if stop.airport == airport:
            return
        waiting = [s.case_id for s in flight.aboard if s.airport == stop.airport]
        if waiting and flight.landed_at(stop.airport) is None:
            raise refuse(rules.STOP_OUT_OF_ORDER,
                         f"flight {flight.flight_id} has not landed at {stop.airport}, the "
                         f"earlier stop of {', '.join(waiting)}")


def cancel(flight: FlightState, cases: Mapping[str, CaseState], reason: str,
           now: datetime) -> Outcome:
    """A flight that has not left is cancelled; everyone on it returns to the pool."""
    _require_open(flight)
    aboard = _manifest_cases(flight, cases, flight.manifest)
    cancelled = ev.FlightCancelled(flight_id=flight.flight_id, reason=reason,
                                   case_ids=flight.manifest, cancelled_at=now)
    people = {c.case_id: (event(ev.RemovedFromManifest(
        case_id=c.case_id, flight_id=flight.flight_id, reason=FLIGHT_CANCELLED,
        detail=reason, removed_at=now, in_us_custody=c.custody is not None), now),)
        for c in aboard}
    return Outcome(cases=people, flights={flight.flight_id: (event(cancelled, now),)})


# --- facts from the neighbours ------------------------------------------------------------

def note_input(case: CaseState, flight: FlightState | None, item: facts.Input, now: datetime,
               routes: RouteTable) -> Outcome:
    """Record a judicial, assurance or intake fact; announce a change of eligibility; and
    take the person off an open manifest when a rule no longer holds. A fact that changes
    nothing (a redelivery, a clearance re-issued on the same terms) records nothing; a
    judicial act dated after the handover is recorded, and changes nothing."""
    late = _after_the_handover(case, item)
    model = _noted(case, item, now, late)
    noted = event(model, item.occurred_at)
    after = fold_case(case, (noted,))
    # A fact older than one its source stream already gave (a re-driven dead letter) is
    # recorded, so the audit sees it arrived, though the fold lets it change nothing.
    if after.facts == case.facts and not late and not superseded(case.facts, model):
        return Outcome()
    recorded = [noted]
    announcement = _announce(after, item.occurred_at, now, routes)
    if announcement is not None:
        recorded.append(announcement)
        after = fold_case(after, (announcement,))
    outcome = Outcome(cases={item.case_id: tuple(recorded)})
    # Judged today, even for a place booked on a flight whose scheduled departure has passed:
    # until its departure is recorded, Runway cannot tell a transfer entered after the fact
    # from a flight delayed on the ground, and keeping a released person aboard is the worse
    # error. A transfer entered after the fact gets its person back at the handover, which is
    # judged on its own date (`_reseatable`).
    failing = rules.failing_ids(after.facts, after.judged_on(legal_date(now)))
    if after.on_open_manifest and failing:
        outcome += _automatic_removal(after, flight, failing, item)
    elif after.on_open_manifest and _destination_changed(after):
        outcome += _rerouted(after, flight, item)
    return outcome


def _destination_changed(case: CaseState) -> bool:
    """Judicial now names another charging district than the one the person is booked to."""
    assert case.booking is not None
    district = case.facts.district
    return district is not None and district != case.booking.destination_district


def _rerouted(case: CaseState, flight: FlightState | None, item: facts.Input) -> Outcome:
    """Each person goes to their own charging district: booked for another, they come off the
    flight (and may be booked again, to the new district's airport)."""
    assert case.booking is not None
    return _taken_off_after(case, flight, item, DESTINATION_CHANGED,
                            f"the charging district is now {case.facts.district}, not "
                            f"{case.booking.destination_district}")


def _taken_off_after(case: CaseState, flight: FlightState | None, item: facts.Input,
                     reason: str, why: str, failing: tuple[str, ...] = ()) -> Outcome:
    """Take the person off their open flight because of a neighbour's fact: dated at its
    legal time, never before the booking, and naming the event."""
    assert case.booking is not None
    if (flight is None or flight.flight_id != case.booking.flight_id
            or flight.status is not FlightStatus.SCHEDULED):
        raise RuntimeError(f"case {case.case_id} is booked on open flight "
                           f"{case.booking.flight_id}, which was not loaded as open")
    detail = f"{why} (after {item.source_event_type} {item.source_event_id})"
    return _take_off(case, flight, reason, detail,
                     max(item.occurred_at, case.booking.assigned_at), failing)


def _after_the_handover(case: CaseState, item: facts.Input) -> bool:
    """Mexico's act (judicial's) dated a day after the US Marshals took custody: the surrender
    was complete then, so it is noted but changes no fact: it takes nobody off a flight, nor
    keeps them off the next one (judicial, once it knows of the handover, refuses such acts).
    An act of the handover's own legal date (most are dated by day) counts as before it. A US
    act, such as a withdrawn assurance, still takes the person off until departure: nobody
    leaves without clearance."""
    return (case.custody_on is not None and item.source_event_type.startswith("judicial.")
            and legal_date(item.occurred_at) > case.custody_on)


def _automatic_removal(case: CaseState, flight: FlightState | None,
                       failing: tuple[str, ...], item: facts.Input) -> Outcome:
    return _taken_off_after(case, flight, item, rules.REMOVAL_REASON.get(failing[0], failing[0]),
                            rules.explain_all(failing, case.facts), failing)


def _announce(case: CaseState, at: datetime, now: datetime,
              routes: RouteTable) -> NewEvent | None:
    """`case_eligible` / `case_ineligible` when what holds the person back, judged today (a
    person in US custody: on the handover's day), differs from the last announced; dated `at`,
    the legal time of the act that changed it."""
    reasons = rules.failing_ids(case.facts, case.judged_on(legal_date(now)))
    district = None if reasons else case.facts.district
    if case.announced == Announcement(reasons, district):
        return None
    if reasons:
        return event(ev.CaseIneligible(case_id=case.case_id, reasons=reasons), at)
    airport = routes.airport_for(district)
    by_surrender = case.facts.transfer_authorized_at is None
    eligible = ev.CaseEligible(
        case_id=case.case_id, destination_district=district,
        destination_airport=None if airport is None else airport.code,
        eligible_since=at,
        pickup_deadline_on=case.facts.pickup_deadline_on if by_surrender else None)
    return event(eligible, at)


def _noted(case: CaseState, item: facts.Input, now: datetime, late: bool) -> ev.Noted:
    base = {"case_id": item.case_id, "source_event_type": item.source_event_type,
            "source_event_id": item.source_event_id, "noted_at": now, "after_handover": late,
            "source_stream": item.source_stream, "source_version": item.source_version}
    fact = item.fact
    suspensions = set(case.facts.suspensions)
    amparo_act = {**base, "act_on": legal_date(item.occurred_at)}
    match fact:
        case facts.PersonKnown():
            return ev.CaseNoted(**base, person_name=None, person_id=fact.person_id,
                                legal_basis=fact.legal_basis,
                                requesting_district=fact.district)
        case facts.SurrenderOrdered():
            return ev.SurrenderOrderNoted(
                **base, kind=fact.kind, ordered_on=fact.ordered_on,
                pickup_deadline_on=fact.pickup_deadline_on,
                requesting_district=fact.district, return_obligation=fact.return_obligation)
        case facts.TransferAuthorized():
            return ev.TransferAuthorizationNoted(**base, authorized_at=fact.authorized_at,
                                                 requesting_district=fact.district)
        case facts.SuspensionGranted():
            return ev.AmparoNoted(**amparo_act, amparo_id=fact.amparo_id,
                                  ruling="suspension_granted",
                                  active_suspensions=tuple(sorted(suspensions
                                                                  | {fact.amparo_id})),
                                  pickup_paused=fact.pickup_paused)
        case facts.AmparoDenied():
            active = (fact.active_suspensions if fact.active_suspensions is not None
                      else tuple(suspensions - {fact.amparo_id}))
            return ev.AmparoNoted(**amparo_act, amparo_id=fact.amparo_id, ruling="denied",
                                  active_suspensions=tuple(sorted(active)),
                                  pickup_deadline_on=fact.pickup_deadline_on)
        case facts.AmparoGranted():
            # As in judicial, a grant ends its own suspension: the order is annulled instead.
            return ev.AmparoNoted(**amparo_act, amparo_id=fact.amparo_id, ruling="granted",
                                  active_suspensions=tuple(sorted(suspensions
                                                                  - {fact.amparo_id})),
                                  ruled_on=fact.ruled_on)
        case facts.ClearanceGranted():
            return ev.ClearanceNoted(**base, cleared=True, basis=fact.basis,
                                     charge_ids=fact.charge_ids)
        case facts.ClearanceWithdrawn():
            return ev.ClearanceNoted(**base, cleared=False, reason=fact.reason,
                                     charge_ids=fact.charge_ids)
        case facts.Released():
            return ev.ReleaseNoted(**base, released_on=fact.released_on, reason=fact.reason)
        case facts.ReleaseVoided():
            return ev.ReleaseVoidNoted(**base, released_on=fact.released_on)
        case facts.PickupExpired():
            return ev.PickupExpiryNoted(**base, deadline_on=fact.deadline_on)
        case facts.ExpiryVoided():
            if fact.cause == "appeal":
                return ev.PickupExpiryVoidNoted(**base, deadline_on=fact.deadline_on,
                                                release_voided=fact.release_voided,
                                                appeal_filed_on=fact.act_on)
            return ev.PickupExpiryVoidByActNoted(
                **base, deadline_on=fact.deadline_on, release_voided=fact.release_voided,
                cause=fact.cause, act_on=fact.act_on)
        case facts.PlacedAtDisposal():
            return ev.PlacementNoted(**base, placed_on=fact.placed_on,
                                     pickup_deadline_on=fact.pickup_deadline_on)
        case facts.BasisChanged():
            return ev.BasisChangeNoted(
                **base, legal_basis=fact.legal_basis, changed_on=fact.changed_on,
                overtaken_suspensions=fact.overtaken_suspensions,
                active_suspensions=tuple(sorted(suspensions - set(fact.overtaken_suspensions))))
