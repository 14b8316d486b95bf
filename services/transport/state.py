"""The two aggregates as folds of their streams (pure; no I/O, no clock).

* CaseState (stream "transport_case", id = case id): the eligibility facts noted from the
  neighbours' events, what was last announced (eligible / ineligible), and the person's
  booking on a flight with its custody, departure and landing.
* FlightState (stream "flight", id = flight id): the schedule, route, manifest (seats),
  departure, diversion, landings and cancellation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from shared.folds import Fold
from shared.legaltime import legal_date

from . import events as ev

# --- the case ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """Everything eligibility is decided from, as the neighbours last said it."""

    person_id: str | None = None
    legal_basis: str | None = None
    district: str | None = None
    surrender_kind: str | None = None
    surrender_ordered_on: date | None = None
    pickup_deadline_on: date | None = None
    # The amparos whose standing grant annuls the surrender order: each holds the person
    # until reversed on appeal (or a new order is made), whatever the others do.
    annulments: tuple[str, ...] = ()
    transfer_authorized_at: datetime | None = None
    suspensions: tuple[str, ...] = ()  # amparo ids with a suspension in force, sorted
    # When each suspension held: (amparo id, from, until; None while it holds), from the
    # acts' legal dates (those noted before they were kept have none).
    suspension_spans: tuple[tuple[str, date, date | None], ...] = ()
    cleared: bool = False
    clearance_basis: str | None = None
    clearance_withdrawal: str | None = None  # why it was last withdrawn
    released: tuple[date, str] | None = None  # (released_on, reason)
    pickup_expired: bool = False
    pickup_expired_on: date | None = None  # the legal date judicial's expiry is dated at
    # A suspension paused the pickup window (LEI art. 35, frozen while it holds): it does not
    # run out until judicial moves the deadline on when the last suspension ends.
    pickup_paused: bool = False
    # Which source event last set each group of facts (`_GROUPS`), as (source stream, group,
    # the event's version in that stream), sorted: an older event of the same stream noted
    # later (a dead letter re-driven) changes nothing in a group a newer one set. Facts noted
    # without a source version (before it was kept) neither set nor heed it.
    set_by: tuple[tuple[str, str, int], ...] = ()

    @property
    def surrender_annulled_by(self) -> str | None:
        return ", ".join(self.annulments) if self.annulments else None


@dataclass(frozen=True)
class Custody:
    transferred_at: datetime
    place: str
    mexican_officer: str
    us_marshal: str


@dataclass(frozen=True)
class Booking:
    flight_id: str
    destination_airport: str
    destination_district: str
    assigned_at: datetime
    departed_at: datetime | None = None
    landed: tuple[str, datetime, bool] | None = None  # (airport, landed_at, diverted)


@dataclass(frozen=True)
class Announcement:
    """What the last case_eligible / case_ineligible said."""

    reasons: tuple[str, ...]
    district: str | None


class CaseStatus(StrEnum):
    NOT_ELIGIBLE = "not_eligible"
    ELIGIBLE = "eligible"            # in the pool, on no flight
    ON_MANIFEST = "on_manifest"
    CUSTODY_TRANSFERRED = "custody_transferred"
    IN_TRANSIT = "in_transit"
    LANDED = "landed"


@dataclass(frozen=True)
class Removal:
    flight_id: str
    reason: str
    removed_at: datetime


@dataclass(frozen=True)
class CaseState:
    version: int = 0
    case_id: str = ""
    facts: Facts = field(default_factory=Facts)
    announced: Announcement | None = None
    eligible_since: datetime | None = None
    booking: Booking | None = None
    removals: tuple[Removal, ...] = ()
    # The US Marshals' custody, the case's, not the booking's: Mexico's handover is not undone
    # when the person comes off that flight (a cancellation, a withdrawn assurance), and their
    # next flight carries it.
    custody: Custody | None = None

    @property
    def exists(self) -> bool:
        return self.version > 0

    @property
    def on_open_manifest(self) -> bool:
        """Booked on a flight that has not left: the manifest can still change."""
        return self.booking is not None and self.booking.departed_at is None

    @property
    def custody_on(self) -> date | None:
        """The legal date the US Marshals took custody, if they have."""
        return None if self.custody is None else legal_date(self.custody.transferred_at)

    def judged_on(self, today: date) -> date:
        """The legal date Mexico's rules are judged on: today, or for a person already in the
        US Marshals' custody the day custody passed. The pickup window ends at the handover
        (domain brief, corrections), so an expiry or release dated after it, however soon
        judicial's event arrives, does not reach a person the US already holds."""
        return today if self.custody_on is None else min(today, self.custody_on)

    @property
    def transported(self) -> bool:
        return self.booking is not None and self.booking.landed is not None

    def booked_status(self) -> CaseStatus | None:
        booking = self.booking
        if booking is None:
            return None
        if booking.landed is not None:
            return CaseStatus.LANDED
        if booking.departed_at is not None:
            return CaseStatus.IN_TRANSIT
        if self.custody is not None:
            return CaseStatus.CUSTODY_TRANSFERRED
        return CaseStatus.ON_MANIFEST


def _known(event_type: str, payload: dict[str, Any]) -> ev.TransportEvent | None:
    """The event read through its model; None for a type this version does not know (both
    folds still count it, so versions stay aligned with the stream)."""
    model = ev.EVENT_MODELS.get(event_type)
    return None if model is None else model.model_validate(payload)


def apply_case(state: CaseState, event_type: str, payload: dict[str, Any]) -> CaseState:
    """The case after one event; unknown event types only count."""
    state = replace(state, version=state.version + 1)
    parsed = _known(event_type, payload)
    if parsed is None:
        return state
    case_id = payload.get("case_id")
    if isinstance(case_id, str):
        state = replace(state, case_id=case_id)
    return _apply_case(state, parsed)


def _facts(state: CaseState, **changes: Any) -> CaseState:
    return replace(state, facts=replace(state.facts, **changes))


def _with_booking(state: CaseState, **changes: Any) -> CaseState:
    assert state.booking is not None
    return replace(state, booking=replace(state.booking, **changes))


def _pickup_paused(facts: Facts, e: ev.AmparoNoted) -> bool:
    """Paused by a suspension judicial said paused it; running again once judicial moves the
    deadline on, or no suspension holds."""
    if e.ruling == "suspension_granted" and e.pickup_paused:
        return True
    if e.pickup_deadline_on is not None or not e.active_suspensions:
        return False
    return facts.pickup_paused


def _spans(facts: Facts, e: ev.AmparoNoted | ev.BasisChangeNoted
           ) -> tuple[tuple[str, date, date | None], ...]:
    """The suspensions' spans after an act on its legal date: one begins for a suspension now
    in force that was not; the open one ends for a suspension no longer in force (a basis
    change overtakes them)."""
    on = e.changed_on if isinstance(e, ev.BasisChangeNoted) else e.act_on
    if on is None:
        return facts.suspension_spans
    before, after = set(facts.suspensions), set(e.active_suspensions)
    spans = tuple((amparo, start, on if end is None and amparo in before - after else end)
                  for amparo, start, end in facts.suspension_spans)
    return (*spans, *((amparo, on, None) for amparo in sorted(after - before)))


def _pause_holds(facts: Facts, deadline: date) -> bool:
    """Whether a paused window stays paused under a moved deadline: as judicial holds it, only
    if the hold began before the deadline (one moved back before it ran out unpauses)."""
    began = [start for _, start, end in facts.suspension_spans if end is None]
    if not facts.pickup_paused or not began:
        return facts.pickup_paused  # no span known (noted before they were kept): as it was
    return min(began) < deadline


# --- facts in their source's order ---------------------------------------------------------
#
# Each neighbour's case stream is ordered, but transport may note its events out of that
# order: one it dead-lettered is noted when the operator re-drives it, after the later events
# of its stream were applied. Each group of facts is therefore kept as the newest event of
# that stream to state it left it: an older one, noted later, is on record and changes no
# fact of a group a newer one set (a re-driven grant does not undo the withdrawal after it).
# Streams of different services (judicial, assurance, intake) are not ordered with each other
# and stay independent: each is compared with itself only.

_GROUPS: dict[str, tuple[str, ...]] = {
    "person": ("person_id",),
    "district": ("district",),
    "basis": ("legal_basis",),
    "order": ("surrender_kind", "surrender_ordered_on"),
    "deadline": ("pickup_deadline_on",),
    "transfer": ("transfer_authorized_at",),
    "suspensions": ("suspensions", "suspension_spans"),
    "pause": ("pickup_paused",),
    "clearance": ("cleared", "clearance_basis", "clearance_withdrawal"),
    "release": ("released",),
    "expiry": ("pickup_expired", "pickup_expired_on"),
}
# Annulments are kept per suit (each grant holds the order until reversed, whatever the others
# do); an order ends those of the suits ruled on before it.
_ANNULMENTS = "annulments"
_ANNULMENT = "annulment:"


def _states(e: ev.Noted) -> tuple[str, ...]:
    """The groups of facts a noted event states."""
    match e:
        case ev.CaseNoted():
            # The basis is only filled in from the request (a basis change moves it).
            return (*(("person",) if e.person_id else ()),
                    *(("district",) if e.requesting_district else ()))
        case ev.SurrenderOrderNoted():
            return ("order", "deadline", "district", _ANNULMENTS)
        case ev.TransferAuthorizationNoted():
            return ("transfer", "district")
        case ev.AmparoNoted():
            # The pause, when the act says something of it (`_pickup_paused`).
            pauses = ((e.ruling == "suspension_granted" and e.pickup_paused)
                      or e.pickup_deadline_on is not None or not e.active_suspensions)
            return ("suspensions", *(("pause",) if pauses else ()),
                    *(("deadline",) if e.pickup_deadline_on is not None else ()),
                    *(() if e.ruling == "suspension_granted"
                      else (_ANNULMENT + e.amparo_id,)))
        case ev.ClearanceNoted():
            return ("clearance",)
        case ev.ReleaseNoted() | ev.ReleaseVoidNoted():
            return ("release",)
        case ev.PickupExpiryNoted():
            return ("expiry",)
        case ev.PickupExpiryVoidNoted() | ev.PickupExpiryVoidByActNoted():
            return ("expiry", *(("release",) if e.release_voided else ()))
        case ev.PlacementNoted():
            return ("deadline", "pause")
        case ev.BasisChangeNoted():
            return ("basis", "suspensions")
    return ()


def _set_by(facts: Facts, stream: str) -> dict[str, int]:
    """The version of the newest event of `stream` to set each group (as far as noted)."""
    return {group: version for s, group, version in facts.set_by if s == stream}


def superseded(facts: Facts, e: ev.TransportEvent) -> tuple[str, ...]:
    """The groups of facts a noted event states that a newer event of its source stream has
    set already: for them, it changes nothing. None for an event without its source version."""
    if not isinstance(e, ev.Noted) or e.source_stream is None or e.source_version is None:
        return ()
    version = e.source_version
    newest = _set_by(facts, e.source_stream)

    def newer(group: str) -> bool:
        return newest.get(group, version) > version

    return tuple(group for group in _states(e)
                 if newer(group) or (group.startswith(_ANNULMENT) and newer(_ANNULMENTS)))


def overtaken(facts: Facts, event_type: str, payload: dict[str, Any]) -> bool:
    """A noted fact every group of which a newer event of its source stream had set by the
    time it was noted (a dead letter re-driven late): on record, it changed no fact."""
    parsed = _known(event_type, payload)
    if not isinstance(parsed, ev.Noted):
        return False
    states = _states(parsed)
    return bool(states) and set(superseded(facts, parsed)) == set(states)


def _in_order(before: Facts, stated: Facts, e: ev.Noted) -> Facts:
    """The facts after a noted event (`stated`: as it states them over `before`), except in
    the groups a newer event of its source stream has set: those stay as they were."""
    stream, version = e.source_stream, e.source_version
    if stream is None or version is None:
        return stated  # noted before source versions were kept: as it was folded then
    stale = superseded(before, e)
    kept = {name: getattr(before, name) for group in stale for name in _GROUPS.get(group, ())}
    newest = _set_by(before, stream)
    annulments = stated.annulments
    if isinstance(e, ev.SurrenderOrderNoted):
        # A suit granted after the order (in its stream) still annuls it, re-driven or not.
        annulments = tuple(a for a in before.annulments
                           if newest.get(_ANNULMENT + a, version) > version)
    elif any(group.startswith(_ANNULMENT) for group in stale):
        annulments = before.annulments
    set_by = {(s, group): v for s, group, v in before.set_by}
    set_by.update({(stream, group): version for group in _states(e) if group not in stale})
    return replace(stated, **kept, annulments=annulments,
                   set_by=tuple(sorted((s, group, v) for (s, group), v in set_by.items())))


def _apply_case(state: CaseState, e: ev.TransportEvent) -> CaseState:
    if not isinstance(e, ev.Noted):
        return _apply_movement(state, e)
    if e.after_handover:
        return state  # Mexico's act after its surrender was complete: on record, no fact
    return replace(state, facts=_in_order(state.facts, _stated(state, e).facts, e))


def _stated(state: CaseState, e: ev.Noted) -> CaseState:
    """The facts as the noted event states them (`_in_order` then keeps the newer ones)."""
    match e:
        case ev.CaseNoted():
            f = state.facts
            # The request's basis, unless a basis change was noted first (topics are not
            # ordered between services): only a basis change moves it.
            return _facts(state, person_id=e.person_id or f.person_id,
                          legal_basis=f.legal_basis or e.legal_basis,
                          district=e.requesting_district or f.district)
        case ev.SurrenderOrderNoted():
            return _facts(state, surrender_kind=e.kind, surrender_ordered_on=e.ordered_on,
                          pickup_deadline_on=e.pickup_deadline_on,
                          district=e.requesting_district, annulments=())
        case ev.TransferAuthorizationNoted():
            return _facts(state, transfer_authorized_at=e.authorized_at,
                          district=e.requesting_district)
        case ev.AmparoNoted():
            annulled = state.facts.annulments
            others = tuple(a for a in annulled if a != e.amparo_id)
            # A grant annuls; a denial of the same suit is its grant reversed on appeal.
            if e.ruling == "granted":
                annulled = (*others, e.amparo_id)
            elif e.ruling == "denied":
                annulled = others
            deadline = e.pickup_deadline_on or state.facts.pickup_deadline_on
            return _facts(state, suspensions=tuple(sorted(e.active_suspensions)),
                          annulments=annulled, pickup_deadline_on=deadline,
                          pickup_paused=_pickup_paused(state.facts, e),
                          suspension_spans=_spans(state.facts, e))
        case ev.ClearanceNoted():
            return _facts(state, cleared=e.cleared, clearance_basis=e.basis,
                          clearance_withdrawal=None if e.cleared else e.reason)
        case ev.ReleaseNoted():
            return _facts(state, released=(e.released_on, e.reason))
        case ev.ReleaseVoidNoted():
            released = state.facts.released
            voided = released is not None and released[0] == e.released_on
            return _facts(state, released=None if voided else released)
        case ev.PickupExpiryNoted():
            return _facts(state, pickup_expired=True, pickup_expired_on=e.deadline_on)
        case ev.PickupExpiryVoidNoted() | ev.PickupExpiryVoidByActNoted():
            return _facts(state, pickup_expired=False, pickup_expired_on=None,
                          released=None if e.release_voided else state.facts.released)
        case ev.PlacementNoted():
            return _facts(state, pickup_deadline_on=e.pickup_deadline_on,
                          pickup_paused=_pause_holds(state.facts, e.pickup_deadline_on))
        case ev.BasisChangeNoted():
            return _facts(state, legal_basis=e.legal_basis,
                          suspensions=tuple(sorted(e.active_suspensions)),
                          suspension_spans=_spans(state.facts, e))
    return state


def _apply_movement(state: CaseState, e: ev.TransportEvent) -> CaseState:
    match e:
        case ev.CaseEligible():
            return replace(state, announced=Announcement((), e.destination_district),
                           eligible_since=e.eligible_since)
        case ev.CaseIneligible():
            return replace(state, announced=Announcement(e.reasons, None),
                           eligible_since=None)
        case ev.ManifestAssigned():
            return replace(state, booking=Booking(e.flight_id, e.destination_airport,
                                                  e.destination_district, e.assigned_at))
        case ev.RemovedFromManifest():
            removal = Removal(e.flight_id, e.reason, e.removed_at)
            return replace(state, booking=None, removals=(*state.removals, removal))
        case ev.CustodyTransferred():
            # The first handover is Mexico's (streams recorded before custody outlived the
            # booking may hold a second one, on a later flight).
            return replace(state, custody=state.custody or Custody(
                e.transferred_at, e.place, e.mexican_officer, e.us_marshal))
        case ev.PersonDeparted():
            return _with_booking(state, departed_at=e.departed_at)
        case ev.PersonLanded():
            return _with_booking(state, landed=(e.airport, e.landed_at, e.diverted))
    return state


# --- the flight -------------------------------------------------------------------------


class FlightStatus(StrEnum):
    NOT_SCHEDULED = "not_scheduled"
    SCHEDULED = "scheduled"  # open: the manifest may change
    DEPARTED = "departed"
    DIVERTED = "diverted"
    LANDED = "landed"        # everyone aboard has got off
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Stop:
    airport: str
    district: str | None
    city: str | None


@dataclass(frozen=True)
class Seat:
    case_id: str
    airport: str
    district: str


@dataclass(frozen=True)
class Landing:
    airport: str
    landed_at: datetime
    case_ids: tuple[str, ...]


@dataclass(frozen=True)
class FlightState:
    version: int = 0
    flight_id: str = ""
    aircraft: str = ""
    capacity: int = 0
    departure_base: str = ""
    scheduled_departure: datetime | None = None
    stops: tuple[Stop, ...] = ()
    seats: tuple[Seat, ...] = ()  # the manifest, in assignment order
    departed_at: datetime | None = None
    diversion: tuple[str, str, datetime] | None = None  # (airport, reason, diverted_at)
    landings: tuple[Landing, ...] = ()
    cancellation: tuple[str, datetime] | None = None  # (reason, cancelled_at)

    @property
    def exists(self) -> bool:
        return self.version > 0

    @property
    def manifest(self) -> tuple[str, ...]:
        return tuple(seat.case_id for seat in self.seats)

    def seat(self, case_id: str) -> Seat | None:
        return next((s for s in self.seats if s.case_id == case_id), None)

    @property
    def aboard(self) -> tuple[Seat, ...]:
        """After departure: those who have not got off yet."""
        off = {case_id for landing in self.landings for case_id in landing.case_ids}
        return tuple(seat for seat in self.seats if seat.case_id not in off)

    def stop(self, airport: str) -> Stop | None:
        return next((s for s in self.stops if s.airport == airport), None)

    def landed_at(self, airport: str) -> datetime | None:
        return next((lg.landed_at for lg in self.landings if lg.airport == airport), None)

    @property
    def diversion_landed_at(self) -> datetime | None:
        """The landing where the flight was diverted to: one after the diversion (the flight
        may have landed at that airport before, as an earlier stop)."""
        if self.diversion is None:
            return None
        airport, _reason, diverted_at = self.diversion
        return next((lg.landed_at for lg in self.landings
                     if lg.airport == airport and lg.landed_at >= diverted_at), None)

    @property
    def status(self) -> FlightStatus:
        if not self.exists:
            return FlightStatus.NOT_SCHEDULED
        if self.cancellation is not None:
            return FlightStatus.CANCELLED
        if self.departed_at is None:
            return FlightStatus.SCHEDULED
        if not self.aboard:
            return FlightStatus.LANDED
        return FlightStatus.DIVERTED if self.diversion is not None else FlightStatus.DEPARTED


def apply_flight(state: FlightState, event_type: str, payload: dict[str, Any]) -> FlightState:
    """The flight after one event; unknown event types only count."""
    state = replace(state, version=state.version + 1)
    parsed = _known(event_type, payload)
    return state if parsed is None else _apply_flight(state, parsed)


def _apply_flight(state: FlightState, e: ev.TransportEvent) -> FlightState:
    match e:
        case ev.FlightScheduled():
            return replace(state, flight_id=e.flight_id, aircraft=e.aircraft,
                           capacity=e.capacity, departure_base=e.departure_base,
                           scheduled_departure=e.scheduled_departure,
                           stops=tuple(Stop(s.airport, s.district, s.city) for s in e.stops))
        case ev.FlightManifestChanged():
            kept = tuple(s for s in state.seats if s.case_id not in e.removed)
            added = tuple(Seat(s.case_id, s.destination_airport, s.destination_district)
                          for s in e.assigned)
            return replace(state, seats=kept + added)
        case ev.FlightDeparted():
            return replace(state, departed_at=e.departed_at)
        case ev.FlightDiverted():
            return replace(state, diversion=(e.diverted_to, e.reason, e.diverted_at))
        case ev.FlightLanded():
            landing = Landing(e.airport, e.landed_at, e.case_ids)
            return replace(state, landings=(*state.landings, landing))
        case ev.FlightCancelled():
            return replace(state, cancellation=(e.reason, e.cancelled_at), seats=())
    return state


# --- the fold -------------------------------------------------------------------------------

# The repository, the audit's rebuild and the domain (over the events it has just decided)
# all fold a case or a flight through these.
CASE: Fold[CaseState] = Fold(CaseState, apply_case)
FLIGHT: Fold[FlightState] = Fold(FlightState, apply_flight)
