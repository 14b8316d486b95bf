"""A request's legal date (issue 13) through the API, on SQLite and on PostgreSQL: the
request_submitted event happened on the date of the US request or diplomatic note, so the
case timeline, in legal order, puts the request before a landing that came later in law
though it was recorded before the request was typed in."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx

from services.intake import read_model
from shared.eventstore import Actor, GlobalPosition, RecordedEvent
from shared.jsoncanon import canonical_json
from shared.legaltime import LegalTimeSettings, legal_date, start_of_legal_day
from shared.messaging.cloudevents import from_kafka, to_kafka
from shared.service import ServiceRuntime
from tests.support.requests import charge, request


def _landing(case_id: str, runtime: ServiceRuntime) -> RecordedEvent:
    """transport.person_landed two days ago, as transport would have published it."""
    landed_at = runtime.clock.now() - timedelta(days=2)
    payload = {"case_id": case_id, "flight_id": "FLT-9", "landed_at": landed_at.isoformat(),
               "airport": "JFK", "district": "EDNY"}
    return RecordedEvent(
        event_id=uuid.uuid4(), stream_id=f"{case_id}-transport", stream_type="transport_case",
        version=1, event_type="transport.person_landed", schema_version=1,
        payload_json=canonical_json(payload), occurred_at=landed_at,
        recorded_at=landed_at, actor=Actor("transport", "system"),
        correlation_id="c", causation_id=None, prev_hash="0" * 64, hash="1" * 64,
        position=GlobalPosition(0, 1))


async def _into_timeline(runtime: ServiceRuntime, event: RecordedEvent, source: str) -> None:
    record = to_kafka(event, topic="t", key=event.stream_id, source=source)
    async with runtime.command() as conn:
        await read_model.apply_to_timeline(conn, from_kafka(record.headers, record.value))


async def test_the_request_happened_on_its_legal_date_and_comes_first_on_the_timeline(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    zone = LegalTimeSettings().legal_timezone
    requested_on = legal_date(runtime.clock.now(), zone) - timedelta(days=10)
    response = await client.post("/cases", json=request(requested_on=requested_on.isoformat()))
    assert response.status_code == 201, response.text
    case_id = response.json()["case_id"]
    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["request"]["requested_on"] == requested_on.isoformat()

    async with runtime.database.connect() as conn:
        [submitted] = await runtime.store.read_stream(conn, case_id)
    assert submitted.occurred_at == start_of_legal_day(requested_on, zone)
    assert submitted.recorded_at > submitted.occurred_at + timedelta(days=9)

    await _into_timeline(runtime, submitted, "/runway/intake")
    await _into_timeline(runtime, _landing(case_id, runtime), "/runway/transport")
    timeline = (await client.get(f"/cases/{case_id}/timeline")).json()["events"]
    assert [e["event_type"] for e in timeline] == ["intake.request_submitted",
                                                  "transport.person_landed"]
    # The other axis: in the order Runway recorded them, each still with both times.
    by_recorded = (await client.get(f"/cases/{case_id}/timeline",
                                    params={"order": "recorded"})).json()
    assert by_recorded["order"] == "recorded"
    stamps = [e["recorded_at"] for e in by_recorded["events"]]
    assert stamps == sorted(stamps) and len(stamps) == 2
    refused = await client.get(f"/cases/{case_id}/timeline", params={"order": "sideways"})
    assert refused.status_code == 422 and "order" in refused.text


async def test_without_a_legal_date_the_request_counts_from_its_entry(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    case_id = (await client.post("/cases", json=request())).json()["case_id"]
    async with runtime.database.connect() as conn:
        [submitted] = await runtime.store.read_stream(conn, case_id)
    assert submitted.occurred_at == submitted.recorded_at
    assert (await client.get(f"/cases/{case_id}")).json()["request"]["requested_on"] is None


async def test_a_legal_date_after_today_is_a_422_naming_the_field(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    tomorrow = legal_date(runtime.clock.now(), LegalTimeSettings().legal_timezone) \
        + timedelta(days=1)
    response = await client.post("/cases", json=request(requested_on=tomorrow.isoformat()))
    assert response.status_code == 422
    assert [(p["loc"], p["type"]) for p in response.json()["detail"]] == [
        (["body", "requested_on"], "date_in_future")]


async def test_an_amendment_happened_on_the_superseding_indictments_date(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    """Review s10, left open then: an amendment counted from its entry, so a neighbour judged
    the counts it added as charged days after the superseding indictment that added them."""
    zone = LegalTimeSettings().legal_timezone
    today = legal_date(runtime.clock.now(), zone)
    requested_on = today - timedelta(days=20)
    case_id = (await client.post("/cases", json=request(
        requested_on=requested_on.isoformat()))).json()["case_id"]
    counts = [charge("c1"), charge("c2", capital=True)]

    def amendment(on: object) -> dict[str, object]:
        return {"charges": counts, "reason": "superseding indictment", "amended_on": str(on)}

    refused = [await client.put(f"/cases/{case_id}/charges", json=amendment(on))
               for on in (today + timedelta(days=1), requested_on - timedelta(days=1))]
    assert [[(p["loc"], p["type"]) for p in r.json()["detail"]] for r in refused] == [
        [(["body", "amended_on"], "date_in_future")],
        [(["body", "amended_on"], "dates_in_order")]]

    indicted_on = today - timedelta(days=5)
    answer = await client.put(f"/cases/{case_id}/charges", json=amendment(indicted_on))
    assert answer.status_code == 200, answer.text
    async with runtime.database.connect() as conn:
        [_, amended] = await runtime.store.read_stream(conn, case_id)
    assert amended.occurred_at == start_of_legal_day(indicted_on, zone)
    assert amended.payload["amended_on"] == indicted_on.isoformat()
    # A later amendment may not be dated before this one: the charges it replaces.
    earlier = await client.put(f"/cases/{case_id}/charges", json={
        **amendment(indicted_on - timedelta(days=1)), "charges": [charge("c1")]})
    assert earlier.status_code == 422 and "dates_in_order" in earlier.text
