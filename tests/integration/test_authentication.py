"""Bearer tokens on a real service (intake, in-process on PostgreSQL): who gets in, what the
refused are told, what the event log records of who acted, and that no token is logged."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa

from services.intake.service import SPEC
from shared.security import AuthSettings, TokenIssuer
from shared.service import ServiceRuntime
from tests.support.auth import auth_headers
from tests.support.requests import request
from tests.support.service_app import api_client, started_runtime


@pytest.fixture
async def runtime(pg_url: str, kafka: str) -> ServiceRuntime:
    return await started_runtime(SPEC, pg_url, kafka)


@pytest.fixture
async def http(runtime: ServiceRuntime) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(runtime, {}) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def recorded_actors(runtime: ServiceRuntime) -> list[tuple[str, str]]:
    async with runtime.database.connect() as conn:
        rows = await conn.execute(sa.text("SELECT actor_subject, actor_role FROM events"))
        return [(str(r[0]), str(r[1])) for r in rows]


async def test_without_a_token_a_case_can_be_neither_read_nor_submitted(
        http: httpx.AsyncClient, runtime: ServiceRuntime) -> None:
    for response in (await http.get("/cases"), await http.post("/cases", json=request()),
                     await http.post("/cases", content=b"{not json")):
        assert response.status_code == 401
        assert response.json()["error"] == "unauthenticated"
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert await recorded_actors(runtime) == []
    assert (await http.get("/healthz")).status_code == 200, "liveness stays public"


async def test_an_expired_token_is_a_401_that_says_so(http: httpx.AsyncClient) -> None:
    stale = TokenIssuer(AuthSettings()).issue(
        "ana", ["operator"], ttl=timedelta(minutes=5),
        now=datetime.now(UTC) - timedelta(hours=1))
    response = await http.get("/cases", headers=bearer(stale))
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "detail": "token expired"}
    assert 'error_description="token expired"' in response.headers["www-authenticate"]


async def test_a_role_the_route_does_not_allow_is_a_403_naming_who_may(
        http: httpx.AsyncClient, runtime: ServiceRuntime) -> None:
    response = await http.post("/cases", json=request(), headers=auth_headers("auditor"))
    assert response.status_code == 403
    assert "operator" in response.json()["detail"]
    assert await recorded_actors(runtime) == [], "nothing was written"
    readable = await http.get("/cases", headers=auth_headers("auditor"))
    assert readable.status_code == 200, "auditors read everything"


async def test_the_event_records_the_token_subject_and_the_role_it_acted_under(
        http: httpx.AsyncClient, runtime: ServiceRuntime) -> None:
    token = TokenIssuer(AuthSettings()).issue("ana.lopez", ["auditor", "operator"])
    response = await http.post("/cases", json=request(), headers=bearer(token))
    assert response.status_code == 201, response.text
    assert await recorded_actors(runtime) == [("ana.lopez", "operator")]


async def test_no_token_reaches_the_logs_or_the_answers(
        http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    good = TokenIssuer(AuthSettings()).issue("ana", ["operator"])
    forged = good[:-6] + ("AAAAAA" if not good.endswith("AAAAAA") else "BBBBBB")
    caplog.set_level(logging.DEBUG)
    answers = [await http.post("/cases", json={"person": "x"}, headers=bearer(good)),
               await http.get("/cases", headers=bearer(forged)),
               await http.get("/cases/RWY-0000000000", headers=bearer(good))]
    assert [a.status_code for a in answers] == [422, 401, 404]
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert caplog.records, "the refusal was logged"
    for token in (good, forged):
        assert token not in logged
        assert all(token not in a.text for a in answers)
