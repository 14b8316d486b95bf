"""`runway audit replay`: rebuild every read model from the log and compare with the live."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from shared.audit.hooks import discover_replays
from shared.audit.replay import compare_databases, drop, replay
from shared.db import Database
from shared.legaltime import legal_date
from tests.support.auth import service_headers
from tests.support.kafka_read import wait_for
from tests.support.requests import request
from tests.support.stack import Stack, stack_fixture

TODAY = legal_date(datetime.now(UTC))


stack = stack_fixture(["intake", "judicial", "assurance"])


async def create_case(stack: Stack, index: int) -> str:
    async with httpx.AsyncClient(base_url=stack.url("intake"),
                                 headers=service_headers("intake")) as http:
        response = await http.post("/cases", json=request(capital=index % 2 == 0,
                                                          given=f"Replay {index}"))
        case_id = str(response.json()["case_id"])
    async with httpx.AsyncClient(base_url=stack.url("judicial"),
                                 headers=service_headers("judicial")) as http:
        async def opened() -> bool:
            return (await http.get(f"/cases/{case_id}")).status_code == 200

        await wait_for(opened, what="judicial case")
        day = (TODAY - timedelta(days=3)).isoformat()
        assert (await http.post(f"/cases/{case_id}/formal-request",
                                json={"received_on": day})).status_code == 200
    return case_id


async def settled(stack: Stack) -> None:
    """Every outbox drained and intake's timeline holding every event: a quiet system."""
    async def quiet() -> bool:
        total, timeline = 0, 0
        for service in stack.services.values():
            database = Database(service.database_url)
            try:
                async with database.connect() as conn:
                    pending = await conn.scalar(sa.text(
                        "SELECT count(*) FROM outbox WHERE published_at IS NULL"))
                    total += int(pending or 0)
                    events = await conn.scalar(sa.text("SELECT count(*) FROM events"))
                    if service.name == "intake":
                        timeline = await conn.scalar(
                            sa.text("SELECT count(*) FROM intake_timeline"))
                    counts[service.name] = int(events or 0)
            finally:
                await database.dispose()
        return total == 0 and timeline == sum(counts.values())

    counts: dict[str, int] = {}
    await wait_for(quiet, timeout=60, what="a quiet system")


@pytest.fixture(scope="module")
async def cases(stack: Stack) -> list[str]:
    created = [await create_case(stack, i) for i in range(4)]
    await settled(stack)
    return created


async def test_replay_from_kafka_and_from_stores_matches_the_live_read_models(
    stack: Stack, cases: list[str]
) -> None:
    stores = stack.store_flags()
    for source in ("kafka", "stores"):
        process = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "runway"), "audit", "--bootstrap", stack.kafka,
            "--namespace", stack.namespace, *stores, "replay", "--source", source,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
        output = out.decode()
        assert process.returncode == 0, output
        assert "0 difference(s)" in output
        if source == "kafka":
            assert "checkpoint intake: p0@" in output


async def test_replaying_twice_gives_identical_read_models(stack: Stack,
                                                           cases: list[str]) -> None:
    replays = discover_replays()
    server = stack.services["intake"].database_url
    first = await replay(stack.audit_target(), replays, server, keep=True)
    second = await replay(stack.audit_target(), replays, server, keep=True)
    try:
        assert set(first.databases) == {"intake", "judicial", "assurance"}
        for service in first.databases:
            differences, rows = await compare_databases(
                service, replays[service], first.databases[service], second.databases[service])
            assert differences == [], differences
            assert rows > 0
    finally:
        for url in [*first.databases.values(), *second.databases.values()]:
            await drop(server, url)


async def test_replay_while_services_keep_writing_is_consistent_at_its_checkpoint(
    stack: Stack, cases: list[str]
) -> None:
    stop = asyncio.Event()

    async def keep_writing() -> int:
        written = 0
        while not stop.is_set():
            await create_case(stack, 100 + written)
            written += 1
        return written

    writer = asyncio.create_task(keep_writing())
    try:
        report = await replay(stack.audit_target(), discover_replays(),
                              stack.services["intake"].database_url)
    finally:
        stop.set()
        written = await writer
    assert report.errors == [], "\n".join(map(str, report.errors))
    assert written > 0, "the writer should have run during the replay"
    assert all(offsets for offsets in report.checkpoint.values())


async def test_a_live_read_model_that_disagrees_with_the_log_is_reported(
    stack: Stack, cases: list[str]
) -> None:
    database = Database(stack.services["judicial"].database_url)
    try:
        async with database.transaction() as conn:
            await conn.execute(sa.text("UPDATE judicial_cases SET status = 'released' "
                                       "WHERE case_id = :c"), {"c": cases[0]})
    finally:
        await database.dispose()
    report = await replay(stack.audit_target(), discover_replays(),
                          stack.services["intake"].database_url, source="stores")
    assert [(d.service, d.table, d.key) for d in report.errors] == [
        ("judicial", "judicial_cases", cases[0])]
    assert "status: live 'released' != rebuilt 'formal_request_received'" in str(
        report.errors[0])


async def test_a_fabricated_live_row_is_an_error_not_a_note(stack: Stack,
                                                            cases: list[str]) -> None:
    database = Database(stack.services["assurance"].database_url)
    try:
        async with database.transaction() as conn:
            await conn.execute(sa.text(
                "INSERT INTO assurance_cases (case_id, legal_basis, version, cleared, basis, "
                "transfer_flagged, uncovered_charge_ids, view, updated_at) SELECT 'RWY-FORGED', "
                "legal_basis, 1, true, 'no_capital_charges', false, '[]', view, updated_at "
                "FROM assurance_cases LIMIT 1"))
    finally:
        await database.dispose()
    report = await replay(stack.audit_target(), discover_replays(),
                          stack.services["intake"].database_url)
    forged = [d for d in report.errors if d.key == "RWY-FORGED"]
    assert forged and "not in the log" in forged[0].detail
