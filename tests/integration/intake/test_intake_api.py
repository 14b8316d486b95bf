"""The intake API in-process on real Kafka, on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any, get_args

import httpx
import pytest
import sqlalchemy as sa

from services.intake import read_model
from shared.service import ServiceRuntime
from tests.support.requests import assert_refused_filter, charge, request


async def test_submitted_request_becomes_a_case_with_an_event_for_kafka(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    response = await client.post("/cases", json=request(capital=True, reference="OIA-1"))
    assert response.status_code == 201, response.text
    case_id = response.json()["case_id"]
    assert response.headers["location"] == f"/cases/{case_id}"

    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["status"] == "submitted" and shown["version"] == 1
    assert shown["request"]["charges"][1]["death_penalty_possible"] is True
    assert shown["full_name"] == "Abigael González Valencia"
    async with runtime.database.connect() as conn:
        row = (await conn.execute(sa.text(
            "SELECT e.event_type, e.actor_subject, o.topic FROM events e "
            "JOIN outbox o ON o.event_position = e.position WHERE e.stream_id = :c"),
            {"c": case_id})).one()
    assert tuple(row) == ("intake.request_submitted", "op-17", runtime.events_topic)


async def test_invalid_request_names_every_field_and_rule_and_writes_nothing(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    enforced = {**charge("c2"), "sentence_remaining": {"years": 0.25}}  # 3 months left
    bad = request(charges=[charge("c1", mx_years=0.5), enforced], requesting_district="ZZZZ",
                  documents=[])
    response = await client.post("/cases", json=bad)
    assert response.status_code == 422
    found = {(tuple(p["loc"]), p["type"]) for p in response.json()["detail"]}
    assert found == {
        (("body", "charges", 0, "max_penalty_mx"), "dual_criminality"),
        (("body", "charges", 1, "sentence_remaining"), "sentence_remaining_too_short"),
        (("body", "requesting_district"), "known_us_district"),
        (("body", "documents"), "arrest_warrant_required"),
        (("body", "documents"), "diplomatic_note_or_provisional_arrest"),
    }
    async with runtime.database.connect() as conn:
        assert await conn.scalar(sa.text("SELECT count(*) FROM events")) == 0


async def test_missing_field_is_a_422_naming_it(client: httpx.AsyncClient) -> None:
    body = request()
    del body["legal_basis"]
    response = await client.post("/cases", json=body)
    assert response.status_code == 422
    assert ["body", "legal_basis"] in [e["loc"] for e in response.json()["detail"]]


async def test_batch_reports_each_item_and_one_bad_item_does_not_sink_the_rest(
    client: httpx.AsyncClient,
) -> None:
    items: list[dict[str, Any] | None] = [request(given=f"Person {i}", reference=f"B-{i}")
                                          for i in range(26)]
    items[3] = request(charges=[charge("c1", us_years=0.1)])
    items[7] = {"person": "not a person"}
    items[9] = request(reference="B-8")  # same reference as item 8
    items[11] = None  # not a request at all (a script's empty row): that item only
    response = await client.post("/cases/batch", json={"requests": items})
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["failed"]) == (22, 4)
    outcomes = {r["index"]: r for r in body["results"]}
    assert outcomes[3]["outcome"] == "invalid"
    assert outcomes[3]["errors"][0]["loc"] == ["body", "requests", 3, "charges", 0,
                                              "max_penalty_us"]
    assert outcomes[7]["outcome"] == "invalid"
    assert outcomes[9] | {"detail": None} == {"index": 9, "outcome": "rejected",
                                              "rule": "request_reference_unique",
                                              "detail": None}
    assert outcomes[11]["outcome"] == "invalid"
    assert outcomes[11]["errors"][0]["loc"] == ["body", "requests", 11]
    listed = (await client.get("/cases", params={"status": "submitted"})).json()
    assert listed["count"] == 22


async def test_amending_with_a_stale_version_is_a_409(client: httpx.AsyncClient) -> None:
    case_id = (await client.post("/cases", json=request())).json()["case_id"]
    amended = [charge("c1"), charge("c2", capital=True)]
    first = await client.put(f"/cases/{case_id}/charges", json={
        "charges": amended, "reason": "superseding indictment", "expected_version": 1})
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = await client.put(f"/cases/{case_id}/charges", json={
        "charges": [charge("c1")], "reason": "typo", "expected_version": 1})
    assert stale.status_code == 409
    assert stale.json()["error"] == "concurrency_conflict"
    unchanged = await client.put(f"/cases/{case_id}/charges", json={
        "charges": amended, "reason": "again"})
    assert unchanged.status_code == 409
    assert unchanged.json()["rule"] == "amendment_changes_nothing"
    # The same counts in another order are the same charges: nothing to record.
    reordered = await client.put(f"/cases/{case_id}/charges", json={
        "charges": amended[::-1], "reason": "reordered"})
    assert reordered.status_code == 409
    assert reordered.json()["rule"] == "amendment_changes_nothing"
    assert (await client.get(f"/cases/{case_id}")).json()["version"] == 2


async def test_unknown_case_is_a_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/cases/RWY-NOPE")).status_code == 404
    assert (await client.get("/cases/RWY-NOPE/timeline")).status_code == 404


async def test_one_reference_submitted_twice_at_once_is_one_case_and_one_409(
    client: httpx.AsyncClient,
) -> None:
    import asyncio

    body = request(reference="OIA-RACE")
    answers = await asyncio.gather(*(client.post("/cases", json=body) for _ in range(4)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 409, 409, 409], [a.text for a in answers]
    assert {a.json().get("rule") for a in answers if a.status_code == 409} == {
        "request_reference_unique"}
    listed = (await client.get("/cases")).json()["cases"]
    assert [c["request_reference"] for c in listed].count("OIA-RACE") == 1


@pytest.mark.parametrize("parameter", ["status", "clearance"])
async def test_an_unknown_filter_value_is_a_422_naming_the_parameter(
        client: httpx.AsyncClient, parameter: str) -> None:
    await assert_refused_filter(client, "/cases", parameter, "bogus")


async def test_every_filter_value_a_case_can_have_is_accepted(client: httpx.AsyncClient) -> None:
    statuses = {"submitted", *read_model.STATUS_AFTER.values(), *read_model.AMPARO_STATUSES}
    clearances = {"pending", *read_model.CLEARANCE_AFTER.values()}
    assert statuses == set(get_args(read_model.CaseStatus))
    assert clearances == set(get_args(read_model.Clearance))
    for status in sorted(statuses):
        assert (await client.get("/cases", params={"status": status})).status_code == 200
