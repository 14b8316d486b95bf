"""A treaty case overtaken by a national-security decision (Caro Quintero, 27 Feb 2025): the
operator's list shows the basis the case is on now, on both stores, and a database migrated
from before the basis moved takes it from the timeline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

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


async def _timeline_row(conn: AsyncConnection, event_type: str,
                        payload: dict[str, object], at: datetime, version: int) -> None:
    source = event_type.split(".")[0]
    event = off_kafka(source, event_type, {"case_id": "RWY-CARO", **payload}, "RWY-CARO",
                      at=at)
    await conn.execute(sa.text(
        "INSERT INTO intake_timeline (event_id, case_id, source, event_type, schema_version, "
        "stream_version, occurred_at, recorded_at, actor, data) VALUES (:e, 'RWY-CARO', "
        ":source, :type, 1, :v, :t, :t, 'op-17 (operator)', :d)"),
        {"e": event.event_id.hex, "source": f"/runway/{source}", "type": event_type,
         "v": version, "t": at, "d": event.data_json})


async def _case_at_intake_0003(url: str, conn: AsyncConnection, status: str, *,
                               submitted: datetime, moved: datetime) -> None:
    """A database at intake_0003 holding case RWY-CARO as the consumer then left it."""
    await conn.run_sync(lambda c: _to(url, "intake_0003", c))
    await conn.execute(sa.text(
        "INSERT INTO intake_cases (case_id, legal_basis, requesting_district, status, "
        "clearance, submitted_at, updated_at, status_at, clearance_at) VALUES "
        "('RWY-CARO', 'treaty', 'EDNY', :status, 'pending', :s, :t, :t, :s)"),
        {"status": status, "s": submitted, "t": moved})


async def _case(conn: AsyncConnection) -> Any:
    return (await conn.execute(sa.text(
        "SELECT legal_basis, status, status_at, amparo_status, amparo_status_at, updated_at "
        "FROM intake_cases WHERE case_id = 'RWY-CARO'"))).one()


async def test_a_case_changed_before_the_migrations_takes_its_basis_and_status_from_the_timeline(
        any_store_url: str) -> None:
    """Recorded before intake_0004/0005: the SRE's grant, an amparo (the status then said
    amparo_pending), and the basis change (which moved nothing then)."""
    database = Database(any_store_url)
    granted, filed, changed = (datetime(2025, 2, day, 15, tzinfo=UTC) for day in (3, 10, 27))
    try:
        async with database.transaction() as conn:
            await _case_at_intake_0003(any_store_url, conn, "amparo_pending",
                                       submitted=granted.replace(day=1), moved=filed)
            await _timeline_row(conn, "judicial.sre_extradition_granted", {}, granted, 5)
            await _timeline_row(conn, "judicial.amparo_filed", {"amparo_id": "A-1"}, filed, 6)
            await _timeline_row(conn, "judicial.basis_changed", CHANGED, changed, 7)
            await conn.run_sync(lambda c: _to(any_store_url, "heads", c))
            row = await _case(conn)
            # The basis change set the suit aside: nothing holds the case.
            assert (row.legal_basis, row.status, row.amparo_status) == (
                "national_security", "basis_changed", None)
            # Stamped as the consumer now stamps them (what the audit's rebuild compares).
            assert [str(v)[:16] for v in (row.status_at, row.amparo_status_at,
                                          row.updated_at)] == [str(changed)[:16]] * 3
            await conn.run_sync(lambda c: _to(any_store_url, "intake_0003", c, down=True))
            row = (await conn.execute(sa.text(
                "SELECT legal_basis, status FROM intake_cases WHERE case_id = 'RWY-CARO'"))).one()
            assert tuple(row) == ("treaty", "basis_changed")
    finally:
        await database.dispose()


async def test_a_suspended_person_taken_off_a_flight_before_the_migration_awaits_transport(
        any_store_url: str) -> None:
    """Before intake_0005 the suspension was the status, and the removal it caused moved
    nothing; moved over, the suspension is shown over the stage the removal left, awaiting
    transport, which shows again once the suspension ends."""
    database = Database(any_store_url)
    ordered, assigned, filed, suspended, removed = (
        datetime(2026, 4, day, 15, tzinfo=UTC) for day in (10, 11, 12, 13, 14))
    try:
        async with database.transaction() as conn:
            await _case_at_intake_0003(any_store_url, conn, "amparo_suspension",
                                       submitted=datetime(2026, 1, 5, tzinfo=UTC),
                                       moved=suspended)
            await _timeline_row(conn, "judicial.surrender_ordered", {}, ordered, 8)
            await _timeline_row(conn, "transport.manifest_assigned", {}, assigned, 1)
            await _timeline_row(conn, "judicial.amparo_filed", {"amparo_id": "A-9"}, filed, 9)
            await _timeline_row(conn, "judicial.amparo_suspension_granted",
                                {"amparo_id": "A-9", "active_suspensions": ["A-9"]},
                                suspended, 10)
            await _timeline_row(conn, "transport.removed_from_manifest",
                                {"reason": "amparo_suspension_active"}, removed, 2)
            await conn.run_sync(lambda c: _to(any_store_url, "heads", c))
            row = await _case(conn)
    finally:
        await database.dispose()
    assert (row.status, row.amparo_status) == ("awaiting_transport", "amparo_suspension")
    assert [str(v)[:16] for v in (row.status_at, row.amparo_status_at, row.updated_at)] == [
        str(removed)[:16], str(suspended)[:16], str(removed)[:16]]
