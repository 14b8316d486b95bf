"""The service skeleton on real PostgreSQL and Kafka: health, readiness, metrics, 409s."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel

from shared.eventstore import Actor, EventContext, NewEvent
from shared.security import TokenVerifier, load_matrix
from shared.service import ServiceRuntime, ServiceSpec
from shared.settings import ServiceSettings
from shared.web.app import Runtime, create_app
from shared.web.auth import Security
from tests.support.auth import auth_headers


class Note(BaseModel):
    expected_version: int
    text: str


def routes(_runtime: ServiceRuntime) -> Sequence[APIRouter]:
    router = APIRouter()

    @router.post("/notes/{stream_id}")
    async def add_note(stream_id: str, note: Note, rt: Runtime) -> dict[str, int]:
        async with rt.command() as conn:
            [event] = await rt.store.append(
                conn, stream_id=stream_id, stream_type="note",
                expected_version=note.expected_version,
                events=[NewEvent("test.note_added", {"text": note.text})],
                context=EventContext(Actor("tester", "operator")), topic=None)
        return {"version": event.version}

    return [router]


SKELETON_PERMISSIONS = """
roles: {operator: adds notes}
public: [GET /healthz, GET /readyz, GET /metrics]
services:
  skeleton:
    POST /notes/{stream_id}: [operator]
"""


@pytest.fixture
async def client(pg_url: str, kafka: str) -> AsyncIterator[httpx.AsyncClient]:
    spec = ServiceSpec(name="skeleton", title="Skeleton", default_port=0, routers=routes)
    settings = ServiceSettings(service_name="skeleton", service_database_url=pg_url,
                               kafka_bootstrap_servers=kafka)
    runtime = ServiceRuntime(spec, settings)
    await runtime.prestart()
    security = Security("skeleton", load_matrix(SKELETON_PERMISSIONS),
                        TokenVerifier(settings.auth))
    app = create_app(runtime, run_background=False, security=security)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://skeleton",
                                     headers=auth_headers("operator")) as http:
            yield http


async def test_stale_expected_version_is_a_409_naming_the_versions(
    client: httpx.AsyncClient,
) -> None:
    first = await client.post("/notes/n-1", json={"expected_version": 0, "text": "a"})
    assert first.status_code == 200 and first.json() == {"version": 1}
    winner = await client.post("/notes/n-1", json={"expected_version": 1, "text": "b"})
    stale = await client.post("/notes/n-1", json={"expected_version": 1, "text": "c"})

    assert winner.status_code == 200
    assert stale.status_code == 409
    assert stale.json() == {
        "error": "concurrency_conflict", "stream_id": "n-1", "expected_version": 1,
        "actual_version": 2, "detail": "stream 'n-1': expected version 1, actual 2"}


async def test_bad_input_is_a_422_naming_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/notes/n-2", json={"expected_version": "soon"})
    assert response.status_code == 422
    fields = {tuple(e["loc"]) for e in response.json()["detail"]}
    assert fields == {("body", "expected_version"), ("body", "text")}


async def test_health_readiness_and_metrics(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok", "service": "skeleton"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "kafka": True, "background": True}
    await client.post("/notes/n-3", json={"expected_version": 0, "text": "a"})
    metrics = (await client.get("/metrics")).text
    assert 'runway_http_requests_total{method="POST",route="/notes/{stream_id}",status="200"}' \
        in metrics
    assert "runway_relay_published_total" in metrics
