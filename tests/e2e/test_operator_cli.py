"""An operator at a terminal: `runway submit`, `runway list`, `runway show` against a real
intake process, whose timeline is fed back to it through Kafka."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import httpx
import yaml

from tests.support.auth import service_headers
from tests.support.kafka_read import wait_for
from tests.support.requests import charge, request
from tests.support.stack import Stack, stack_fixture

stack = stack_fixture(["intake"])


async def runway(stack: Stack, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "runway"), "--intake-url", stack.url("intake"),
        "--actor", "clerk-ana", "--role", "operator", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, out.decode(), err.decode()


async def test_submit_yaml_list_and_show_a_case_with_its_timeline(
    stack: Stack, tmp_path: Path
) -> None:
    single = tmp_path / "one.yaml"
    single.write_text(yaml.safe_dump(request(capital=True, given="Roberto", family="Salazar",
                                             district="CDCA")))
    code, out, err = await runway(stack, "submit", str(single))
    assert code == 0, err
    case_id = out.strip()
    assert case_id.startswith("RWY-")

    code, out, _ = await runway(stack, "list", "--status", "submitted")
    assert code == 0 and case_id in out and "Roberto Salazar" in out

    async with httpx.AsyncClient(base_url=stack.url("intake"),
                                 headers=service_headers("intake")) as http:
        async def on_timeline() -> bool:
            events = (await http.get(f"/cases/{case_id}/timeline")).json()["events"]
            return [e["event_type"] for e in events] == ["intake.request_submitted"]

        await wait_for(on_timeline, timeout=30, what="the submission back from Kafka")
    code, out, _ = await runway(stack, "show", case_id)
    assert code == 0
    assert "capital-eligible" in out and "intake.request_submitted" in out
    assert "clerk-ana (operator)" in out


async def test_batch_file_reports_the_bad_item_by_field(stack: Stack, tmp_path: Path) -> None:
    batch = tmp_path / "batch.json"
    items = [request(given=f"P{i}") for i in range(3)]
    items[1] = request(charges=[charge("c1", mx_years=0.5)])
    batch.write_text(json.dumps(items))
    code, out, _ = await runway(stack, "submit", str(batch))
    assert code == 2, "a partly failed batch exits non-zero"
    assert "2 created, 1 failed" in out
    assert "charges.0.max_penalty_mx" in out


async def test_invalid_single_request_prints_field_and_rule(stack: Stack, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(request(requesting_district="NOPE")))
    code, _, err = await runway(stack, "submit", str(bad))
    assert code == 1
    assert "requesting_district" in err and "known_us_district" in err
