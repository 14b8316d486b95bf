"""The transport service's events: its published contract (topic runway.transport.events).

Two kinds of streams (see the contract shared with the neighbours):

* per-case streams (stream type "transport_case", stream id = case id, Kafka key = case id):
  everything that happens to one person, so the operator's timeline (which reads
  `data.case_id`) shows it in order. The contract's events (`case_eligible`,
  `case_ineligible`, `manifest_assigned`, `removed_from_manifest`, `custody_transferred`,
  `person_departed`, `person_landed`) plus the `*_noted` events, which record the judicial,
  assurance and intake facts eligibility is decided from (the stream is its only input).
* flight streams (stream type "flight", stream id = flight id, Kafka key = flight id): the
  contract's `flight_scheduled`, `flight_departed`, `flight_landed`, `flight_diverted`,
  `flight_cancelled`, plus `flight_manifest_changed`, which lets the flight guard its own
  capacity with the event store's version check. Flight payloads carry `case_ids` lists, never
  a top-level `case_id`, so a flight event is not mistaken for one person's.

Event types are explicit strings, schema_version 1; `EVENT_MODELS` maps each to its payload.
Payload additions beyond the contract are marked "additive"; readers ignore unknown fields.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import Field

from shared.legal_time_kinds import LegalTime, cause, doc, entry, with_act
from shared.payloads import Frozen

SCHEMA_VERSION = 1
CASE_STREAM = "transport_case"
FLIGHT_STREAM = "flight"


class TransportEvent(Frozen):
    EVENT_TYPE: ClassVar[str]


# --- per-case events of the contract -----------------------------------------------------

class CaseEligible(TransportEvent):
    """Every eligibility rule holds (again); the person is in the pool for a flight."""

    EVENT_TYPE = "transport.case_eligible"
    case_id: str
    destination_district: str | None
    destination_airport: str | None = Field(description="null when no airport is configured "
                                                        "for the district")
    eligible_since: datetime
    pickup_deadline_on: date | None = Field(description="surrender orders: the first day on "
                                                        "which the US may no longer collect")


class CaseIneligible(TransportEvent):
    EVENT_TYPE = "transport.case_ineligible"
    case_id: str
    reasons: tuple[str, ...] = Field(description="the eligibility rules that fail")


class ManifestAssigned(TransportEvent):
    EVENT_TYPE = "transport.manifest_assigned"
    case_id: str
    flight_id: str
    destination_airport: str
    destination_district: str
    assigned_at: datetime


class RemovedFromManifest(TransportEvent):
    EVENT_TYPE = "transport.removed_from_manifest"
    case_id: str
    flight_id: str
    reason: str = Field(description="amparo_suspension_active | clearance_withdrawn | "
                                    "released_from_custody | pickup_window_expired | "
                                    "surrender_not_ordered | flight_cancelled | "
                                    "removed_by_operator | destination_changed")
    detail: str
    removed_at: datetime
    rules: tuple[str, ...] = Field(default=(), description="additive: the eligibility rules "
                                                           "that failed, by their stable names")
    in_us_custody: bool = Field(default=False, description="additive: Mexico had handed the "
                                "person over, so the US Marshals keep them off the flight")


class CustodyTransferred(TransportEvent):
    EVENT_TYPE = "transport.custody_transferred"
    case_id: str
    flight_id: str
    transferred_at: datetime
    place: str
    mexican_officer: str
    us_marshal: str


class PersonDeparted(TransportEvent):
    EVENT_TYPE = "transport.person_departed"
    case_id: str
    flight_id: str
    departed_at: datetime


class PersonLanded(TransportEvent):
    """The person is on US soil; court intake opens on this."""

    EVENT_TYPE = "transport.person_landed"
    case_id: str
    flight_id: str
    landed_at: datetime
    airport: str
    district: str = Field(description="the person's charging district")
    diverted: bool = Field(default=False, description="additive: landed at a diversion airport")


# --- per-case facts noted from the neighbours' events -------------------------------------

class Noted(TransportEvent):
    case_id: str
    source_event_type: str = Field(description="the consumed ce_type, e.g. "
                                               "judicial.surrender_ordered.v1")
    source_event_id: str
    noted_at: datetime
    after_handover: bool = Field(
        default=False, description="a judicial act dated after the US Marshals took custody: "
        "noted, but it changes no fact (Mexico's surrender was complete)")
    source_stream: str | None = Field(
        default=None, description="additive: the consumed event's stream, as "
        "'<stream type>:<stream id>' (e.g. judicial_case:RWY-1); null in events noted before "
        "it was kept")
    source_version: int | None = Field(
        default=None, description="additive: the consumed event's version in that stream. A "
        "fact noted after a newer event of the same stream (a dead letter re-driven late) is "
        "on record, but changes none of the facts the newer one stated; null in events noted "
        "before it was kept")


class CaseNoted(Noted):
    """Who the person is and where they are wanted (intake's request, judicial's case)."""

    EVENT_TYPE = "transport.case_noted"
    person_name: str | None = Field(description="no longer filled: names stay sealed in "
                                                "intake's request; older events may carry one")
    legal_basis: str | None
    requesting_district: str | None
    person_id: str | None = Field(default=None,
                                  description="the person's id in intake's sealed request")


class SurrenderOrderNoted(Noted):
    EVENT_TYPE = "transport.surrender_order_noted"
    kind: str = Field(description="full | temporary | deferred (deferred does not count)")
    ordered_on: date
    pickup_deadline_on: date
    requesting_district: str
    return_obligation: bool


class TransferAuthorizationNoted(Noted):
    EVENT_TYPE = "transport.transfer_authorization_noted"
    authorized_at: datetime
    requesting_district: str


class AmparoNoted(Noted):
    EVENT_TYPE = "transport.amparo_noted"
    amparo_id: str
    ruling: Literal["suspension_granted", "denied", "granted"] = Field(
        description="denied: a first-instance denial (its suspension holds until final), or, "
                    "noted from judicial.amparo_suspension_lifted, the denial become final")
    active_suspensions: tuple[str, ...] = Field(description="suspensions in force afterwards")
    ruled_on: date | None = None
    pickup_deadline_on: date | None = Field(
        default=None, description="the pickup deadline, moved by the days a suspension paused it")
    pickup_paused: bool = Field(
        default=False, description="a granted suspension paused the pickup window (judicial's "
        "pickup_paused): it does not run out until a later act moves its deadline")
    act_on: date | None = Field(
        default=None, description="the legal date of the amparo act (its cause's legal time), "
        "so a suspension's span is known: a handover dated inside it is refused. Null in "
        "events noted before it was kept")


class BasisChangeNoted(Noted):
    """Judicial moved a treaty case to the national-security basis: the suspensions it
    overtook no longer hold the person."""

    EVENT_TYPE = "transport.basis_change_noted"
    legal_basis: str = Field(description="the basis the case moved to")
    changed_on: date
    overtaken_suspensions: tuple[str, ...]
    active_suspensions: tuple[str, ...] = Field(description="suspensions in force afterwards")


class ClearanceNoted(Noted):
    EVENT_TYPE = "transport.clearance_noted"
    cleared: bool
    basis: str | None = None
    reason: str | None = Field(default=None, description="why it was withdrawn")
    charge_ids: tuple[str, ...] = ()


class ReleaseNoted(Noted):
    EVENT_TYPE = "transport.release_noted"
    released_on: date
    reason: str


class ReleaseVoidNoted(Noted):
    """Judicial voided a release: the step that stopped the provisional clock (the formal
    request) came before its deadline, though entered after the lapse was recorded."""

    EVENT_TYPE = "transport.release_void_noted"
    released_on: date = Field(description="the voided release's date")


class PickupExpiryNoted(Noted):
    EVENT_TYPE = "transport.pickup_expiry_noted"
    deadline_on: date


class PickupExpiryVoidNoted(Noted):
    """Judicial voided its expiry (and the release with it, when `release_voided`): an appeal
    filed in time kept the suspension, and the window with it, in force."""

    EVENT_TYPE = "transport.pickup_expiry_void_noted"
    deadline_on: date = Field(description="the voided expiry's date")
    release_voided: bool
    appeal_filed_on: date = Field(description="the appeal that kept the suspension in force")


class PickupExpiryVoidByActNoted(Noted):
    """Judicial voided its expiry (and the release with it, when `release_voided`) for another
    act than an appeal: one dated before the expiry and entered after it that held or moved
    the window (`earlier_act`: a suspension, a grant against the order's execution, a
    placement at the US's disposal), or the handover, which came before it (`handover`)."""

    EVENT_TYPE = "transport.pickup_expiry_void_by_act_noted"
    deadline_on: date = Field(description="the voided expiry's date")
    release_voided: bool
    cause: Literal["earlier_act", "handover"] = Field(description="what showed it void")
    act_on: date = Field(description="that act's date, before the expiry")


class PlacementNoted(Noted):
    EVENT_TYPE = "transport.placement_noted"
    placed_on: date = Field(description="judicial's day the person was placed at the US's "
                                        "disposal")
    pickup_deadline_on: date = Field(description="the pickup deadline from then on")


# --- flight events ---------------------------------------------------------------------------

class Stop(Frozen):
    airport: str
    district: str | None = Field(description="the district the stop serves (the first, "
                                             "alphabetically, when the airport serves several)")
    city: str | None = Field(default=None, description="additive")


class Seat(Frozen):
    case_id: str
    destination_airport: str
    destination_district: str


class FlightScheduled(TransportEvent):
    EVENT_TYPE = "transport.flight_scheduled"
    flight_id: str
    aircraft: str
    capacity: int
    departure_base: str
    scheduled_departure: datetime
    stops: tuple[Stop, ...]


class FlightManifestChanged(TransportEvent):
    """The flight's own record of its manifest (the per-case events say the same per
    person); appending it makes two concurrent assignments to one flight conflict."""

    EVENT_TYPE = "transport.flight_manifest_changed"
    flight_id: str
    assigned: tuple[Seat, ...] = ()
    removed: tuple[str, ...] = ()
    reason: str | None = None
    manifest_size: int
    changed_at: datetime


class FlightDeparted(TransportEvent):
    EVENT_TYPE = "transport.flight_departed"
    flight_id: str
    departed_at: datetime
    case_ids: tuple[str, ...]


class FlightLanded(TransportEvent):
    EVENT_TYPE = "transport.flight_landed"
    flight_id: str
    landed_at: datetime
    airport: str
    district: str | None
    case_ids: tuple[str, ...] = Field(description="those who got off there")


class FlightDiverted(TransportEvent):
    EVENT_TYPE = "transport.flight_diverted"
    flight_id: str
    diverted_to: str
    reason: str
    diverted_at: datetime = Field(description="additive")


class FlightCancelled(TransportEvent):
    EVENT_TYPE = "transport.flight_cancelled"
    flight_id: str
    reason: str
    case_ids: tuple[str, ...] = Field(description="returned to the eligible pool")
    cancelled_at: datetime = Field(description="additive")


CASE_EVENTS: tuple[type[TransportEvent], ...] = (
    CaseEligible, CaseIneligible, ManifestAssigned, RemovedFromManifest, CustodyTransferred,
    PersonDeparted, PersonLanded, CaseNoted, SurrenderOrderNoted, TransferAuthorizationNoted,
    AmparoNoted, ClearanceNoted, ReleaseNoted, ReleaseVoidNoted, PickupExpiryNoted,
    PickupExpiryVoidNoted, PickupExpiryVoidByActNoted, PlacementNoted, BasisChangeNoted,
)
FLIGHT_EVENTS: tuple[type[TransportEvent], ...] = (
    FlightScheduled, FlightManifestChanged, FlightDeparted, FlightLanded, FlightDiverted,
    FlightCancelled,
)
EVENT_MODELS: dict[str, type[TransportEvent]] = {
    model.EVENT_TYPE: model for model in (*CASE_EVENTS, *FLIGHT_EVENTS)
}


# Which time is each event's legal time (see shared/audit/legal_times.legal_times).
LEGAL_TIMES: dict[str, LegalTime] = {
    CaseNoted.EVENT_TYPE: cause(note="intake's request or judicial's case"),
    SurrenderOrderNoted.EVENT_TYPE: cause("ordered_on", note="judicial's surrender order"),
    TransferAuthorizationNoted.EVENT_TYPE: cause(
        "authorized_at", note="judicial's national-security authorization"),
    AmparoNoted.EVENT_TYPE: cause("ruled_on", note="judicial's amparo ruling"),
    ClearanceNoted.EVENT_TYPE: cause(note="assurance's clearance granted or withdrawn"),
    ReleaseNoted.EVENT_TYPE: cause("released_on", note="judicial's release"),
    ReleaseVoidNoted.EVENT_TYPE: cause(
        note="judicial's provisional lapse voided (dated at the lapse it voids)"),
    PickupExpiryNoted.EVENT_TYPE: cause("deadline_on", note="judicial's pickup expiry"),
    PickupExpiryVoidNoted.EVENT_TYPE: cause(
        "deadline_on", note="judicial's expiry voided by an appeal filed in time"),
    PickupExpiryVoidByActNoted.EVENT_TYPE: cause(
        note="judicial's expiry voided by an earlier act (dated at the expiry) or by the "
        "handover (dated at it)"),
    PlacementNoted.EVENT_TYPE: cause("placed_on", note="judicial's placement at disposal"),
    BasisChangeNoted.EVENT_TYPE: cause("changed_on", note="judicial's basis change"),
    CaseEligible.EVENT_TYPE: with_act("the fact noted (or the removal) that made it eligible"),
    CaseIneligible.EVENT_TYPE: with_act("the fact noted that made it ineligible"),
    ManifestAssigned.EVENT_TYPE: doc("assigned_at"),
    RemovedFromManifest.EVENT_TYPE: doc("removed_at"),
    CustodyTransferred.EVENT_TYPE: doc("transferred_at", "the handoff to US Marshals"),
    PersonDeparted.EVENT_TYPE: doc("departed_at"),
    PersonLanded.EVENT_TYPE: doc("landed_at"),
    FlightScheduled.EVENT_TYPE: entry("a plan; its departure is `scheduled_departure`"),
    FlightManifestChanged.EVENT_TYPE: doc("changed_at"),
    FlightDeparted.EVENT_TYPE: doc("departed_at"),
    FlightLanded.EVENT_TYPE: doc("landed_at"),
    FlightDiverted.EVENT_TYPE: doc("diverted_at"),
    FlightCancelled.EVENT_TYPE: doc("cancelled_at"),
}
