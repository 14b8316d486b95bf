"""`runway audit verify` against real services' stores and topics: clean, then tampered."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from shared.db import Database
from tests.support.auth import service_headers
from tests.support.kafka_read import wait_for
from tests.support.requests import request
from tests.support.stack import Stack, stack_fixture

stack = stack_fixture(["intake", "judicial", "assurance"])


async def audit_verify(stack: Stack) -> tuple[int, str]:
    stores = stack.store_flags()
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "runway"), "audit", "--bootstrap", stack.kafka,
        "--namespace", stack.namespace, *stores, "verify",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode or 0, out.decode() + err.decode()


async def pending(database_url: str) -> int:
    database = Database(database_url)
    try:
        async with database.connect() as conn:
            value = await conn.scalar(
                sa.text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
            return int(value or 0)
    finally:
        await database.dispose()


@pytest.fixture(scope="module")
async def cases(stack: Stack) -> list[str]:
    async with httpx.AsyncClient(base_url=stack.url("intake"),
                                 headers=service_headers("intake")) as http:
        created = [(await http.post("/cases", json=request(capital=True, given=f"A{i}")))
                   .json()["case_id"] for i in range(3)]
    for case_id in created:
        async with httpx.AsyncClient(base_url=stack.url("assurance"),
                                     headers=service_headers("assurance")) as http:
            async def opened(case_id: str = case_id) -> bool:
                return (await http.get(f"/cases/{case_id}")).status_code == 200

            await wait_for(opened, what="assurance case opened")

    async def drained() -> bool:
        counts = [await pending(s.database_url) for s in stack.services.values()]
        return sum(counts) == 0

    await wait_for(drained, what="every outbox drained")
    return created


async def test_verify_passes_on_untouched_stores_and_logs(stack: Stack,
                                                          cases: list[str]) -> None:
    code, output = await audit_verify(stack)
    assert code == 0, output
    assert "OK" in output and "ERROR" not in output


async def run(*command: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode or 0, out.decode()


async def test_case_export_verifies_independently_and_detects_an_edit(
    stack: Stack, cases: list[str], tmp_path: Path
) -> None:
    case_id = cases[2]
    stores = stack.store_flags()
    code, output = await run(str(Path(sys.executable).parent / "runway"), "audit",
                             "--bootstrap", stack.kafka, "--namespace", stack.namespace,
                             *stores, "export", case_id, "--output", str(tmp_path))
    assert code == 0, output
    exported = tmp_path / f"{case_id}.jsonl"
    lines = exported.read_text().splitlines()
    assert {json.loads(line)["service"] for line in lines} == {"intake", "judicial",
                                                               "assurance"}
    assert case_id in (tmp_path / f"{case_id}.txt").read_text()

    # The third party's check: the standard library only (-I: no site-packages, no Runway).
    verifier = str(Path(__file__).resolve().parents[2] / "contracts/tools/verify_export.py")
    code, output = await run(sys.executable, "-I", verifier, str(exported))
    assert code == 0, output
    assert "export verifies" in output

    edited = json.loads(lines[0])
    edited["payload"] = edited["payload"].replace("treaty", "simplified")
    exported.write_text("\n".join([json.dumps(edited), *lines[1:]]) + "\n")
    code, output = await run(sys.executable, "-I", verifier, str(exported))
    assert code == 1
    assert f"event {edited['event_id']}: hash does not match" in output


async def test_changed_payload_and_deleted_event_are_named(stack: Stack,
                                                           cases: list[str]) -> None:
    judicial = Database(stack.services["judicial"].database_url)
    assurance = Database(stack.services["assurance"].database_url)
    try:
        async with judicial.transaction() as conn:
            await conn.execute(sa.text("ALTER TABLE events DISABLE TRIGGER events_immutable"))
            changed = (await conn.execute(sa.text(
                "UPDATE events SET payload = replace(payload, 'treaty', 'simplified') "
                "WHERE stream_id = :case AND version = 1 RETURNING event_id"),
                {"case": cases[0]})).scalar_one()
        async with assurance.transaction() as conn:
            await conn.execute(sa.text("ALTER TABLE events DISABLE TRIGGER events_immutable"))
            position, deleted = (await conn.execute(sa.text(
                "SELECT position, event_id FROM events WHERE stream_id = :case AND version = 1"),
                {"case": cases[1]})).one()
            await conn.execute(sa.text("DELETE FROM outbox WHERE event_position = :p"),
                               {"p": position})
            await conn.execute(sa.text("DELETE FROM events WHERE position = :p"),
                               {"p": position})
    finally:
        await judicial.dispose()
        await assurance.dispose()

    code, output = await audit_verify(stack)
    assert code == 1, output
    assert f"ERROR judicial stream {cases[0]} version 1 event {changed}: hash does not match" \
        in output
    assert f"ERROR judicial stream {cases[0]} version 1 event {changed}: partition" in output
    assert f"ERROR assurance stream {cases[1]} version 1 event {deleted}: on " in output
    assert f"ERROR assurance stream {cases[1]} version 2" in output  # the gap after it
    assert "FAILED" in output
