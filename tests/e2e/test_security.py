"""Security at the edges of real service processes: tokens from `runway token`, roles
enforced by the running services, and `runway audit actors` naming who did what."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.support.kafka_read import wait_for
from tests.support.requests import request
from tests.support.stack import Stack, stack_fixture

RUNWAY = str(Path(sys.executable).parent / "runway")


stack = stack_fixture(["intake", "judicial"])


async def runway(*args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        RUNWAY, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def token(role: str, subject: str) -> str:
    return (await runway("token", "--role", role, "--subject", subject)).strip()


async def actors(stack: Stack, case_id: str) -> list[dict[str, Any]]:
    stores = stack.store_flags()
    found: list[dict[str, Any]] = json.loads(await runway(
        "--json", "audit", "--bootstrap", stack.kafka, *stores, "actors", case_id))
    return found


async def test_tokens_from_runway_token_open_exactly_what_the_role_allows(
        stack: Stack) -> None:
    auditor = {"Authorization": f"Bearer {await token('auditor', 'aud-1')}"}
    async with httpx.AsyncClient(base_url=stack.url("intake")) as http:
        assert (await http.get("/cases", headers=auditor)).status_code == 200
        refused = await http.post("/cases", json=request(), headers=auditor)
        assert refused.status_code == 403, refused.text
        assert (await http.get("/cases")).status_code == 401
    async with httpx.AsyncClient(base_url=stack.url("judicial")) as http:
        ruled = await http.post("/cases/RWY-0000000000/judge-opinion", json={},
                                headers=auditor)
        assert ruled.status_code == 403


async def test_the_audit_lists_who_did_what_to_a_case(stack: Stack, tmp_path: Path) -> None:
    operator = await token("operator", "ana.lopez")
    body = tmp_path / "request.json"
    body.write_text(json.dumps(request(capital=True)))
    case_id = (await runway("--intake-url", stack.url("intake"), "--token", operator,
                            "submit", str(body))).strip()
    found: list[dict[str, Any]] = []

    async def judicial_opened_it() -> bool:
        found[:] = await actors(stack, case_id)
        return any(a["service"] == "judicial" for a in found)

    await wait_for(judicial_opened_it, timeout=60, what="judicial opened the case")
    submitted = next(a for a in found if a["event_type"].startswith("intake.request_submitted"))
    assert (submitted["subject"], submitted["role"]) == ("ana.lopez", "operator")
    opened = next(a for a in found if a["service"] == "judicial")
    assert opened["role"] == "service", "a derived event names the service, not a person"
