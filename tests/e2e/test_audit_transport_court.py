"""Transport's and court's audit hooks against all five services as real processes: `runway
audit explain` names transport's eligibility rule, and the replay rebuilds both read models."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from shared.audit.hooks import discover_replays
from shared.audit.replay import ReplayReport, TableSpec, drop, replay, table_rows
from shared.db import Database
from shared.demo.api import Api
from shared.topology import SERVICES
from tests.support.journeys import national_security_authorised
from tests.support.kafka_read import wait_for
from tests.support.stack import Stack, stack_fixture

stack = stack_fixture(SERVICES)


@pytest.fixture(scope="module")
async def api(stack: Stack) -> AsyncIterator[Api]:
    client = Api({name: stack.url(name) for name in SERVICES})
    yield client
    await client.close()


async def authorised(api: Api, **overrides: Any) -> str:
    """A national-security case Mexico authorised to transfer; transport has noted it."""
    case_id = await national_security_authorised(api, **overrides)
    await api.wait("transport", f"/cases/{case_id}",
                   lambda c: c["facts"]["transfer_authorized_at"] is not None,
                   "transport noted the authorization")
    return case_id


async def fly(api: Api, case_id: str) -> None:
    await api.wait("transport", f"/cases/{case_id}",
                   lambda c: bool(c["eligibility"]["eligible"]), "eligible")
    flight = await api.post("transport", "/flights", {
        "aircraft": "JPATS N-7", "capacity": 4, "departure_base": "Toluca",
        "scheduled_departure": (datetime.now(UTC) + timedelta(hours=3)).isoformat(),
        "stops": ["JFK"]})
    path = f"/flights/{flight['flight_id']}"
    await api.post("transport", f"{path}/manifest", {"case_id": case_id})
    await api.post("transport", f"{path}/custody", {
        "case_id": case_id, "transferred_at": datetime.now(UTC).isoformat(),
        "place": "Toluca", "mexican_officer": "FGR 3", "us_marshal": "USMS 4"})
    await api.post("transport", f"{path}/departure", {"departed_at": datetime.now(UTC).isoformat()})
    await api.post("transport", f"{path}/landing",
                   {"airport": "JFK", "landed_at": datetime.now(UTC).isoformat()})
    await api.wait("court", f"/cases/{case_id}", lambda _c: True, "court intake")


async def settled(stack: Stack) -> None:
    """Every outbox drained and intake's timeline holding every service's event."""
    async def quiet() -> bool:
        pending, events, timeline = 0, 0, 0
        for service in stack.services.values():
            database = Database(service.database_url)
            try:
                async with database.connect() as conn:
                    pending += int(await conn.scalar(sa.text(
                        "SELECT count(*) FROM outbox WHERE published_at IS NULL")) or 0)
                    events += int(await conn.scalar(sa.text("SELECT count(*) FROM events"))
                                  or 0)
                    if service.name == "intake":
                        timeline = int(await conn.scalar(
                            sa.text("SELECT count(*) FROM intake_timeline")) or 0)
            finally:
                await database.dispose()
        return pending == 0 and timeline == events

    await wait_for(quiet, timeout=60, what="a quiet system")


@pytest.fixture(scope="module")
async def cases(api: Api, stack: Stack) -> dict[str, str]:
    held = await authorised(api, capital=True, given="Held")  # no DOJ commitment recorded
    flown = await authorised(api, given="Flown")
    await fly(api, flown)
    await settled(stack)
    return {"held": held, "flown": flown}


async def test_explain_names_transports_clearance_rule_for_a_capital_ns_case(
    stack: Stack, cases: dict[str, str]
) -> None:
    result = await stack.audit_json("explain", cases["held"])
    assert result["blocked"] is True
    transport = [b for b in result["blockers"] if b["service"] == "transport"]
    assert [b["rule"] for b in transport] == ["death_penalty_clearance_missing"]
    assert any("transport.clearance_noted" in m for m in transport[0]["missing"])
    assert [b["rule"] for b in result["blockers"] if b["service"] == "court"] == [
        "intake_not_opened"]

    state = (await stack.audit_json("as-of", cases["held"]))["state"]
    assert state["transport"]["status"] == "not_eligible"
    assert state["transport"]["eligibility"]["failing_rules"] == [
        "death_penalty_clearance_missing"]
    assert state["court"]["status"] == "awaiting_arrival"


async def test_a_landed_case_is_held_by_neither_transport_nor_court(
    stack: Stack, cases: dict[str, str]
) -> None:
    result = await stack.audit_json("explain", cases["flown"])
    assert [b for b in result["blockers"] if b["service"] in ("transport", "court")] == []
    state = (await stack.audit_json("as-of", cases["flown"]))["state"]
    assert state["transport"]["status"] == "landed"
    assert state["court"]["status"] == "intake_opened"


async def rows_but_updated_at(url: str, table: str, key: str) -> dict[Any, dict[str, Any]]:
    database = Database(url, pool_size=1)
    try:
        async with database.connect() as conn:
            rows = await table_rows(conn, TableSpec(table, key=(key,)))
    finally:
        await database.dispose()
    return {k: {c: v for c, v in row.items() if c != "updated_at"} for k, row in rows.items()}


async def compare_uncompared_tables(stack: Stack, report: ReplayReport,
                                    flown: str) -> None:
    """The tables REPLAY leaves out equal the live ones but for the clock's updated_at."""
    for service, table, key in (("transport", "transport_cases", "case_id"),
                                ("transport", "transport_flights", "flight_id"),
                                ("court", "court_cases", "case_id")):
        live = await rows_but_updated_at(stack.services[service].database_url, table, key)
        rebuilt = await rows_but_updated_at(report.databases[service], table, key)
        assert rebuilt == live, table
    cases = await rows_but_updated_at(report.databases["transport"], "transport_cases",
                                      "case_id")
    assert cases[(flown,)]["status"] == "landed"


async def test_replay_rebuilds_transport_and_court_without_errors(
    stack: Stack, cases: dict[str, str]
) -> None:
    replays = discover_replays()
    assert {"transport", "court"} <= replays.keys()
    server = stack.services["intake"].database_url
    for source in ("kafka", "stores"):
        report = await replay(stack.audit_target(), replays, server, source=source, keep=True)
        try:
            assert report.errors == [], "\n".join(map(str, report.errors))
            assert {"transport", "court"} <= report.databases.keys()
            manifest = await rows_but_updated_at(report.databases["transport"],
                                                 "transport_manifest", "case_id")
            assert manifest[(cases["flown"],)]["landed_airport"] == "JFK"
            await compare_uncompared_tables(stack, report, cases["flown"])
        finally:
            for url in report.databases.values():
                await drop(server, url)
