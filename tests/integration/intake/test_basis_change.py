"""A treaty case overtaken by a national-security decision (Caro Quintero, 27 Feb 2025): the
operator's list shows the basis the case is on now, on both stores, and a database migrated
from before the basis moved takes it from the timeline."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Connection

from services.intake.consumers import on_case_event
from services.intake.service import SPEC
from shared.db import Database
from shared.migrate import alembic_config
from shared.service import ServiceRuntime
from tests.support.requests import request
from tests.support.service_app import off_kafka

CHANGED: dict[str, object] = {
    "changed_on": "2025-02-27", "from_basis": "treaty", "to_basis": "national_security",
    "reason": "transfer under the National Security Law", "authority": "Security Cabinet",
    "stopped_clocks": [], "overtaken_suspensions": ["A-1"], "pending_amparos": ["A-1"]}


async def consume(runtime: ServiceRuntime, event_type: str, case_id: str, at: datetime,
                  payload: dict[str, object]) -> None:
    """The judicial event through intake's own handler, in one transaction, as its consumer
    applies it off Kafka."""
    event = off_kafka("judicial", event_type, {"case_id": case_id, **payload}, case_id, at=at)
    async with runtime.database.transaction() as conn:
        await on_case_event(event, conn)


async def test_the_case_moves_to_the_new_basis_and_the_request_keeps_its_own(
        client: httpx.AsyncClient, runtime: ServiceRuntime) -> None:
    case_id = (await client.post("/cases", json=request())).json()["case_id"]
    change_at = datetime.now(UTC)
    await consume(runtime, "judicial.basis_changed", case_id, change_at, CHANGED)
    # An amparo act recorded before the change, arriving after it, moves nothing back.
    await consume(runtime, "judicial.amparo_suspension_granted", case_id,
                  change_at.replace(year=change_at.year - 1), {"amparo_id": "A-1"})

    shown = (await client.get(f"/cases/{case_id}")).json()
    assert (shown["legal_basis"], shown["status"]) == ("national_security", "basis_changed")
    assert shown["request"]["legal_basis"] == "treaty"
    [listed] = (await client.get("/cases", params={"status": "basis_changed"})).json()["cases"]
    assert (listed["case_id"], listed["legal_basis"]) == (case_id, "national_security")


def _to(config_url: str, revision: str, connection: Connection, *, down: bool = False) -> None:
    config = alembic_config(config_url, SPEC.migrations)
    config.attributes["connection"] = connection
    (command.downgrade if down else command.upgrade)(config, revision)


async def test_a_case_changed_before_the_migration_takes_its_basis_from_the_timeline(
        any_store_url: str) -> None:
    database = Database(any_store_url)
    at = datetime(2025, 2, 27, 15, tzinfo=UTC)
    try:
        async with database.transaction() as conn:
            await conn.run_sync(lambda c: _to(any_store_url, "intake_0003", c))
            await conn.execute(sa.text(
                "INSERT INTO intake_cases (case_id, legal_basis, requesting_district, status, "
                "clearance, submitted_at, updated_at, status_at, clearance_at) VALUES "
                "(:c, 'treaty', 'EDNY', 'amparo_suspension', 'pending', :t, :t, :t, :t)"),
                {"c": "RWY-CARO", "t": at.replace(year=2024)})
            event = off_kafka("judicial", "judicial.basis_changed",
                              {"case_id": "RWY-CARO", **CHANGED}, "RWY-CARO", at=at)
            await conn.execute(sa.text(
                "INSERT INTO intake_timeline (event_id, case_id, source, event_type, "
                "schema_version, stream_version, occurred_at, recorded_at, actor, data) VALUES "
                "(:e, 'RWY-CARO', '/runway/judicial', 'judicial.basis_changed', 1, 9, :t, :t, "
                "'op-17 (operator)', :d)"), {"e": event.event_id.hex, "t": at,
                                             "d": event.data_json})
            await conn.run_sync(lambda c: _to(any_store_url, "heads", c))
            basis = await conn.scalar(sa.text(
                "SELECT legal_basis FROM intake_cases WHERE case_id = 'RWY-CARO'"))
            assert basis == "national_security"
            await conn.run_sync(lambda c: _to(any_store_url, "intake_0003", c, down=True))
            basis = await conn.scalar(sa.text(
                "SELECT legal_basis FROM intake_cases WHERE case_id = 'RWY-CARO'"))
            assert basis == "treaty"
    finally:
        await database.dispose()
