"""The transport read model, written in the same transaction as the events it reflects.

* transport_cases: one row per case: status, the rules failing by its facts, and the pickup
  deadline, so the clock's rule is applied when reading (no scheduler is needed for it);
* transport_flights: one row per flight with its view;
* transport_manifest: one row per (flight, person) ever assigned, with custody, departure,
  landing, or why they came off. Rebuilding means folding the streams again.

Names are not in these tables: answers take them from person_names (shared/pii/names.py),
which the intake consumer fills and an erasure blanks.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import iso_instant
from shared.dbtypes import UtcDateTime
from shared.eventstore import RecordedEvent
from shared.legaltime import legal_date
from shared.pii.names import name_of, names_of, person_names, shown_name
from shared.read_models import case_key, page, projected, upsert

from . import events as ev
from . import rules
from .routing import RouteTable
from .state import CaseState, CaseStatus, Facts, FlightState
from .view import case_view, custody_view, flight_view

metadata = sa.MetaData()


cases = sa.Table(
    "transport_cases", metadata,
    case_key(),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("eligible", sa.Boolean, nullable=False),
    sa.Column("failing_rules", sa.JSON, nullable=False),
    sa.Column("pickup_deadline_on", sa.Date, nullable=True),
    sa.Column("destination_district", sa.String(20), nullable=True),
    sa.Column("destination_airport", sa.String(10), nullable=True),
    sa.Column("flight_id", sa.String(40), nullable=True),
    *projected(),
)

flights = sa.Table(
    "transport_flights", metadata,
    sa.Column("flight_id", sa.String(40), primary_key=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("aircraft", sa.String(200), nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("seats_assigned", sa.Integer, nullable=False),
    sa.Column("scheduled_departure", UtcDateTime(), nullable=False),
    *projected(),
)

manifest = sa.Table(
    "transport_manifest", metadata,
    sa.Column("flight_id", sa.String(40), primary_key=True),
    sa.Column("case_id", sa.String(200), primary_key=True),
    sa.Column("destination_airport", sa.String(10), nullable=False),
    sa.Column("destination_district", sa.String(20), nullable=False),
    sa.Column("assigned_at", UtcDateTime(), nullable=False),
    sa.Column("custody", sa.JSON, nullable=True),
    sa.Column("departed_at", UtcDateTime(), nullable=True),
    sa.Column("landed_airport", sa.String(10), nullable=True),
    sa.Column("landed_at", UtcDateTime(), nullable=True),
    sa.Column("removed_at", UtcDateTime(), nullable=True),
    sa.Column("removal_reason", sa.String(60), nullable=True),
    sa.Column("removal_detail", sa.Text, nullable=True),
)


def clock_deadline(state: CaseState) -> date | None:
    """The pickup deadline the clock's rule reads, when that rule applies to the case: not on
    the national-security path, nor once the US Marshals hold the person (the window ended at
    the handover)."""
    facts = state.facts
    if (facts.transfer_authorized_at is not None or not rules.surrender_ground(facts)
            or state.custody_on is not None or facts.pickup_paused):
        return None
    return facts.pickup_deadline_on


def eligibility_columns(state: CaseState, view: dict[str, Any]) -> dict[str, Any]:
    """What a case row stores of eligibility: the view's failing rules, and the pickup
    deadline `_live` judges the clock's rule by as the days go by."""
    failing = view["eligibility"]["failing_rules"]
    return {"eligible": not failing, "failing_rules": failing,
            "pickup_deadline_on": clock_deadline(state)}


# --- projections --------------------------------------------------------------------------

async def project_case(conn: AsyncConnection, state: CaseState,
                       recorded: Sequence[RecordedEvent], routes: RouteTable,
                       now: datetime) -> None:
    facts = state.facts
    view = case_view(state, routes, legal_date(now))
    await upsert(conn, cases, {"case_id": state.case_id}, {
        "status": view["status"], **eligibility_columns(state, view),
        "destination_district": facts.district,
        "destination_airport": view["destination"]["airport"],
        "flight_id": None if state.booking is None else state.booking.flight_id,
        "version": state.version, "view": view,
        "updated_at": now})
    for event in recorded:
        await _project_manifest(conn, event, state)


async def _project_manifest(conn: AsyncConnection, event: RecordedEvent,
                            state: CaseState) -> None:
    model = ev.EVENT_MODELS.get(event.event_type)
    if model is None or model not in _MANIFEST_EVENTS:
        return
    e = model.model_validate(event.payload)
    if isinstance(e, ev.ManifestAssigned):
        await upsert(conn, manifest, {"flight_id": e.flight_id, "case_id": e.case_id}, {
            "destination_airport": e.destination_airport,
            "destination_district": e.destination_district, "assigned_at": e.assigned_at,
            # a person the US Marshals already hold (off an earlier flight) boards with it
            "custody": custody_view(state.custody), "departed_at": None,
            "landed_airport": None, "landed_at": None,
            "removed_at": None, "removal_reason": None, "removal_detail": None})
        return
    assert isinstance(e, ev.RemovedFromManifest | ev.CustodyTransferred | ev.PersonDeparted
                      | ev.PersonLanded)
    await conn.execute(manifest.update().where(
        manifest.c.flight_id == e.flight_id, manifest.c.case_id == e.case_id)
        .values(**_manifest_change(e)))


_MANIFEST_EVENTS = (ev.ManifestAssigned, ev.RemovedFromManifest, ev.CustodyTransferred,
                    ev.PersonDeparted, ev.PersonLanded)


def _manifest_change(e: ev.TransportEvent) -> dict[str, Any]:
    match e:
        case ev.RemovedFromManifest():
            return {"removed_at": e.removed_at, "removal_reason": e.reason,
                    "removal_detail": e.detail}
        case ev.CustodyTransferred():
            return {"custody": {"transferred_at": iso_instant(e.transferred_at), "place": e.place,
                                "mexican_officer": e.mexican_officer,
                                "us_marshal": e.us_marshal}}
        case ev.PersonDeparted():
            return {"departed_at": e.departed_at}
        case ev.PersonLanded():
            return {"landed_airport": e.airport, "landed_at": e.landed_at}
    return {}


async def project_flight(conn: AsyncConnection, state: FlightState, now: datetime) -> None:
    assert state.scheduled_departure is not None
    await upsert(conn, flights, {"flight_id": state.flight_id}, {
        "status": state.status.value, "aircraft": state.aircraft, "capacity": state.capacity,
        "seats_assigned": len(state.seats), "scheduled_departure": state.scheduled_departure,
        "version": state.version, "view": flight_view(state), "updated_at": now})


# --- queries ------------------------------------------------------------------------------

def _live(row: Any, today: date) -> dict[str, Any]:
    """The stored view with the clock's rule applied as of `today`."""
    view: dict[str, Any] = dict(row.view)
    failing = list(row.failing_rules)
    deadline: date | None = row.pickup_deadline_on
    explanations = dict(view["eligibility"]["explanations"])
    pickup = rules.PICKUP_WINDOW_EXPIRED.id
    if deadline is not None and today >= deadline and pickup not in failing:
        failing = sorted([*failing, pickup], key=rules.ELIGIBILITY_RULES.index)
        explanations[pickup] = rules.explain(pickup, Facts(pickup_deadline_on=deadline))
    view["eligibility"] = {"eligible": not failing, "failing_rules": failing,
                           "explanations": explanations, "as_of": today.isoformat()}
    if view["status"] in (CaseStatus.ELIGIBLE, CaseStatus.NOT_ELIGIBLE):
        view["status"] = (CaseStatus.NOT_ELIGIBLE if failing else CaseStatus.ELIGIBLE).value
    return view


async def get_case(conn: AsyncConnection, case_id: str, today: date) -> dict[str, Any] | None:
    row = (await conn.execute(sa.select(cases).where(cases.c.case_id == case_id))).first()
    if row is None:
        return None
    return {**_live(row, today), "person_name": await name_of(conn, case_id)}


def _clock_open(today: date) -> sa.ColumnElement[bool]:
    return sa.or_(cases.c.pickup_deadline_on.is_(None), cases.c.pickup_deadline_on > today)


def _case_filters(eligible: bool | None, status: CaseStatus | None, today: date,
                  held: Collection[str] = ()) -> list[sa.ColumnElement[bool]]:
    """`held`: the cases a waiting dead letter holds (holds.py), eligible by their row but
    not to fly."""
    filters: list[sa.ColumnElement[bool]] = []
    is_held = cases.c.case_id.in_(list(held))
    if eligible is True:
        filters.append(sa.and_(cases.c.eligible.is_(True), _clock_open(today),
                               sa.not_(is_held)))
    elif eligible is False:
        filters.append(sa.or_(cases.c.eligible.is_(False), sa.not_(_clock_open(today)),
                              is_held))
    is_eligible = cases.c.status == CaseStatus.ELIGIBLE.value
    if status is CaseStatus.ELIGIBLE:
        filters.append(sa.and_(is_eligible, _clock_open(today), sa.not_(is_held)))
    elif status is CaseStatus.NOT_ELIGIBLE:
        filters.append(sa.or_(cases.c.status == status.value,
                              sa.and_(is_eligible, sa.or_(sa.not_(_clock_open(today)),
                                                          is_held))))
    elif status is not None:
        filters.append(cases.c.status == status.value)
    return filters


async def list_cases(conn: AsyncConnection, *, eligible: bool | None,
                     status: CaseStatus | None, today: date, limit: int,
                     offset: int, held: Collection[str] = ()) -> list[dict[str, Any]]:
    query = (sa.select(cases, shown_name().label("person_name"))
             .select_from(cases.outerjoin(person_names,
                                          person_names.c.case_id == cases.c.case_id))
             .where(*_case_filters(eligible, status, today, held))
             .order_by(cases.c.case_id).limit(limit).offset(offset))
    found = []
    for row in await conn.execute(query):
        view = _live(row, today)
        found.append({"case_id": row.case_id, "status": view["status"],
                      "person_name": row.person_name,
                      "eligible": view["eligibility"]["eligible"],
                      "failing_rules": view["eligibility"]["failing_rules"],
                      "destination_district": row.destination_district,
                      "destination_airport": row.destination_airport,
                      "pickup_deadline_on": None if row.pickup_deadline_on is None
                      else row.pickup_deadline_on.isoformat(),
                      "flight_id": row.flight_id, "version": row.version})
    return found


def _manifest_entry(row: Any, names: dict[str, str | None]) -> dict[str, Any]:
    return {"case_id": row.case_id, "person_name": names.get(row.case_id),
            "destination_airport": row.destination_airport,
            "destination_district": row.destination_district,
            "assigned_at": iso_instant(row.assigned_at), "custody": row.custody,
            "departed_at": iso_instant(row.departed_at),
            "landed": None if row.landed_at is None else {
                "airport": row.landed_airport, "landed_at": iso_instant(row.landed_at)}}


async def get_flight(conn: AsyncConnection, flight_id: str) -> dict[str, Any] | None:
    view = await conn.scalar(sa.select(flights.c.view).where(flights.c.flight_id == flight_id))
    if view is None:
        return None
    rows = (await conn.execute(sa.select(manifest).where(manifest.c.flight_id == flight_id)
                               .order_by(manifest.c.assigned_at, manifest.c.case_id))).all()
    names = await names_of(conn, (r.case_id for r in rows if r.removed_at is None))
    aboard = [_manifest_entry(r, names) for r in rows if r.removed_at is None]
    removed = [{"case_id": r.case_id, "reason": r.removal_reason, "detail": r.removal_detail,
                "removed_at": iso_instant(r.removed_at)} for r in rows if r.removed_at]
    return {**dict(view), "manifest": aboard, "removed": removed}


async def list_flights(conn: AsyncConnection, *, status: str | None, limit: int,
                       offset: int) -> list[dict[str, Any]]:
    rows = await conn.execute(page(
        sa.select(flights).order_by(flights.c.scheduled_departure, flights.c.flight_id),
        (flights.c.status, status), limit=limit, offset=offset))
    return [{"flight_id": r.flight_id, "status": r.status, "aircraft": r.aircraft,
             "capacity": r.capacity, "seats_assigned": r.seats_assigned,
             "scheduled_departure": iso_instant(r.scheduled_departure),
             "route": [s["airport"] for s in r.view["route"]], "version": r.version}
            for r in rows]
