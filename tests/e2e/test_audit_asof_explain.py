"""`runway audit as-of` and `explain` against real services' stores."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from shared.clock import parse_iso_utc
from shared.legaltime import legal_date
from tests.support.auth import service_headers
from tests.support.kafka_read import wait_for
from tests.support.requests import request
from tests.support.stack import Stack, stack_fixture

TODAY = legal_date(datetime.now(UTC))


stack = stack_fixture(["intake", "judicial", "assurance"])


async def open_case(stack: Stack, body: dict[str, Any]) -> str:
    async with httpx.AsyncClient(base_url=stack.url("intake"),
                                 headers=service_headers("intake")) as http:
        case_id = str((await http.post("/cases", json=body)).json()["case_id"])
    for service in ("judicial", "assurance"):
        async with httpx.AsyncClient(base_url=stack.url(service),
                                     headers=service_headers(service)) as http:
            async def opened(http: httpx.AsyncClient = http) -> bool:
                return (await http.get(f"/cases/{case_id}")).status_code == 200

            await wait_for(opened, what=f"{service} opened {case_id}")
    return case_id


async def clerk(stack: Stack, case_id: str, step: str, body: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=stack.url("judicial"),
                                 headers=service_headers("judicial")) as http:
        response = await http.post(f"/cases/{case_id}/{step}", json=body)
    assert response.status_code == 200, response.text


async def test_as_of_between_two_events_shows_the_first_and_not_the_second(
    stack: Stack,
) -> None:
    case_id = await open_case(stack, request())
    await clerk(stack, case_id, "formal-request",
                {"received_on": (TODAY - timedelta(days=5)).isoformat()})
    await clerk(stack, case_id, "hearing", {"held_on": (TODAY - timedelta(days=4)).isoformat()})
    now = await stack.audit_json("as-of", case_id)
    recorded = {e["event_type"]: parse_iso_utc(e["recorded_at"]) for e in now["timeline"]}
    first = recorded["judicial.formal_request_received"]
    second = recorded["judicial.hearing_held"]
    assert first < second
    between = first + (second - first) / 2

    then = await stack.audit_json("as-of", case_id, "--at", between.isoformat())
    types = [e["event_type"] for e in then["timeline"]]
    assert "judicial.formal_request_received" in types
    assert "judicial.hearing_held" not in types
    assert then["state"]["judicial"]["status"] == "formal_request_received"
    assert now["state"]["judicial"]["status"] == "hearing"
    assert then["state"]["intake"]["request"]["legal_basis"] == "treaty"


async def test_explain_names_the_death_penalty_rule_for_a_case_held_for_an_assurance(
    stack: Stack,
) -> None:
    case_id = await open_case(stack, request(capital=True))
    result = await stack.audit_json("explain", case_id)
    assert result["blocked"] is True
    [death] = [b for b in result["blockers"] if b["service"] == "assurance"]
    assert death["rule"] == "death_penalty_clearance_missing"
    assert "charge c2" in death["detail"]
    assert any(e.startswith("assurance.capital_charge_identified") for e in death["evidence"])
    assert any("assurance.assurance_accepted" in m for m in death["missing"])
    judicial = [b["rule"] for b in result["blockers"] if b["service"] == "judicial"]
    assert judicial == ["surrender_not_ordered"]

    held_at = datetime.now(UTC)

    # Once Mexico accepts an assurance the rule no longer holds; asked about the past, the
    # audit still says why the case was held then.
    async with httpx.AsyncClient(base_url=stack.url("assurance"),
                                 headers=service_headers("assurance")) as http:
        day = TODAY.isoformat()
        for path, body in (
            ("assurances", {"assurance_id": "A-9", "scope": ["not_imposed"],
                            "diplomatic_note_reference": "DN-9", "issuing_authority": "DOS",
                            "issued_on": day, "charge_ids": ["c2"]}),
            ("assurances/A-9/decision", {"accepted": True, "decided_on": day,
                                         "reason": "sufficient"})):
            response = await http.post(f"/cases/{case_id}/{path}", json=body)
            assert response.status_code in (200, 201), response.text
    now = await stack.audit_json("explain", case_id)
    assert [b["service"] for b in now["blockers"]] == ["judicial"]
    then = await stack.audit_json("explain", case_id, "--at", held_at.isoformat())
    assert "death_penalty_clearance_missing" in [b["rule"] for b in then["blockers"]]


async def test_the_read_only_http_api_answers_like_the_commands(stack: Stack) -> None:
    from shared.audit.http import create_audit_app

    case_id = await open_case(stack, request(capital=True))
    target = stack.audit_target()
    transport = httpx.ASGITransport(app=create_audit_app(target))
    async with httpx.AsyncClient(transport=transport, base_url="http://audit",
                                 headers=service_headers("audit")) as http:
        why = (await http.get(f"/cases/{case_id}/explain")).json()
        assert "death_penalty_clearance_missing" in [b["rule"] for b in why["blockers"]]
        state = (await http.get(f"/cases/{case_id}/as-of")).json()
        assert state["state"]["assurance"]["clearance"]["cleared"] is False
        exported = (await http.get(f"/cases/{case_id}/export")).text.splitlines()
        exported_ids = {json.loads(line)["event_id"] for line in exported}
        assert {e["event_id"] for e in state["timeline"]} <= exported_ids
        assert (await http.get("/cases/RWY-NONE/explain")).status_code == 404
        assert (await http.get(f"/cases/{case_id}/as-of", params={"at": "soon"})
                ).status_code == 422
        assert (await http.post("/verify")).status_code == 405, "the API is read-only"
