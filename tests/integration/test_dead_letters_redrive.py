"""Dead letters are an operator's job (issue 16, deliverable 4), on real Kafka and on both
stores: a message transport's consumer cannot apply is recorded in its dead_letters table and
sent to the dead-letter topic; an operator lists and reads it over HTTP, re-drives it once the
cause is fixed (applied once, through the normal inbox) or discards it with a reason; and while
it waits, the person it is about is held under `unprocessed_safety_fact`.

The cause of the failure is a test flag on transport's own handlers (the consumers are
transport's, wrapped): a message whose event id is flagged fails, as a consumer bug or a
missing upgrade would, and clearing the flag is "fixing the consumer".
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from services.assurance import events as assurance
from services.judicial import events as judicial
from services.transport.service import SPEC
from services.transport.settings import TransportSettings, configure
from shared.cli import main as cli
from shared.clock import ManualClock
from shared.consumer import Handler
from shared.db import Database
from shared.deadletters import store
from shared.messaging.cloudevents import ConsumedEvent
from shared.messaging.topics import dead_letter_topic
from shared.service import ConsumerSpec, ServiceRuntime, ServiceSpec
from shared.web.app import create_app
from tests.integration.transport.test_api import new_case, schedule
from tests.support.auth import auth_headers
from tests.support.kafka_read import header, read_topic, wait_for
from tests.support.kafka_send import send
from tests.support.service_app import api_client, as_published, refused_rule, started_runtime

NOW = datetime(2025, 8, 12, 15, 0, tzinfo=UTC)
OFFICER = auth_headers("transport_officer", "officer-9")
OPERATIONS = auth_headers("operations", "ops-on-call")
AUDITOR = auth_headers("auditor", "auditor-1")
HOLD = "unprocessed_safety_fact"


class Poison:
    """Event ids transport's handlers fail on while flagged: the cause an operator fixes."""

    def __init__(self) -> None:
        self.flagged: set[uuid.UUID] = set()

    def wrap(self, handler: Handler) -> Handler:
        async def maybe_failing(event: ConsumedEvent, conn: AsyncConnection) -> None:
            if event.event_id in self.flagged:
                raise ValueError(f"transport cannot apply {event.ce_type} yet (test flag)")
            await handler(event, conn)

        return maybe_failing

    def spec(self) -> ServiceSpec:
        def consumers(runtime: ServiceRuntime) -> list[ConsumerSpec]:
            return [dataclasses.replace(c, handlers={t: self.wrap(h)
                                                     for t, h in c.handlers.items()})
                    for c in SPEC.consumers(runtime)]

        return dataclasses.replace(SPEC, consumers=consumers)


@dataclasses.dataclass
class Transport:
    runtime: ServiceRuntime
    http: httpx.AsyncClient
    poison: Poison
    kafka: str

    async def publish(self, source: str, event_type: str, payload: BaseModel,
                      case_id: str) -> uuid.UUID:
        """`payload` as `source` publishes it, on its events topic, flagged as poison."""
        event_id = uuid.uuid4()
        self.poison.flagged.add(event_id)
        await send(self.kafka, as_published(
            source, event_type, payload.model_dump(mode="json"), case_id, at=NOW,
            topic=self.runtime.events_topic_of(source), version=9, event_id=event_id),
            client_id="dead-letter-test")
        return event_id

    async def dead_letter_of(self, event_id: uuid.UUID) -> dict[str, Any]:
        """The dead letter of `event_id`, once the consumer has given up on it."""
        async def listed() -> dict[str, Any] | None:
            response = await self.http.get("/dead-letters", headers=OPERATIONS)
            assert response.status_code == 200, response.text
            found = [d for d in response.json()["dead_letters"]
                     if d["event_id"] == str(event_id)]
            return found[0] if found else None

        letter: dict[str, Any] = {}

        async def recorded() -> bool:
            letter.update(await listed() or {})
            return bool(letter)

        await wait_for(recorded, timeout=120, what=f"a dead letter for {event_id}")
        return letter

    async def case(self, case_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/cases/{case_id}")
        assert response.status_code == 200, response.text
        shown: dict[str, Any] = response.json()
        return shown

    async def noted(self, case_id: str, event_type: str) -> int:
        async with self.runtime.database.connect() as conn:
            return int(await conn.scalar(sa.text(
                "SELECT count(*) FROM events WHERE stream_id = :s AND event_type = :t"),
                {"s": case_id, "t": event_type}) or 0)


@pytest.fixture
async def transport(any_store_url: str, kafka: str,
                    monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Transport]:
    # Give up after two attempts: the failure here is not one that time heals.
    monkeypatch.setenv("CONSUMER_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("CONSUMER_FIRST_BACKOFF_S", "0.05")
    poison = Poison()
    runtime = await started_runtime(poison.spec(), any_store_url, kafka,
                                    clock=ManualClock(NOW),
                                    configure=lambda rt: configure(rt, TransportSettings()))
    await runtime.start_background()
    try:
        async with api_client(runtime, OFFICER) as http:
            yield Transport(runtime, http, poison, kafka)
    finally:
        await runtime.stop_background()


async def test_a_poisoned_message_is_recorded_held_against_its_case_and_redriven_once(
    transport: Transport,
) -> None:
    case_id = await new_case(transport.runtime, "EDNY")
    flight_id = await schedule(transport.http, ["JFK"])
    withdrawal = assurance.ClearanceWithdrawn(case_id=case_id, reason="assurance_withdrawn",
                                              charge_ids=("c1",), withdrawn_at=NOW)

    event_id = await transport.publish("assurance", assurance.CLEARANCE_WITHDRAWN,
                                        withdrawal, case_id)
    letter = await transport.dead_letter_of(event_id)

    # Recorded with what the operator needs, and sent to the dead-letter topic naming it.
    assert (letter["status"], letter["case_id"], letter["ce_type"], letter["attempts"]) == \
        ("waiting", case_id, "assurance.death_penalty_clearance_withdrawn.v1", 2)
    assert letter["consumer"] == "transport.assurance-events"
    assert "test flag" in letter["error_message"] and letter["error_type"] == "ValueError"
    dlq = dead_letter_topic("transport", transport.runtime.settings.topic_namespace)
    [sent] = await read_topic(transport.kafka, dlq)
    assert header(sent, "dlq_id") == str(letter["id"])
    assert header(sent, "ce_id") == str(event_id)
    shown = (await transport.http.get(f"/dead-letters/{letter['id']}", headers=AUDITOR)).json()
    assert shown["message"]["value"] is not None and case_id in shown["message"]["value"]
    assert {"name": "ce_id", "text": str(event_id)} in shown["message"]["headers"]

    # While it waits, the person is held: the case says why, and boarding is refused.
    held = await transport.case(case_id)
    assert held["eligibility"]["failing_rules"] == [HOLD]
    assert f"dead letter {letter['id']}" in held["eligibility"]["explanations"][HOLD]
    assert held["status"] == "not_eligible"
    refused = await transport.http.post(f"/flights/{flight_id}/manifest",
                                        json={"case_id": case_id})
    assert refused_rule(refused) == HOLD
    assert f"dead letter {letter['id']}" in refused.json()["detail"]

    # A transport officer may not re-drive; a re-drive before the fix fails and keeps waiting.
    clerk = await transport.http.post(f"/dead-letters/{letter['id']}/redrive")
    assert clerk.status_code == 403, clerk.text
    early = await transport.http.post(f"/dead-letters/{letter['id']}/redrive",
                                      headers=OPERATIONS)
    assert refused_rule(early) == "dead_letter_redrive_failed"
    still = await transport.dead_letter_of(event_id)
    assert (still["status"], still["attempts"]) == ("waiting", 3)

    transport.poison.flagged.clear()  # the consumer is fixed
    redriven = await transport.http.post(f"/dead-letters/{letter['id']}/redrive",
                                         headers=OPERATIONS)
    again = await transport.http.post(f"/dead-letters/{letter['id']}/redrive",
                                      headers=OPERATIONS)

    assert redriven.status_code == 200, redriven.text
    assert redriven.json()["outcome"] == "applied"
    assert redriven.json()["dead_letter"]["status"] == "redriven"
    assert redriven.json()["dead_letter"]["resolved_by"] == "ops-on-call"
    assert again.status_code == 200 and again.json()["outcome"] == "already_redriven"
    assert await transport.noted(case_id, "transport.clearance_noted") == 2  # grant, withdrawal
    after = await transport.case(case_id)
    assert after["eligibility"]["failing_rules"] == ["death_penalty_clearance_missing"]
    waiting = (await transport.http.get("/dead-letters", params={"status": "waiting"},
                                        headers=OPERATIONS)).json()
    assert waiting["count"] == 0


async def test_a_discarded_dead_letter_needs_a_reason_and_lifts_the_hold(
    transport: Transport,
) -> None:
    case_id = await new_case(transport.runtime, "EDNY")
    flight_id = await schedule(transport.http, ["JFK"])
    suspension = judicial.AmparoSuspensionGranted(
        case_id=case_id, amparo_id="AMP-2025-91", granted_on=NOW.date(),
        active_suspensions=("AMP-2025-91",))
    letter = await transport.dead_letter_of(
        await transport.publish("judicial", suspension.EVENT_TYPE, suspension, case_id))
    free = await new_case(transport.runtime, "EDNY")
    plan = await transport.http.post("/transfers/plan", json={
        "case_ids": [case_id, free], "aircraft": [{"aircraft": "XC-MGA", "capacity": 4}],
        "departure_base": "Mexico City (AIFA)", "scheduled_departure": "2025-08-12T18:00:00Z"})
    # The held person stays behind, the rule and the dead letter named; the other flies.
    assert plan.status_code == 200, plan.text
    held, planned = plan.json()["results"]
    assert (held["case_id"], held["outcome"], held["rules"]) == \
        (case_id, "not_eligible", [HOLD])
    assert f"dead letter {letter['id']}" in held["detail"]
    assert (planned["case_id"], planned["outcome"]) == (free, "assigned")

    unexplained = await transport.http.post(f"/dead-letters/{letter['id']}/discard",
                                            json={}, headers=OPERATIONS)
    by_auditor = await transport.http.post(f"/dead-letters/{letter['id']}/discard",
                                           json={"reason": "read it"}, headers=AUDITOR)
    discarded = await transport.http.post(
        f"/dead-letters/{letter['id']}/discard", headers=OPERATIONS,
        json={"reason": "suspension lifted the same day; judicial re-sent the denial"})
    redrive = await transport.http.post(f"/dead-letters/{letter['id']}/redrive",
                                        headers=OPERATIONS)

    assert unexplained.status_code == 422, unexplained.text
    assert by_auditor.status_code == 403, by_auditor.text
    assert discarded.status_code == 200, discarded.text
    assert (discarded.json()["status"], discarded.json()["note"]) == \
        ("discarded", "suspension lifted the same day; judicial re-sent the denial")
    assert refused_rule(redrive) == "dead_letter_discarded"
    assert (await transport.case(case_id))["eligibility"]["failing_rules"] == []
    assigned = await transport.http.post(f"/flights/{flight_id}/manifest",
                                         json={"case_id": case_id})
    assert assigned.status_code == 200, assigned.text
    assert await transport.noted(case_id, "transport.amparo_noted") == 0


async def test_recording_a_dead_letter_twice_keeps_one_row(any_db: Database) -> None:
    letter = store.Letter(
        consumer="transport.judicial-events", topic="runway.judicial.events", partition=1,
        offset=41, key=b"RWY-1", value=b'{"case_id": "RWY-1"}',
        headers=[("ce_type", b"judicial.amparo_suspension_granted.v1")],
        error_type="ValueError", error_message="boom", attempts=8, failed_at=NOW)
    async with any_db.transaction() as conn:
        first = await store.record(conn, letter)
    async with any_db.transaction() as conn:
        second = await store.record(conn, dataclasses.replace(letter, attempts=9))
        waiting = await store.waiting_for(conn, ["RWY-1"], {"judicial.amparo_suspension_granted"})
    assert first == second
    assert [(w.id, w.case_id) for w in waiting] == [(first, "RWY-1")]


@pytest.fixture
async def served(transport: Transport) -> AsyncIterator[str]:
    """Transport's app over real HTTP, for the `runway` command (it talks HTTP only)."""
    sock = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(transport.runtime, run_background=False),
                                           log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    yield f"transport=http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    await task


async def runway(*argv: str) -> tuple[int, str, str]:
    """`runway ARGV...` in this process (its HTTP calls block, so in a thread): exit code,
    stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()

    def call() -> int:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            return cli.run(cli.parser().parse_args(list(argv)))

    code = await asyncio.to_thread(call)
    return code, out.getvalue(), err.getvalue()


async def test_the_runway_dlq_commands_list_show_redrive_and_discard(
    transport: Transport, served: str,
) -> None:
    case_id = await new_case(transport.runtime, "EDNY")
    withdrawal = assurance.ClearanceWithdrawn(case_id=case_id, reason="assurance_withdrawn",
                                              charge_ids=("c1",), withdrawn_at=NOW)
    suspension = judicial.AmparoSuspensionGranted(
        case_id=case_id, amparo_id="AMP-2025-92", granted_on=NOW.date(),
        active_suspensions=("AMP-2025-92",))
    first = await transport.dead_letter_of(await transport.publish(
        "assurance", assurance.CLEARANCE_WITHDRAWN, withdrawal, case_id))
    second = await transport.dead_letter_of(await transport.publish(
        "judicial", suspension.EVENT_TYPE, suspension, case_id))
    transport.poison.flagged.clear()

    listed = await runway("dlq", "--url", served, "list", "--service", "transport",
                          "--status", "waiting")
    shown = await runway("dlq", "--url", served, "show", "transport", str(first["id"]))
    as_auditor = await runway("--role", "auditor", "dlq", "--url", served, "redrive",
                              "transport", str(first["id"]))
    redriven = await runway("dlq", "--url", served, "redrive", "transport", str(first["id"]))
    discarded = await runway("dlq", "--url", served, "discard", "transport", str(second["id"]),
                             "--reason", "judicial re-sent the suspension under a new id")

    assert listed[0] == 0, listed
    assert f"{first['id']}" in listed[1] and case_id in listed[1]
    assert "2 dead letter(s)" in listed[1]
    assert shown[0] == 0 and "assurance.death_penalty_clearance_withdrawn.v1" in shown[1]
    assert as_auditor[0] == 1 and "error 403" in as_auditor[2]
    assert redriven == (0, f"transport dead letter {first['id']}: applied (status redriven)\n",
                        "")
    assert discarded[0] == 0 and "discarded" in discarded[1]
    left = await runway("dlq", "--url", served, "list", "--service", "transport", "--status",
                        "waiting")
    assert "0 dead letter(s)" in left[1]
    with pytest.raises(SystemExit):  # argparse: the reason is mandatory
        cli.parser().parse_args(["dlq", "discard", "transport", str(second["id"])])
