"""Requests that used to be 500s, found by fuzzing the services' OpenAPI documents
(tests/fuzz), now refused with a 422 naming the field; and the body limits on a real service:
a single request over 1 MiB is a 413, a realistic intake batch over 1 MiB is not. On real
PostgreSQL and Kafka, each service in-process."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.intake.service import SPEC as INTAKE
from services.transport.service import SPEC as TRANSPORT
from shared.service import ServiceRuntime
from shared.web.limits import MIB
from tests.support.auth import auth_headers
from tests.support.requests import request
from tests.support.service_app import api_client, started_runtime


@pytest.fixture
async def intake(pg_url: str, kafka: str) -> AsyncIterator[httpx.AsyncClient]:
    runtime = await started_runtime(INTAKE, pg_url, kafka)
    async with api_client(runtime, auth_headers("operator")) as http:
        yield http


@pytest.fixture
async def transport(pg_url: str, kafka: str) -> AsyncIterator[httpx.AsyncClient]:
    runtime: ServiceRuntime = await started_runtime(TRANSPORT, pg_url, kafka)
    async with api_client(runtime, auth_headers("transport_officer")) as http:
        yield http


def problems(response: httpx.Response) -> list[tuple[list[Any], str]]:
    assert response.status_code == 422, response.text
    return [(p["loc"], p["type"]) for p in response.json()["detail"]]


async def cases_stored(http: httpx.AsyncClient) -> int:
    count: int = (await http.get("/cases")).json()["count"]
    return count


async def test_an_offset_beyond_any_row_count_is_a_422(intake: httpx.AsyncClient) -> None:
    response = await intake.get("/cases", params={"offset": 10**21})
    assert problems(response) == [(["query", "offset"], "less_than_equal")]


@pytest.mark.parametrize("years", ["Infinity", "NaN", "1e400"])
async def test_a_penalty_that_is_not_a_finite_number_is_a_422(intake: httpx.AsyncClient,
                                                              years: str) -> None:
    body = json.dumps(request()).replace('"years": 20', f'"years": {years}')
    response = await intake.post("/cases", content=body,
                                 headers={"content-type": "application/json"})
    assert problems(response) == [(["body", "charges", 0, "max_penalty_us", "years"],
                                   "number_not_finite")]
    assert await cases_stored(intake) == 0


async def test_text_postgresql_cannot_store_is_a_422_and_nothing_is_written(
        intake: httpx.AsyncClient) -> None:
    response = await intake.post("/cases", json=request(prosecutor_office="USAO\x00EDNY"))
    assert problems(response) == [(["body", "prosecutor_office"], "string_not_storable")]
    assert await cases_stored(intake) == 0


async def test_too_many_aliases_to_seal_are_a_422(intake: httpx.AsyncClient) -> None:
    body = request()
    body["person"]["aliases"] = [f"alias {n}" for n in range(500)]
    assert problems(await intake.post("/cases", json=body)) == [
        (["body", "person", "aliases"], "too_long")]


async def test_one_request_over_a_mebibyte_is_a_413_but_a_big_batch_is_not(
        intake: httpx.AsyncClient) -> None:
    padded = request(prosecutor_office="x" * (MIB + 1))
    too_big = await intake.post("/cases", json=padded)
    assert too_big.status_code == 413
    assert too_big.json()["limit_bytes"] == MIB
    # 500 requests of ~3 KB each (long charge descriptions): 1.5 MB, within the batch limit.
    # Each is invalid on purpose (an unknown district), so the test writes nothing.
    item = request(district="NOWHERE", charges=[
        {**request()["charges"][0], "charge_id": f"c{n}", "description": "d" * 700}
        for n in range(3)])
    batch = {"requests": [item] * 500}
    assert len(json.dumps(batch)) > 1.4 * MIB
    response = await intake.post("/cases/batch", json=batch)
    assert response.status_code == 200, response.text[:300]
    assert response.json()["failed"] == 500


async def test_an_instant_outside_what_python_can_hold_in_utc_is_a_422(
        transport: httpx.AsyncClient) -> None:
    flight = {"aircraft": "XC-1", "capacity": 2, "departure_base": "AIFA", "stops": ["JFK"]}
    for instant, rule in [("9999-12-31T23:59:59-23:59", "less_than"),
                          ("0001-01-01T00:00:00+23:59", "greater_than_equal")]:
        response = await transport.post("/flights",
                                        json={**flight, "scheduled_departure": instant})
        assert problems(response) == [(["body", "scheduled_departure"], rule)]
    assert (await transport.get("/flights")).json()["count"] == 0


async def test_a_case_id_with_a_nul_is_a_422_not_a_database_error(
        transport: httpx.AsyncClient) -> None:
    response = await transport.post("/flights/FLT-1/custody", json={
        "case_id": "RWY-\x00", "transferred_at": "2025-08-12T10:00:00Z", "place": "AIFA",
        "mexican_officer": "A", "us_marshal": "B"})
    assert problems(response) == [(["body", "case_id"], "string_not_storable")]
