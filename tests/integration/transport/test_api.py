"""The transport service in-process on real Kafka, on SQLite and on PostgreSQL.

Judicial, assurance and intake events are built with the producers' own payload models,
passed through the real CloudEvents encoding, and fed to the handlers wired in the service's
ServiceSpec inside a database transaction, the way the consumer runtime calls them.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from pydantic import BaseModel

from services.assurance import events as assurance
from services.intake.events import REQUEST_SUBMITTED, LegalBasis, RequestSubmitted
from services.judicial import events as judicial
from services.transport.service import SPEC
from services.transport.settings import TransportSettings, configure
from shared.clock import ManualClock
from shared.messaging.cloudevents import ConsumedEvent
from shared.service import ServiceRuntime
from tests.support.auth import auth_headers
from tests.support.people import sealed_person
from tests.support.requests import assert_refused_filter
from tests.support.service_app import api_client, feed, off_kafka, started_runtime
from tests.support.service_app import stored_with_topics as stored

OPERATOR = auth_headers("transport_officer", "officer-9")
NOW = datetime(2025, 8, 12, 15, 0, tzinfo=UTC)
TODAY = NOW.date()
BASE = "Mexico City (AIFA)"


@pytest.fixture
async def runtime(any_store_url: str, kafka: str) -> ServiceRuntime:
    # The built-in district table, whatever the environment says.
    return await started_runtime(SPEC, any_store_url, kafka, clock=ManualClock(NOW),
                                 configure=lambda rt: configure(rt, TransportSettings()))


@pytest.fixture
async def client(runtime: ServiceRuntime) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(runtime, OPERATOR) as http:
        yield http


def clock(runtime: ServiceRuntime) -> ManualClock:
    assert isinstance(runtime.clock, ManualClock)
    return runtime.clock


# --- the neighbours' events ---------------------------------------------------------------

def consumed(source: str, event_type: str, payload: BaseModel, case_id: str) -> ConsumedEvent:
    return off_kafka(source, event_type, payload.model_dump(mode="json"), case_id, at=NOW)


def judicial_event(payload: judicial.JudicialEvent) -> ConsumedEvent:
    return consumed("judicial", payload.EVENT_TYPE, payload, payload.case_id)


async def submitted(runtime: ServiceRuntime, case_id: str, district: str, name: str,
                    basis: LegalBasis) -> ConsumedEvent:
    """intake.request_submitted v2, the person sealed in the key store transport reads."""
    given, family = name.split(" ", 1)
    payload = RequestSubmitted(
        case_id=case_id, legal_basis=basis, requesting_district=district,
        prosecutor_office=f"USAO {district}", charges=(),
        person=await sealed_person(runtime.pii, given, family))
    return off_kafka("intake", REQUEST_SUBMITTED, payload.model_dump(mode="json"), case_id,
                     at=NOW, schema_version=2)


def surrender_ordered(case_id: str, district: str, deadline: date) -> ConsumedEvent:
    return judicial_event(judicial.SurrenderOrdered(
        case_id=case_id, legal_basis=judicial.LegalBasis.TREATY, requesting_district=district,
        ordered_on=deadline - timedelta(days=60), kind=judicial.SurrenderKind.FULL,
        pickup_days=60, pickup_deadline_on=deadline, return_obligation=False,
        granted_charge_ids=("c1",)))


def transfer_authorized(case_id: str, district: str) -> ConsumedEvent:
    return judicial_event(judicial.NationalSecurityTransferAuthorized(
        case_id=case_id, authorized_at=NOW - timedelta(days=2), us_request_reference="DOJ-1",
        authority="Gabinete de Seguridad", requesting_district=district))


def clearance_granted(case_id: str) -> ConsumedEvent:
    payload = assurance.ClearanceGranted(
        case_id=case_id, basis=assurance.ClearanceBasis.DOJ_COMMITMENT, charge_ids=("c1",),
        assurance_ids=(), doj_commitment_reference="DOJ-2025-08", cleared_since=NOW,
        granted_at=NOW)
    return consumed("assurance", assurance.CLEARANCE_GRANTED, payload, case_id)


def clearance_withdrawn(case_id: str) -> ConsumedEvent:
    payload = assurance.ClearanceWithdrawn(case_id=case_id, reason="assurance_withdrawn",
                                           charge_ids=("c1",), withdrawn_at=NOW)
    return consumed("assurance", assurance.CLEARANCE_WITHDRAWN, payload, case_id)


def suspension_granted(case_id: str, amparo_id: str) -> ConsumedEvent:
    return judicial_event(judicial.AmparoSuspensionGranted(
        case_id=case_id, amparo_id=amparo_id, granted_on=TODAY,
        active_suspensions=(amparo_id,)))


async def new_case(runtime: ServiceRuntime, district: str, *, name: str = "Roberto Salazar",
                   national_security: bool = False, cleared: bool = True,
                   deadline: date = TODAY + timedelta(days=20)) -> str:
    case_id = f"RWY-{uuid.uuid4().hex[:10].upper()}"
    basis = LegalBasis.NATIONAL_SECURITY if national_security else LegalBasis.TREATY
    await feed(runtime, await submitted(runtime, case_id, district, name, basis))
    await feed(runtime, transfer_authorized(case_id, district) if national_security
               else surrender_ordered(case_id, district, deadline))
    if cleared:
        await feed(runtime, clearance_granted(case_id))
    return case_id


async def payloads(runtime: ServiceRuntime, stream_id: str, event_type: str) -> list[Any]:
    async with runtime.database.connect() as conn:
        rows = await conn.execute(sa.text(
            "SELECT payload FROM events WHERE stream_id = :s AND event_type = :t "
            "ORDER BY version"), {"s": stream_id, "t": event_type})
        return [json.loads(r.payload) for r in rows]


async def event_count(runtime: ServiceRuntime) -> int:
    async with runtime.database.connect() as conn:
        return int(await conn.scalar(sa.text("SELECT count(*) FROM events")) or 0)


def refusal(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 409, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == "rule_violation"
    return body


async def schedule(client: httpx.AsyncClient, stops: list[str], capacity: int = 4,
                   departs: str = "2025-08-12T18:00:00Z") -> str:
    response = await client.post("/flights", json={
        "aircraft": "XC-MGA", "capacity": capacity, "departure_base": BASE,
        "scheduled_departure": departs, "stops": stops})
    assert response.status_code == 201, response.text
    return str(response.json()["flight_id"])


def custody_body(case_id: str, at: datetime = NOW - timedelta(minutes=30)) -> dict[str, Any]:
    return {"case_id": case_id, "transferred_at": at.isoformat(), "place": "AIFA apron",
            "mexican_officer": "FGR agent 12", "us_marshal": "Deputy US Marshal 7"}


# --- scenarios ----------------------------------------------------------------------------

async def test_a_planned_transfer_flies_each_person_to_their_district(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    people = {
        await new_case(runtime, "EDNY", name="Rafael Caro", national_security=True): "EDNY",
        await new_case(runtime, "EDNY", name="Abigael Gonzalez",
                       national_security=True): "EDNY",
        await new_case(runtime, "SDNY", name="Rosa Arce"): "SDNY",
        await new_case(runtime, "CDCA", name="Roberto Salazar", national_security=True): "CDCA",
        await new_case(runtime, "CDCA", name="Jose Perez"): "CDCA",
    }
    uncleared = await new_case(runtime, "SDCA", cleared=False)

    planned = await client.post("/transfers/plan", json={
        "case_ids": [*people, uncleared], "departure_base": BASE,
        "scheduled_departure": "2025-08-12T18:00:00Z",
        "aircraft": [{"aircraft": "XC-MGA", "capacity": 4},
                     {"aircraft": "XC-LJG", "capacity": 4}]})

    assert planned.status_code == 200, planned.text
    body = planned.json()
    assert body["summary"] == {"assigned": 5, "not_eligible": 1, "no_capacity": 0}
    by_case = {r["case_id"]: r for r in body["results"]}
    assert by_case[uncleared]["rules"] == ["death_penalty_clearance_missing"]
    assert {c: by_case[c]["destination_airport"] for c in people} == {
        c: "JFK" if d in ("EDNY", "SDNY") else "LAX" for c, d in people.items()}
    routes = {f["aircraft"]: (f["route"], len(f["manifest"])) for f in body["flights"]}
    assert routes == {"XC-LJG": (["JFK"], 3), "XC-MGA": (["LAX"], 2)}

    flights = {f["route"][0]: f["flight_id"] for f in body["flights"]}
    for case_id in people:
        flight_id = by_case[case_id]["flight_id"]
        handed = await client.post(f"/flights/{flight_id}/custody", json=custody_body(case_id))
        assert handed.status_code == 200, handed.text
    for flight_id in flights.values():
        departed = await client.post(f"/flights/{flight_id}/departure",
                                     json={"departed_at": NOW.isoformat()})
        assert departed.status_code == 200, departed.text
        assert departed.json()["status"] == "departed"
    clock(runtime).advance(timedelta(hours=6))
    for airport, flight_id in flights.items():
        landed = await client.post(f"/flights/{flight_id}/landing", json={
            "airport": airport, "landed_at": (NOW + timedelta(hours=5)).isoformat()})
        assert landed.status_code == 200, landed.text
        assert landed.json()["status"] == "landed"

    topic = runtime.events_topic
    for case_id, district in people.items():
        events = await stored(runtime, case_id)
        assert [t for t, _ in events][-4:] == [
            "transport.manifest_assigned", "transport.custody_transferred",
            "transport.person_departed", "transport.person_landed"]
        assert all(t == topic for _, t in events)
        [landed_payload] = await payloads(runtime, case_id, "transport.person_landed")
        assert landed_payload == {
            "case_id": case_id, "flight_id": by_case[case_id]["flight_id"],
            "landed_at": "2025-08-12T20:00:00Z", "district": district, "diverted": False,
            "airport": "JFK" if district in ("EDNY", "SDNY") else "LAX"}
        shown = (await client.get(f"/cases/{case_id}")).json()
        assert shown["status"] == "landed"
        assert shown["current_flight"]["landed"]["airport"] == landed_payload["airport"]
    assert [t for t, _ in await stored(runtime, flights["JFK"])] == [
        "transport.flight_scheduled", *["transport.flight_manifest_changed"] * 3,
        "transport.flight_departed", "transport.flight_landed"]
    jfk = (await client.get(f"/flights/{flights['JFK']}")).json()
    assert jfk["route"][0]["landed_at"] == "2025-08-12T20:00:00.000000Z"
    assert sorted(p["person_name"] for p in jfk["manifest"]) == \
        ["Abigael Gonzalez", "Rafael Caro", "Rosa Arce"]
    assert all(p["custody"]["us_marshal"] == "Deputy US Marshal 7" for p in jfk["manifest"])
    listed = (await client.get("/flights", params={"status": "landed"})).json()["flights"]
    assert {f["flight_id"] for f in listed} == set(flights.values())


async def test_a_suspension_after_assignment_takes_the_person_off_the_flight(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    suspended, withdrawn, staying = [await new_case(runtime, "EDNY") for _ in range(3)]
    flight_id = await schedule(client, ["JFK"])
    for case_id in (suspended, withdrawn, staying):
        assigned = await client.post(f"/flights/{flight_id}/manifest",
                                     json={"case_id": case_id})
        assert assigned.status_code == 200, assigned.text
    await client.post(f"/flights/{flight_id}/custody", json=custody_body(suspended))

    await feed(runtime, suspension_granted(suspended, "AMP-2025-77"))
    await feed(runtime, clearance_withdrawn(withdrawn))

    topic = runtime.events_topic
    assert (await stored(runtime, suspended))[-3:] == [
        ("transport.amparo_noted", topic), ("transport.case_ineligible", topic),
        ("transport.removed_from_manifest", topic)]
    [removed] = await payloads(runtime, suspended, "transport.removed_from_manifest")
    assert (removed["reason"], removed["rules"], removed["flight_id"]) == \
        ("amparo_suspension_active", ["amparo_suspension_active"], flight_id)
    assert "AMP-2025-77" in removed["detail"]
    [withdrawal] = await payloads(runtime, withdrawn, "transport.removed_from_manifest")
    assert (withdrawal["reason"], withdrawal["rules"]) == \
        ("clearance_withdrawn", ["death_penalty_clearance_missing"])
    flight = (await client.get(f"/flights/{flight_id}")).json()
    assert [p["case_id"] for p in flight["manifest"]] == [staying]
    assert {(r["case_id"], r["reason"]) for r in flight["removed"]} == {
        (suspended, "amparo_suspension_active"), (withdrawn, "clearance_withdrawn")}
    assert flight["seats_assigned"] == 1
    shown = (await client.get(f"/cases/{suspended}")).json()
    assert (shown["status"], shown["current_flight"]) == ("not_eligible", None)
    assert shown["eligibility"]["failing_rules"] == ["amparo_suspension_active"]
    assert shown["removals"][0]["reason"] == "amparo_suspension_active"
    async with runtime.database.connect() as conn:
        actor, causation = (await conn.execute(sa.text(
            "SELECT actor_subject, causation_id FROM events WHERE stream_id = :f "
            "ORDER BY version DESC LIMIT 1"), {"f": flight_id})).one()
    assert actor == "system:transport" and causation is not None


async def test_cancellation_returns_people_to_the_pool_for_another_flight(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    first, second = await new_case(runtime, "CDCA"), await new_case(runtime, "CDCA")
    cancelled = await schedule(client, ["LAX"])
    for case_id in (first, second):
        await client.post(f"/flights/{cancelled}/manifest", json={"case_id": case_id})
    await client.post(f"/flights/{cancelled}/custody", json=custody_body(first))
    pool = (await client.get("/cases", params={"status": "eligible"})).json()["cases"]
    assert pool == []

    response = await client.post(f"/flights/{cancelled}/cancellation",
                                 json={"reason": "aircraft unserviceable"})

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["manifest"]) == ("cancelled", [])
    [event] = await payloads(runtime, cancelled, "transport.flight_cancelled")
    assert sorted(event["case_ids"]) == sorted([first, second])
    [removed] = await payloads(runtime, first, "transport.removed_from_manifest")
    assert removed["reason"] == "flight_cancelled"
    pool = (await client.get("/cases", params={"status": "eligible"})).json()["cases"]
    assert sorted(c["case_id"] for c in pool) == sorted([first, second])
    eligible = (await client.get("/cases", params={"eligible": "true"})).json()["cases"]
    assert len(eligible) == 2
    replacement = await schedule(client, ["LAX"])
    for case_id in (first, second):
        again = await client.post(f"/flights/{replacement}/manifest",
                                  json={"case_id": case_id})
        assert again.status_code == 200, again.text
    shown = (await client.get(f"/cases/{first}")).json()
    assert shown["current_flight"]["flight_id"] == replacement
    # The US Marshals took `first` before the cancellation: they still hold them, and the
    # replacement flight carries that custody instead of a second handover.
    assert shown["us_custody"]["us_marshal"] == "Deputy US Marshal 7"
    assert shown["current_flight"]["custody"] == shown["us_custody"]
    manifest = (await client.get(f"/flights/{replacement}")).json()["manifest"]
    assert {m["case_id"]: m["custody"] is not None for m in manifest} == {first: True,
                                                                        second: False}
    again = await client.post(f"/flights/{replacement}/custody", json=custody_body(first))
    assert refusal(again)["rules"] == ["custody_already_transferred"]
    closed = await client.post(f"/flights/{cancelled}/manifest", json={"case_id": first})
    assert refusal(closed)["rules"] == ["flight_not_open"]


async def test_refused_commands_name_their_rules_and_write_nothing(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    ready = await new_case(runtime, "EDNY")
    also_ready = await new_case(runtime, "EDNY")
    uncleared = await new_case(runtime, "EDNY", cleared=False)
    angeleno = await new_case(runtime, "CDCA")
    unroutable = await new_case(runtime, "WDNC")
    suspended = await new_case(runtime, "EDNY", cleared=False)
    await feed(runtime, suspension_granted(suspended, "AMP-1"))
    flight_id = await schedule(client, ["JFK"], capacity=1)
    await client.post(f"/flights/{flight_id}/manifest", json={"case_id": ready})
    before = await event_count(runtime)

    def assign(case_id: str) -> Any:
        return client.post(f"/flights/{flight_id}/manifest", json={"case_id": case_id})

    assert refusal(await assign(uncleared))["rules"] == ["death_penalty_clearance_missing"]
    both = refusal(await assign(suspended))
    assert both["rules"] == ["death_penalty_clearance_missing", "amparo_suspension_active"]
    assert both["rule"] == "death_penalty_clearance_missing" and both["case_ids"] == [suspended]
    assert refusal(await assign(angeleno))["rules"] == ["destination_not_on_route"]
    assert refusal(await assign(unroutable))["rules"] == ["no_airport_for_district"]
    assert refusal(await assign(also_ready))["rules"] == ["flight_full"]
    assert refusal(await assign(ready))["rules"] == ["already_on_manifest"]
    stranger = await client.post(f"/flights/{flight_id}/custody",
                                 json=custody_body(also_ready))
    assert refusal(stranger)["rules"] == ["not_on_manifest"]
    early = refusal(await client.post(f"/flights/{flight_id}/departure",
                                      json={"departed_at": NOW.isoformat()}))
    assert (early["rules"], early["case_ids"]) == (["custody_not_transferred"], [ready])
    assert ready in early["detail"]
    grounded = await client.post(f"/flights/{flight_id}/landing",
                                 json={"airport": "JFK", "landed_at": NOW.isoformat()})
    assert refusal(grounded)["rules"] == ["flight_not_in_air"]
    assert await event_count(runtime) == before


async def test_concurrent_assignments_never_overfill_a_flight_or_double_book(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    first, second, third = [await new_case(runtime, "DAZ") for _ in range(3)]
    last_seat = await schedule(client, ["PHX"], capacity=1)
    one, another = await schedule(client, ["PHX"]), await schedule(client, ["PHX"])

    racing = await asyncio.gather(*(
        client.post(f"/flights/{last_seat}/manifest", json={"case_id": c})
        for c in (first, second)))
    doubled = await asyncio.gather(*(
        client.post(f"/flights/{flight_id}/manifest", json={"case_id": third})
        for flight_id in (one, another)))

    for pair in (racing, doubled):
        assert sorted(r.status_code for r in pair) == [200, 409], [r.text for r in pair]
        [loser] = [r.json() for r in pair if r.status_code == 409]
        # Whoever lost either saw the winner's commit (a rule) or raced it (a conflict).
        assert loser["error"] in ("rule_violation", "concurrency_conflict")
    assert len((await client.get(f"/flights/{last_seat}")).json()["manifest"]) == 1
    seats = [len((await client.get(f"/flights/{f}")).json()["manifest"]) for f in (one, another)]
    assert sorted(seats) == [0, 1]


async def test_the_pickup_window_follows_the_service_clock(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    closing = await new_case(runtime, "SDTX", deadline=TODAY + timedelta(days=2))
    # A flight leaving after the window closes: a place on it is judged on today's legal date
    # (one that left earlier, entered after the fact, is judged on its departure date).
    flight_id = await schedule(client, ["IAH"], departs="2025-08-17T18:00:00Z")
    listed = (await client.get("/cases", params={"eligible": "true"})).json()["cases"]
    assert [c["case_id"] for c in listed] == [closing]

    clock(runtime).advance(timedelta(days=2))

    late = await client.post(f"/flights/{flight_id}/manifest", json={"case_id": closing})
    assert refusal(late)["rules"] == ["pickup_window_expired"]
    shown = (await client.get(f"/cases/{closing}")).json()
    assert (shown["status"], shown["eligibility"]["failing_rules"]) == \
        ("not_eligible", ["pickup_window_expired"])
    assert (await client.get("/cases", params={"eligible": "true"})).json()["cases"] == []
    listed = (await client.get("/cases", params={"status": "not_eligible"})).json()["cases"]
    assert [c["case_id"] for c in listed] == [closing]


async def test_facts_arriving_out_of_order_or_twice_are_taken_once(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    case_id = f"RWY-{uuid.uuid4().hex[:10].upper()}"
    await feed(runtime, clearance_granted(case_id))  # assurance spoke before judicial
    order = surrender_ordered(case_id, "NDIL", TODAY + timedelta(days=30))
    await feed(runtime, order)
    await feed(runtime, order)
    await feed(runtime, judicial_event(judicial.CaseOpened(
        case_id=case_id, opened_at=NOW, legal_basis=judicial.LegalBasis.TREATY,
        requesting_district="NDIL", person_id="PER-ROSA", intake_event_id="e-1")))

    assert [t for t, _ in await stored(runtime, case_id)] == [
        "transport.clearance_noted", "transport.case_ineligible",
        "transport.surrender_order_noted", "transport.case_eligible",
        "transport.case_noted"]
    [eligible] = await payloads(runtime, case_id, "transport.case_eligible")
    assert eligible == {"case_id": case_id, "destination_district": "NDIL",
                        "destination_airport": "ORD", "eligible_since": "2025-08-12T15:00:00Z",
                        "pickup_deadline_on": "2025-09-11"}
    shown = (await client.get(f"/cases/{case_id}")).json()
    assert (shown["status"], shown["person_id"], shown["destination"]["airport"]) == \
        ("eligible", "PER-ROSA", "ORD")
    # Judicial names nobody: the name comes only from intake's sealed request.
    assert shown["person_name"] is None
    await feed(runtime, await submitted(runtime, case_id, "NDIL", "Rosa Arce",
                                        LegalBasis.TREATY))
    assert (await client.get(f"/cases/{case_id}")).json()["person_name"] == "Rosa Arce"


async def test_unknown_flights_and_cases_are_404(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    assert (await client.get("/flights/FLT-NOPE")).status_code == 404
    assert (await client.get("/cases/RWY-NOPE")).status_code == 404
    missing = await client.post("/flights/FLT-NOPE/departure",
                                json={"departed_at": NOW.isoformat()})
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    flight_id = await schedule(client, ["JFK"])
    unknown = await client.post(f"/flights/{flight_id}/manifest", json={"case_id": "RWY-NOPE"})
    assert unknown.status_code == 404
    assert "RWY-NOPE" in unknown.json()["detail"]


FLIGHT = {"aircraft": "XC-MGA", "capacity": 4, "departure_base": BASE,
          "scheduled_departure": "2025-08-12T18:00:00Z", "stops": ["JFK", "LAX"]}


@pytest.mark.parametrize(("changes", "field"), [
    ({"capacity": "4"}, ["capacity"]),
    ({"capacity": 0}, ["capacity"]),
    ({"stops": ["jfk"]}, ["stops", 0]),
    ({"stops": []}, ["stops"]),
    ({"stops": ["JFK", "JFK"]}, ["stops"]),
    ({"stops": ["JFK", "ZZZ"]}, ["stops", 1]),
    ({"scheduled_departure": "2025-08-12T18:00:00"}, ["scheduled_departure"]),
    ({"aircraft": "  "}, ["aircraft"]),
    ({"gate": 4}, ["gate"]),
])
async def test_a_bad_flight_is_a_422_naming_the_field(
    client: httpx.AsyncClient, runtime: ServiceRuntime, changes: dict[str, Any],
    field: list[str | int]
) -> None:
    response = await client.post("/flights", json={**FLIGHT, **changes})
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [["body", *field]]
    assert await event_count(runtime) == 0


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/transfers/plan", {"case_ids": ["A", "A"], "aircraft": [{"aircraft": "X", "capacity": 2}],
                         "departure_base": BASE, "scheduled_departure": NOW.isoformat()},
     ["case_ids"]),
    ("/transfers/plan", {"case_ids": ["A"], "aircraft": [], "departure_base": BASE,
                         "scheduled_departure": NOW.isoformat()}, ["aircraft"]),
    ("/flights/FLT-1/custody", {**custody_body("RWY-1"), "us_marshal": ""}, ["us_marshal"]),
    ("/flights/FLT-1/landing", {"airport": "JFK"}, ["landed_at"]),
    ("/flights/FLT-1/manifest", {}, ["case_id"]),
])
async def test_a_bad_command_body_is_a_422_naming_the_field(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], field: list[str]
) -> None:
    response = await client.post(path, json=body)
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [["body", *field]]


@pytest.mark.parametrize(("path", "parameter"), [("/cases", "status"), ("/cases", "eligible"),
                                                 ("/flights", "status")])
async def test_an_unknown_filter_value_is_a_422_naming_the_parameter(
        client: httpx.AsyncClient, path: str, parameter: str) -> None:
    await assert_refused_filter(client, path, parameter, "bogus")
