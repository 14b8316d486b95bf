"""From request to surrender: intake, judicial and assurance as real processes on real Kafka
and PostgreSQL, talking only through Kafka events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.legaltime import legal_date
from shared.messaging.cloudevents import from_kafka
from tests.support.auth import auth_headers, service_headers
from tests.support.kafka_read import read_topic, wait_for
from tests.support.requests import request
from tests.support.stack import Stack, stack_fixture

TODAY = legal_date(datetime.now(UTC))
CLERK = auth_headers("judicial_clerk", "clerk-luz")
OFFICER = auth_headers("assurance_officer", "officer-raul")


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


stack = stack_fixture(["intake", "judicial", "assurance"], env={"SCHEDULER_INTERVAL_S": "0.2"})


class Case:
    """One case driven through the public APIs, as clerks and officers would."""

    def __init__(self, stack: Stack, case_id: str) -> None:
        self.stack, self.case_id = stack, case_id

    @classmethod
    async def submit(cls, stack: Stack, body: dict[str, Any]) -> Case:
        async with httpx.AsyncClient(base_url=stack.url("intake"),
                                     headers=service_headers("intake")) as http:
            response = await http.post("/cases", json=body,
                                       headers=auth_headers("operator", "op-1"))
        assert response.status_code == 201, response.text
        case = cls(stack, response.json()["case_id"])
        await case.wait("judicial", lambda c: True, "judicial case opened")
        await case.wait("assurance", lambda c: True, "assurance case opened")
        return case

    async def get(self, service: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.stack.url(service),
                                     headers=service_headers(service)) as http:
            return await http.get(f"/cases/{self.case_id}")

    async def post(self, service: str, path: str, body: dict[str, Any],
                   expect: int = 200) -> dict[str, Any]:
        headers = CLERK if service == "judicial" else OFFICER
        async with httpx.AsyncClient(base_url=self.stack.url(service),
                                     headers=service_headers(service)) as http:
            response = await http.post(f"/cases/{self.case_id}/{path}", json=body,
                                       headers=headers)
        assert response.status_code == expect, f"{path}: {response.status_code} {response.text}"
        result: dict[str, Any] = response.json()
        return result

    async def wait(self, service: str, condition: Any, what: str,
                   timeout: float = 30) -> dict[str, Any]:
        seen: dict[str, Any] = {}

        async def holds() -> bool:
            response = await self.get(service)
            if response.status_code != 200:
                return False
            seen.update(response.json())
            return bool(condition(seen))

        await wait_for(holds, timeout=timeout, what=f"{self.case_id}: {what}")
        return seen

    async def events_on_kafka(self, services: list[str]) -> list[Any]:
        events = []
        for service in services:
            topic = f"{self.stack.namespace}.runway.{service}.events"
            for record in await read_topic(self.stack.kafka, topic):
                event = from_kafka(list(record.headers), record.value)
                if event.subject == self.case_id:
                    events.append(event)
        return events


async def walk_treaty_case_to_grant(case: Case) -> None:
    await case.post("judicial", "formal-request", {"received_on": days_ago(75)})
    await case.post("judicial", "hearing", {"held_on": days_ago(74)})
    refused = await case.post("judicial", "sre-decision", {
        "decision": "granted", "decided_on": days_ago(70), "notified_on": days_ago(70)},
        expect=409)
    assert refused["rule"] == "sre_requires_judge_opinion"
    await case.post("judicial", "judge-opinion", {"issued_on": days_ago(72), "favorable": True})
    await case.post("judicial", "sre-decision", {
        "decision": "granted", "decided_on": days_ago(70), "notified_on": days_ago(69)})


async def assure(case: Case, *, accepted: bool) -> None:
    await case.post("assurance", "assurance-requests",
                    {"charge_ids": ["c2"], "requested_on": days_ago(38)}, expect=201)
    await case.post("assurance", "assurances", {
        "assurance_id": "A-1", "scope": ["not_imposed", "not_carried_out"],
        "diplomatic_note_reference": "DN-US-2025-117", "issuing_authority": "US Embassy",
        "issued_on": days_ago(20), "charge_ids": ["c2"]}, expect=201)
    await case.post("assurance", "assurances/A-1/decision", {
        "accepted": accepted, "decided_on": days_ago(10),
        "reason": "sufficient under art. 8" if accepted else "scope not credible"})


@pytest.fixture(scope="module")
async def treaty_case(stack: Stack) -> Case:
    """A treaty case with a capital-eligible charge, taken to surrender ordered and cleared."""
    case = await Case.submit(stack, request(capital=True, given="Roberto", family="Salazar",
                                            district="CDCA"))
    await case.wait("assurance", lambda c: not c["clearance"]["cleared"],
                    "capital charge holds clearance")
    await walk_treaty_case_to_grant(case)
    # Notified 69 days ago: the amparo window (30 business days) has passed; the scheduler
    # closes it.
    await case.wait("judicial", lambda c: "amparo_window" not in str(c.get("clocks")),
                    "amparo window closed by the scheduler")
    await assure(case, accepted=True)
    await case.post("judicial", "surrender-order", {"ordered_on": TODAY.isoformat(),
                                                    "kind": "full"})
    return case


async def test_treaty_capital_case_reaches_surrender_ordered_and_cleared(
    treaty_case: Case,
) -> None:
    judicial = (await treaty_case.get("judicial")).json()
    assurance = (await treaty_case.get("assurance")).json()
    assert judicial["status"] == "surrender_ordered"
    assert assurance["clearance"]["cleared"] is True
    assert assurance["clearance"]["basis"] == "assurances_accepted"
    operator_view = await treaty_case.wait(
        "intake", lambda c: c["status"] == "surrender_ordered" and c["clearance"] == "cleared",
        "operator sees surrender ordered and cleared")
    assert operator_view["legal_basis"] == "treaty"


async def test_operator_timeline_lists_every_event_of_all_three_services_in_order(
    treaty_case: Case,
) -> None:
    services = ["intake", "judicial", "assurance"]
    on_kafka = await treaty_case.events_on_kafka(services)
    expected = {str(e.event_id) for e in on_kafka}
    timeline: list[dict[str, Any]] = []

    async def complete() -> bool:
        async with httpx.AsyncClient(base_url=treaty_case.stack.url("intake"),
                                     headers=service_headers("intake")) as http:
            body = (await http.get(f"/cases/{treaty_case.case_id}/timeline")).json()
        timeline[:] = body["events"]
        return {e["event_id"] for e in timeline} == expected

    await wait_for(complete, timeout=30, what="timeline holds every event on Kafka")
    assert {e["source"] for e in timeline} == {f"/runway/{s}" for s in services}
    # Legal chronology: when each act happened (clerks record court dates, which may be
    # earlier than the day they were entered), then when it was recorded.
    order = [(e["occurred_at"], e["recorded_at"]) for e in timeline]
    assert order == sorted(order)
    types = [e["event_type"] for e in timeline]
    assert types.index("judicial.judge_opinion_issued") < types.index(
        "judicial.sre_extradition_granted") < types.index("judicial.surrender_ordered")


async def test_case_whose_assurance_mexico_rejects_is_never_cleared(stack: Stack) -> None:
    case = await Case.submit(stack, request(capital=True, given="Rejected", family="Case"))
    await walk_treaty_case_to_grant(case)
    await assure(case, accepted=False)
    state = (await case.get("assurance")).json()
    assert state["clearance"]["cleared"] is False
    assert state["clearance"]["blocked"]["uncovered_charge_ids"] == ["c2"]
    refused = await case.post("assurance", "clearance/evaluation", {}, expect=409)
    assert refused["rule"] == "capital_charge_uncovered"
    granted = [e for e in await case.events_on_kafka(["assurance"])
               if e.event_type == "assurance.death_penalty_clearance_granted"]
    assert granted == []
    operator_view = (await case.get("intake")).json()
    assert operator_view["clearance"] != "cleared"


async def test_provisional_detention_without_formal_request_lapses_on_day_60(
    stack: Stack,
) -> None:
    arrested = TODAY - timedelta(days=61)
    body = request(given="Provisional", family="Detainee",
                   provisional_arrest_date=arrested.isoformat(),
                   documents=[{"kind": "arrest_warrant", "reference": "W-9"}])
    case = await Case.submit(stack, body)
    await case.post("judicial", "provisional-detention", {"ordered_on": arrested.isoformat()})
    # Released from the provisional detention; the case stays open (treaty art. 11).
    released = await case.wait("judicial", lambda c: c["provisional_detention_lapsed"],
                               "released by the 60-day clock")
    assert released["status"] == "provisional_detention" and released["released"] is None
    types = [e.event_type for e in await case.events_on_kafka(["judicial"])]
    assert types[-2:] == ["judicial.provisional_detention_lapsed",
                          "judicial.released_from_custody"]
    lapse = next(e for e in await case.events_on_kafka(["judicial"])
                 if e.event_type == "judicial.provisional_detention_lapsed")
    assert date.fromisoformat(lapse.data["deadline_on"]) == arrested + timedelta(days=60)
    await case.wait("intake", lambda c: c["status"] == "released", "operator sees release")


async def test_national_security_transfer_with_doj_commitment_is_cleared(stack: Stack) -> None:
    case = await Case.submit(stack, request(basis="national_security", capital=True,
                                            given="Abigael", family="González Valencia"))
    refused = await case.post("judicial", "hearing", {"held_on": TODAY.isoformat()},
                              expect=409)
    assert refused["rule"] == "national_security_has_no_judicial_steps"
    await case.post("judicial", "national-security-transfer", {
        "authorized_at": datetime.now(UTC).isoformat(),
        "us_request_reference": "DOJ-OIA-2025-NS-12", "authority": "SSPC"})
    await case.post("assurance", "doj-commitment", {
        "reference": "DOJ-2025-0812", "committed_on": TODAY.isoformat(),
        "authority": "US Department of Justice", "scope": "will not seek the death penalty"},
        expect=201)
    state = await case.wait("assurance", lambda c: c["clearance"]["cleared"], "cleared")
    assert state["clearance"]["basis"] == "doj_commitment"
    assert state["clearance"]["exception"] is None
    await case.wait("intake", lambda c: c["status"] == "transfer_authorized"
                    and c["clearance"] == "cleared", "operator sees transfer and clearance")
