"""Personal data end to end, with intake and transport as real processes on real Kafka and
PostgreSQL: the name never reaches a log or a topic in clear, a consumer still shows it, and
after an erasure no service shows it while the logs, their hash chains and the audit replay
still hold."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa

from shared.audit.hooks import discover_replays
from shared.audit.replay import replay
from shared.audit.verify import verify
from shared.db import Database
from tests.support.auth import auth_headers
from tests.support.kafka_read import read_topic, wait_for
from tests.support.requests import request
from tests.support.stack import Stack, stack_fixture

GIVEN, FAMILY = "Eleuterio Zacarías", "Quintanilla Ybarra"
NAME = f"{GIVEN} {FAMILY}"
# Every piece of the person's identity as the operator sent it (tests/support/requests.py).
IN_CLEAR = ["Eleuterio", "Zacarías", "Quintanilla", "Ybarra", "El Cuini", "1979-05-15"]


stack = stack_fixture(["intake", "transport"])


async def rows_of(url: str, query: str, **params: Any) -> list[dict[str, Any]]:
    database = Database(url)
    try:
        async with database.connect() as conn:
            return [dict(r._mapping) for r in await conn.execute(sa.text(query), params)]
    finally:
        await database.dispose()


def found_in(text: str) -> list[str]:
    return [clear for clear in IN_CLEAR if clear in text]


async def settled(stack: Stack) -> None:
    """Every outbox drained and intake's timeline holding every event of both services."""
    async def quiet() -> bool:
        pending = events = 0
        for service in stack.services.values():
            [row] = await rows_of(service.database_url, "SELECT (SELECT count(*) FROM outbox "
                                  "WHERE published_at IS NULL) AS p, (SELECT count(*) FROM "
                                  "events) AS e")
            pending, events = pending + row["p"], events + row["e"]
        [timeline] = await rows_of(stack.services["intake"].database_url,
                                   "SELECT count(*) AS n FROM intake_timeline")
        return pending == 0 and timeline["n"] == events

    await wait_for(quiet, timeout=60, what="a quiet system")


async def test_names_stay_sealed_in_logs_and_topics_and_erasure_blanks_every_copy(
        stack: Stack) -> None:
    operator = httpx.AsyncClient(base_url=stack.url("intake"),
                                 headers=auth_headers("operator", "op-17"))
    officer = httpx.AsyncClient(base_url=stack.url("transport"),
                                headers=auth_headers("transport_officer"))
    async with operator, officer:
        created = await operator.post("/cases", json=request(given=GIVEN, family=FAMILY))
        assert created.status_code == 201, created.text
        case_id = created.json()["case_id"]

        async def transport_shows(name: str) -> bool:
            answer = await officer.get(f"/cases/{case_id}")
            return answer.status_code == 200 and answer.json()["person_name"] == name

        # A consumer opens the sealed name with the person's key and shows it.
        await wait_for(lambda: transport_shows(NAME), what="transport shows the name")
        await settled(stack)

        # Neither service's log, nor any byte on either topic, holds the name in clear.
        for service in stack.services.values():
            stored = await rows_of(service.database_url, "SELECT * FROM events")
            assert stored and found_in(" ".join(str(r) for r in stored)) == []
        topic = f"{stack.namespace}.runway.intake.events"
        records = await read_topic(stack.kafka, topic)
        assert [r for r in records if (r.key or b"").decode() == case_id]
        for record in records:
            raw = (record.value or b"") + b"".join(v for _, v in record.headers)
            assert found_in(raw.decode("utf-8", "replace")) == [], record
        before = await rows_of(stack.services["intake"].database_url,
                               "SELECT * FROM events WHERE stream_id = :c", c=case_id)

        erasure = await operator.post(f"/cases/{case_id}/personal-data/erasure",
                                      json={"reason": "GDPR art. 17 request 2025-44"},
                                      headers=auth_headers("privacy_officer", "privacy-7"))
        assert erasure.status_code == 200, erasure.text

        await wait_for(lambda: transport_shows("[erased]"), what="transport blanks the name")
        shown = (await operator.get(f"/cases/{case_id}")).json()
        assert shown["full_name"] == "[erased]"
        assert shown["request"]["person"]["personal_data"] == "erased"
        listed = (await operator.get("/cases")).json()["cases"]
        assert [c["full_name"] for c in listed if c["case_id"] == case_id] == ["[erased]"]
        timeline = (await operator.get(f"/cases/{case_id}/timeline")).json()["events"]
        assert {"intake.request_submitted", "intake.personal_data_erased"} <= {
            e["event_type"] for e in timeline}
        assert found_in(str(timeline)) == []

    # The events remain as they were, one more records the erasure, and auditors can still
    # prove the logs: hash chains, store against topic, and read models rebuilt from the log.
    after = await rows_of(stack.services["intake"].database_url,
                          "SELECT * FROM events WHERE stream_id = :c ORDER BY version",
                          c=case_id)
    assert after[0] == before[0] and after[1]["event_type"] == "intake.personal_data_erased"
    await settled(stack)
    target = stack.audit_target()
    report = await verify(target)
    assert report.ok, "\n".join(map(str, report.findings))
    replays = {n: r for n, r in discover_replays().items() if n in stack.services}
    rebuilt = await replay(target, replays, stack.services["intake"].database_url)
    assert rebuilt.errors == [], "\n".join(map(str, rebuilt.errors))
