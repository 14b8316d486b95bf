"""Intake seals the person before anything is written, and a privacy officer can erase them:
in-process on SQLite and on PostgreSQL (the service's store and the key store)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from services.intake.events import REQUEST_SUBMITTED
from services.intake.repository import case_repository
from shared.eventstore import Actor, EventContext, NewEvent, verify_stream
from shared.service import ServiceRuntime
from tests.support.auth import auth_headers
from tests.support.requests import charge, request

PRIVACY = auth_headers("privacy_officer", "privacy-7")
# What identifies the person in tests/support/requests.request(), plus a distinctive name.
GIVEN, FAMILY = "Zacarías Eleuterio", "Quintanilla Ybarra"
IN_CLEAR = (GIVEN, FAMILY, "Zacarías", "Quintanilla", "El Cuini", "1979-05-15")


async def submit(client: httpx.AsyncClient) -> str:
    response = await client.post("/cases", json=request(given=GIVEN, family=FAMILY))
    assert response.status_code == 201, response.text
    return str(response.json()["case_id"])


async def stored_rows(runtime: ServiceRuntime, case_id: str) -> list[dict[str, Any]]:
    async with runtime.database.connect() as conn:
        rows = await conn.execute(sa.text(
            "SELECT * FROM events WHERE stream_id = :c ORDER BY version"), {"c": case_id})
        return [dict(r._mapping) for r in rows]


async def test_the_log_holds_only_ciphertext_and_the_case_shows_the_person(
        client: httpx.AsyncClient, runtime: ServiceRuntime) -> None:
    case_id = await submit(client)

    [row] = await stored_rows(runtime, case_id)
    assert (row["event_type"], row["schema_version"]) == (REQUEST_SUBMITTED, 2)
    everything = " ".join(str(value) for value in row.values())
    assert not [clear for clear in IN_CLEAR if clear in everything]
    async with runtime.database.connect() as conn:
        cases = " ".join(map(str, (await conn.execute(sa.text(
            "SELECT * FROM intake_cases WHERE case_id = :c"), {"c": case_id})).one()))
    assert GIVEN not in cases  # the audited read model holds no name either

    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["full_name"] == f"{GIVEN} {FAMILY}"
    person = shown["request"]["person"]
    assert person["person_id"].startswith("PER-")
    assert (person["given_names"], person["family_names"], person["aliases"],
            person["date_of_birth"], person["nationality"], person["personal_data"]) == (
        GIVEN, FAMILY, ["El Cuini"], "1979-05-15", "Mexican", "sealed")
    listed = (await client.get("/cases")).json()["cases"]
    assert [c["full_name"] for c in listed] == [f"{GIVEN} {FAMILY}"]


async def test_a_privacy_officer_erases_the_person_and_the_chain_still_verifies(
        client: httpx.AsyncClient, runtime: ServiceRuntime) -> None:
    case_id = await submit(client)
    [before] = await stored_rows(runtime, case_id)

    answer = await client.post(f"/cases/{case_id}/personal-data/erasure",
                               json={"reason": "court order 2025-118"}, headers=PRIVACY)

    assert answer.status_code == 200, answer.text
    erased = answer.json()
    assert erased["version"] == 2 and erased["person_id"].startswith("PER-")
    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["full_name"] == "[erased]"
    person = shown["request"]["person"]
    assert (person["personal_data"], person["given_names"], person["family_names"],
            person["aliases"], person["date_of_birth"], person["erased_at"]) == (
        "erased", None, None, [], None, erased["erased_at"])
    assert [c["full_name"] for c in (await client.get("/cases")).json()["cases"]] == [
        "[erased]"]

    # The events remain, the request byte for byte; the erasure is one more, attributed.
    rows = await stored_rows(runtime, case_id)
    assert rows[0] == before
    assert [(r["event_type"], r["actor_subject"], r["actor_role"]) for r in rows[1:]] == [
        ("intake.personal_data_erased", "privacy-7", "privacy_officer")]
    async with runtime.database.connect() as conn:
        events = await runtime.store.read_stream(conn, case_id)
        topic = await conn.scalar(sa.text(
            "SELECT o.topic FROM outbox o JOIN events e ON o.event_position = e.position "
            "WHERE e.stream_id = :c AND e.version = 2"), {"c": case_id})
    assert verify_stream(events) == []
    assert topic == runtime.events_topic
    assert events[1].payload == {"case_id": case_id, "person_id": erased["person_id"],
                                 "erased_at": events[1].payload["erased_at"],
                                 "reason": "court order 2025-118"}

    again = await client.post(f"/cases/{case_id}/personal-data/erasure",
                              json={"reason": "again"}, headers=PRIVACY)
    assert again.status_code == 409 and again.json()["rule"] == "personal_data_already_erased"
    assert len(await stored_rows(runtime, case_id)) == 2


async def test_erasure_is_refused_to_others_unknown_cases_and_empty_reasons(
        client: httpx.AsyncClient, runtime: ServiceRuntime) -> None:
    case_id = await submit(client)
    path = f"/cases/{case_id}/personal-data/erasure"
    assert (await client.post(path, json={"reason": "x"})).status_code == 403  # an operator
    assert (await client.post(path, json={"reason": ""}, headers=PRIVACY)).status_code == 422
    unknown = await client.post("/cases/RWY-NOPE/personal-data/erasure", json={"reason": "x"},
                                headers=PRIVACY)
    assert unknown.status_code == 404
    assert len(await stored_rows(runtime, case_id)) == 1
    assert (await client.get(f"/cases/{case_id}")).json()["full_name"] == f"{GIVEN} {FAMILY}"


async def test_a_legacy_v1_case_stays_readable_and_cannot_be_crypto_shredded(
        client: httpx.AsyncClient, runtime: ServiceRuntime) -> None:
    """Recorded before sealing: the names are in clear in the log, so no key can erase them;
    the API says so instead of pretending."""
    case_id = "RWY-LEGACY0001"
    repo = case_repository(runtime)
    payload = {"case_id": case_id, **request(given=GIVEN, family=FAMILY)}
    async with runtime.command() as conn:
        loaded = await repo.load(conn, case_id)
        _, recorded = await repo.append(
            conn, loaded, [NewEvent(REQUEST_SUBMITTED, payload, schema_version=1)],
            EventContext(Actor("op-1", "operator")))
        at = recorded[0].recorded_at
        await conn.execute(sa.text(
            "INSERT INTO intake_cases (case_id, legal_basis, requesting_district, status, "
            "clearance, submitted_at, updated_at, status_at, clearance_at) VALUES "
            "(:c, 'treaty', 'EDNY', 'submitted', 'pending', :t, :t, :t, :t)"),
            {"c": case_id, "t": at})

    person = (await client.get(f"/cases/{case_id}")).json()["request"]["person"]
    assert (person["given_names"], person["personal_data"]) == (GIVEN, "in_clear")
    refused = await client.post(f"/cases/{case_id}/personal-data/erasure",
                                json={"reason": "court order"}, headers=PRIVACY)
    assert refused.status_code == 409 and refused.json()["rule"] == "personal_data_not_sealed"


# PostgreSQL only: on SQLite the erasure's command holds the one write lock from its first
# read, so no amendment can slip in between its read and its append.
@pytest.mark.parametrize("any_store_url", ["postgresql"], indirect=True)
async def test_an_erasure_racing_an_amendment_is_retried_and_recorded(
        client: httpx.AsyncClient, runtime: ServiceRuntime,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A concurrent amendment moves the case between the erasure's read and its append; the
    erasure depends on nothing it changed, so it is retried instead of leaving the key gone
    without the event."""
    case_id = await submit(client)
    look_up = runtime.pii.erasure
    amended: list[int] = []

    async def amended_meanwhile(person_id: str) -> Any:
        if not amended:
            answer = await client.put(f"/cases/{case_id}/charges", json={
                "charges": [charge("c1"), charge("c2")], "reason": "a second count"})
            amended.append(answer.status_code)
        return await look_up(person_id)

    monkeypatch.setattr(runtime.pii, "erasure", amended_meanwhile)
    answer = await client.post(f"/cases/{case_id}/personal-data/erasure",
                               json={"reason": "court order 2025-118"}, headers=PRIVACY)

    assert amended == [200]
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 3
    rows = await stored_rows(runtime, case_id)
    assert [(r["event_type"], r["actor_subject"]) for r in rows] == [
        (REQUEST_SUBMITTED, "op-17"), ("intake.charges_amended", "op-17"),
        ("intake.personal_data_erased", "privacy-7")]
    assert (await client.get(f"/cases/{case_id}")).json()["full_name"] == "[erased]"


async def test_an_erasure_refused_for_a_stale_version_leaves_the_key_in_place(
        client: httpx.AsyncClient, runtime: ServiceRuntime) -> None:
    """The event is appended before the key is deleted: a conflict deletes nothing."""
    case_id = await submit(client)
    refused = await client.post(f"/cases/{case_id}/personal-data/erasure",
                                json={"reason": "court order"},
                                headers={**PRIVACY, "If-Match": "7"})
    assert refused.status_code == 409, refused.text
    shown = (await client.get(f"/cases/{case_id}")).json()
    assert (shown["full_name"], shown["request"]["person"]["personal_data"]) == (
        f"{GIVEN} {FAMILY}", "sealed")
    assert await runtime.pii.erasure(shown["request"]["person"]["person_id"]) is None
    assert len(await stored_rows(runtime, case_id)) == 1
