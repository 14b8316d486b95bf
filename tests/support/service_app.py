"""One service in-process for integration tests: its runtime on a real database and Kafka, an
HTTP client on its app, and other services' events as they come off Kafka."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from shared.clock import Clock, ManualClock
from shared.eventstore import Actor, GlobalPosition, RecordedEvent
from shared.jsoncanon import canonical_json
from shared.messaging.cloudevents import ConsumedEvent, KafkaRecord, from_kafka, to_kafka
from shared.pii.settings import PiiSettings
from shared.service import ServiceRuntime, ServiceSpec
from shared.settings import ServiceSettings
from shared.web.app import create_app
from tests.support.auth import auth_headers
from tests.support.infra import fresh_namespace


async def started_runtime(spec: ServiceSpec, pg_url: str, kafka: str, *,
                          clock: Clock | None = None, namespace: str | None = None,
                          configure: Callable[[ServiceRuntime], None] | None = None,
                          keystore_url: str | None = None,
                          ) -> ServiceRuntime:
    """The service's composition root on `pg_url` (PostgreSQL or SQLite), migrated, with its
    topics created. The personal-data key store is `keystore_url` (default: see
    default_keystore_url; pass the same URL to runtimes that must open each other's sealed
    data)."""
    settings = ServiceSettings(service_name=spec.name, service_database_url=pg_url,
                               kafka_bootstrap_servers=kafka,
                               topic_namespace=namespace or fresh_namespace(),
                               pii=PiiSettings(keystore_url=keystore_url
                                               or default_keystore_url(pg_url)))
    runtime = ServiceRuntime(spec, settings, clock=clock)
    if configure is not None:
        configure(runtime)
    await runtime.prestart()
    return runtime


def clerk_fixtures(spec: ServiceSpec, role: str, actor: str, *,
                   configure: Callable[[ServiceRuntime], None] | None = None
                   ) -> tuple[Any, Any]:
    """A conftest's `runtime` (the service on `any_store_url` at the test module's `clock`,
    `configure`d as started_runtime does, closed after the test) and `client` (an HTTP client
    acting as `actor` in `role`): `runtime, client = clerk_fixtures(SPEC, ...)`."""
    @pytest.fixture
    async def runtime(any_store_url: str, kafka: str,
                      clock: ManualClock) -> AsyncIterator[ServiceRuntime]:
        started = await started_runtime(spec, any_store_url, kafka, clock=clock,
                                        configure=configure)
        yield started
        await started.close()

    # The token is made in the fixture: a conftest is imported before the root conftest sets
    # up the run's token issuer.
    @pytest.fixture
    async def client(runtime: ServiceRuntime) -> AsyncIterator[httpx.AsyncClient]:
        async with api_client(runtime, auth_headers(role, actor)) as http:
            yield http

    return runtime, client


def default_keystore_url(store_url: str) -> str:
    """The service's own PostgreSQL database, or on SQLite a `keys.db` beside the service's
    file, as `make run` lays them out: a SQLite file has one writer at a time, and an erasure
    writes the key store while its command holds the service's write lock."""
    parsed = make_url(store_url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return store_url
    return parsed.set(database=str(Path(parsed.database).with_name("keys.db"))).render_as_string(
        hide_password=False)


@asynccontextmanager
async def api_client(runtime: ServiceRuntime, headers: dict[str, str]
                     ) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the service's app (no background relay or consumers)."""
    app = create_app(runtime, run_background=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport,
                                     base_url=f"http://{runtime.spec.name}",
                                     headers=headers) as http:
            yield http


def as_published(source: str, event_type: str, payload: dict[str, Any], case_id: str, *,
                 at: datetime, topic: str | None = None, version: int = 1,
                 schema_version: int = 1, event_id: uuid.UUID | None = None) -> KafkaRecord:
    """Another service's event as its relay puts it on Kafka (on `topic`, by default that
    service's un-namespaced events topic): a stored-event record of that service through the
    real CloudEvents encoding."""
    event = RecordedEvent(
        event_id=event_id or uuid.uuid4(), stream_id=case_id, stream_type=f"{source}_case",
        version=version, event_type=event_type, schema_version=schema_version,
        payload_json=canonical_json(payload), occurred_at=at, recorded_at=at,
        actor=Actor("op-17", "operator"), correlation_id=str(uuid.uuid4()), causation_id=None,
        prev_hash="0" * 64, hash="1" * 64, position=GlobalPosition(1, version))
    return to_kafka(event, topic=topic or f"runway.{source}.events", key=case_id,
                    source=f"/runway/{source}")


def off_kafka(source: str, event_type: str, payload: dict[str, Any], case_id: str, *,
              at: datetime, version: int = 1, schema_version: int = 1) -> ConsumedEvent:
    """Another service's event as a consumer reads it: through the real CloudEvents
    encoding, from a stored-event record of that service."""
    record = as_published(source, event_type, payload, case_id, at=at, version=version,
                          schema_version=schema_version)
    return from_kafka(record.headers, record.value)


async def feed(runtime: ServiceRuntime, event: ConsumedEvent) -> None:
    """Hand a consumed event to the service's own handler for its type (as wired in its
    ServiceSpec), inside one database transaction, the way the consumer runtime calls it."""
    [handler] = [h for spec in runtime.spec.consumers(runtime)
                 for ce, h in spec.handlers.items() if ce == event.ce_type]
    async with runtime.database.transaction() as conn:
        await handler(event, conn)


async def stored_with_topics(runtime: ServiceRuntime,
                             stream_id: str) -> list[tuple[str, str | None]]:
    """(event type, outbox topic) of a stream's events in the service's store, in order: what
    a command wrote, and whether each event went to the outbox in the same transaction."""
    async with runtime.database.connect() as conn:
        rows = await conn.execute(sa.text(
            "SELECT e.event_type, o.topic FROM events e "
            "LEFT JOIN outbox o ON o.event_position = e.position "
            "WHERE e.stream_id = :s ORDER BY e.version"), {"s": stream_id})
        return [(r.event_type, r.topic) for r in rows]


def refused_rule(response: httpx.Response) -> str:
    """The rule a 409 refusal names (fails on any other answer)."""
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["error"] == "rule_violation"
    return str(body["rule"])
