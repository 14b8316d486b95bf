"""An erasure that reached the key store but not the case's log (intake died between the two)
is completed by intake's reconciler: the event appears, attributed to the officer, and the
services downstream blank the name. Intake and transport in-process on real Kafka, on SQLite
and on PostgreSQL, with their relays, consumers and background tasks running."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.intake.erasure import RECONCILED, ErasureReconciler
from services.intake.service import SPEC as INTAKE
from services.intake.settings import IntakeSettings, configure
from services.transport.service import SPEC as TRANSPORT
from shared.clock import ManualClock
from shared.eventstore import Actor, verify_stream
from shared.service import ServiceRuntime
from tests.support import infra
from tests.support.auth import auth_headers
from tests.support.kafka_read import wait_for
from tests.support.requests import request
from tests.support.service_app import api_client, started_runtime

START = datetime(2026, 3, 2, 9, tzinfo=UTC)
OFFICER = Actor("privacy-7", "privacy_officer")
GIVEN, FAMILY = "Zacarías Eleuterio", "Quintanilla Ybarra"
GRACE_S = 60


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def intake(any_store_url: str, kafka: str,
                 clock: ManualClock) -> AsyncIterator[ServiceRuntime]:
    runtime = await started_runtime(
        INTAKE, any_store_url, kafka, clock=clock, namespace=infra.fresh_namespace("er"),
        configure=lambda rt: configure(rt, IntakeSettings(erasure_reconcile_interval_s=0.05,
                                                          erasure_reconcile_after_s=GRACE_S)))
    yield runtime
    await runtime.close()


@pytest.fixture
async def transport_url(request: pytest.FixtureRequest, intake: ServiceRuntime,
                        tmp_path: Path) -> AsyncIterator[str]:
    """A database of transport's own on intake's backend."""
    if not intake.database.is_postgres:
        yield f"sqlite+aiosqlite:///{tmp_path / 'transport.db'}"
        return
    pg_server: str = request.getfixturevalue("pg_server")
    url = await infra.create_database(pg_server,
                                      template=request.getfixturevalue("pg_template"))
    yield url
    await infra.drop_database(pg_server, url)


@pytest.fixture
async def transport(transport_url: str, kafka: str,
                    intake: ServiceRuntime) -> AsyncIterator[ServiceRuntime]:
    """Transport on its own database, on intake's topics and key store."""
    runtime = await started_runtime(TRANSPORT, transport_url, kafka, clock=ManualClock(START),
                                    namespace=intake.settings.topic_namespace,
                                    keystore_url=intake.settings.resolved_keystore_url())
    yield runtime
    await runtime.close()


async def erasure_events(runtime: ServiceRuntime, case_id: str) -> list[dict[str, object]]:
    async with runtime.database.connect() as conn:
        rows = await conn.execute(sa.text(
            "SELECT * FROM events WHERE stream_id = :c AND event_type = "
            "'intake.personal_data_erased'"), {"c": case_id})
        return [dict(r._mapping) for r in rows]


async def test_an_erasure_whose_event_was_lost_is_completed_and_reaches_transport(
        intake: ServiceRuntime, transport: ServiceRuntime, clock: ManualClock) -> None:
    await transport.start_background()
    await intake.start_background()
    try:
        async with api_client(intake, auth_headers("operator", "op-17")) as operator, \
                api_client(transport, auth_headers("transport_officer")) as officer:
            created = await operator.post("/cases", json=request(given=GIVEN, family=FAMILY))
            assert created.status_code == 201, created.text
            case_id = created.json()["case_id"]
            person_id = (await operator.get(f"/cases/{case_id}")).json()[
                "request"]["person"]["person_id"]

            async def transport_shows(name: str) -> bool:
                shown = await officer.get(f"/cases/{case_id}")
                return shown.status_code == 200 and shown.json()["person_name"] == name

            await wait_for(lambda: transport_shows(f"{GIVEN} {FAMILY}"), timeout=60,
                           what="transport showing the name")

            # The crash window: the key store erased, the event never appended.
            erased = await intake.pii.erase(person_id, case_id=case_id, actor=OFFICER,
                                            reason="court order 2025-118")
            reconciler = ErasureReconciler(intake)
            assert await reconciler.reconcile() == 0  # too recent: a request may be in flight
            assert await erasure_events(intake, case_id) == []
            assert await transport_shows(f"{GIVEN} {FAMILY}")

            clock.advance(timedelta(seconds=GRACE_S + 1))  # the background round takes it
            await wait_for(lambda: transport_shows("[erased]"), timeout=60,
                           what="transport blanking the name")

            [event] = await erasure_events(intake, case_id)
            assert (event["actor_subject"], event["actor_role"], event["causation_id"]) == (
                "privacy-7", "privacy_officer", f"{RECONCILED}:{person_id}")
            payload = json.loads(str(event["payload"]))
            assert payload == {"case_id": case_id, "person_id": person_id,
                               "erased_at": payload["erased_at"],
                               "reason": "court order 2025-118"}
            assert datetime.fromisoformat(payload["erased_at"]) == erased.erased_at
            assert (await operator.get(f"/cases/{case_id}")).json()["full_name"] == "[erased]"

            # Idempotent: nothing more, whether or not the key store noted it as logged.
            assert await reconciler.reconcile() == 0
            async with intake.pii.database.transaction() as conn:
                await conn.execute(sa.text("UPDATE pii_erasures SET logged_at = NULL"))
            assert await reconciler.reconcile() == 0
            assert len(await erasure_events(intake, case_id)) == 1
            async with intake.pii.database.connect() as conn:
                assert await conn.scalar(sa.text(
                    "SELECT count(*) FROM pii_erasures WHERE logged_at IS NULL")) == 0
            async with intake.database.connect() as conn:
                assert verify_stream(await intake.store.read_stream(conn, case_id)) == []
        assert intake.background_failures() == []
    finally:
        await intake.stop_background()
        await transport.stop_background()


async def test_an_erasure_through_the_api_is_noted_as_logged(
        intake: ServiceRuntime) -> None:
    async with api_client(intake, auth_headers("operator", "op-17")) as operator:
        created = await operator.post("/cases", json=request(given=GIVEN, family=FAMILY))
        case_id = created.json()["case_id"]
        erased = await operator.post(f"/cases/{case_id}/personal-data/erasure",
                                     json={"reason": "court order"},
                                     headers=auth_headers("privacy_officer", "privacy-7"))
        assert erased.status_code == 200, erased.text
    clock_later = START + timedelta(days=1)
    assert await intake.pii.unlogged_erasures(erased_before=clock_later) == []
    assert await ErasureReconciler(intake).reconcile() == 0
