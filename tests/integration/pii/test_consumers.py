"""Transport and court show the name from intake's request (sealed v2, or legacy v1 in
clear) and blank it when intake.personal_data_erased arrives: each service in-process on
real PostgreSQL, fed through its own handlers after a round trip through CloudEvents."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from services.court.service import SPEC as COURT
from services.intake.events import (
    PERSONAL_DATA_ERASED,
    REQUEST_SUBMITTED,
    Charge,
    LegalBasis,
    Penalty,
    Person,
    PersonalDataErased,
    RequestSubmitted,
    RequestSubmittedV1,
)
from services.judicial import events as judicial
from services.transport.service import SPEC as TRANSPORT
from shared.clock import ManualClock
from shared.eventstore import Actor
from shared.messaging.cloudevents import ConsumedEvent
from shared.service import ServiceRuntime
from tests.support.auth import auth_headers
from tests.support.people import sealed_person
from tests.support.service_app import api_client, feed, off_kafka, started_runtime

NOW = datetime(2025, 8, 12, 18, 0, tzinfo=UTC)
OFFICER = Actor("privacy-7", "privacy_officer")
CHARGE = Charge(charge_id="c1", statute="21 U.S.C. § 848", description="enterprise",
                max_penalty_us=Penalty(life=True), mx_equivalent_offence="delincuencia",
                max_penalty_mx=Penalty(years=40), death_penalty_possible=False)


def new_case_id() -> str:
    return f"RWY-{uuid.uuid4().hex[:10].upper()}"


def intake(event_type: str, payload: dict[str, Any], case_id: str,
           schema_version: int = 1) -> ConsumedEvent:
    return off_kafka("intake", event_type, payload, case_id, at=NOW,
                     schema_version=schema_version)


async def sealed_request(runtime: ServiceRuntime, case_id: str, given: str,
                         family: str) -> tuple[ConsumedEvent, str]:
    person = await sealed_person(runtime.pii, given, family)
    payload = RequestSubmitted(case_id=case_id, person=person, legal_basis=LegalBasis.TREATY,
                               requesting_district="EDNY", prosecutor_office="USAO EDNY",
                               charges=(CHARGE,))
    return (intake(REQUEST_SUBMITTED, payload.model_dump(mode="json"), case_id, 2),
            person.person_id)


def legacy_request(case_id: str, given: str, family: str) -> ConsumedEvent:
    payload = RequestSubmittedV1(
        case_id=case_id, legal_basis=LegalBasis.TREATY, requesting_district="EDNY",
        prosecutor_office="USAO EDNY", charges=(CHARGE,),
        person=Person(given_names=given, family_names=family, nationality="Mexican"))
    return intake(REQUEST_SUBMITTED, payload.model_dump(mode="json"), case_id, 1)


async def erased(runtime: ServiceRuntime, case_id: str, person_id: str) -> ConsumedEvent:
    """What intake does on erasure: delete the key, then publish the event."""
    done = await runtime.pii.erase(person_id, case_id=case_id, actor=OFFICER, reason="order")
    payload = PersonalDataErased(case_id=case_id, person_id=person_id,
                                 erased_at=done.erased_at, reason="order")
    return intake(PERSONAL_DATA_ERASED, payload.model_dump(mode="json"), case_id)


def judicial_event(payload: judicial.JudicialEvent) -> ConsumedEvent:
    return off_kafka("judicial", payload.EVENT_TYPE, payload.model_dump(mode="json"),
                     payload.case_id, at=NOW)


def surrender_ordered(case_id: str) -> ConsumedEvent:
    return judicial_event(judicial.SurrenderOrdered(
        case_id=case_id, legal_basis=judicial.LegalBasis.TREATY, requesting_district="EDNY",
        ordered_on=date(2025, 7, 1), kind=judicial.SurrenderKind.FULL, pickup_days=60,
        pickup_deadline_on=date(2025, 8, 30), return_obligation=False,
        granted_charge_ids=("c1",)))


async def names_in_log(runtime: ServiceRuntime, *names: str) -> list[str]:
    """Which of `names` appear anywhere in the service's stored events."""
    async with runtime.database.connect() as conn:
        payloads = " ".join((await conn.execute(sa.text("SELECT payload FROM events"))
                             ).scalars())
    return [n for n in names if n in payloads]


# --- court ----------------------------------------------------------------------------------

@pytest.fixture
async def court(pg_url: str, kafka: str) -> AsyncIterator[ServiceRuntime]:
    runtime = await started_runtime(COURT, pg_url, kafka,
                                    clock=ManualClock(NOW + timedelta(hours=1)))
    yield runtime
    await runtime.close()


async def land_in_court(runtime: ServiceRuntime, request: ConsumedEvent, case_id: str) -> None:
    await feed(runtime, request)
    await feed(runtime, surrender_ordered(case_id))
    await feed(runtime, off_kafka("transport", "transport.person_landed", {
        "case_id": case_id, "flight_id": "FLT-1", "landed_at": NOW.isoformat(),
        "airport": "JFK", "district": "EDNY"}, case_id, at=NOW))


async def test_the_court_shows_the_name_until_it_is_erased(court: ServiceRuntime) -> None:
    case_id = new_case_id()
    request, person_id = await sealed_request(court, case_id, "Rafael", "Caro Quintero")
    await land_in_court(court, request, case_id)
    async with api_client(court, auth_headers("court_clerk")) as http:
        shown = (await http.get(f"/cases/{case_id}")).json()
        assert (shown["person_name"], shown["person_id"]) == ("Rafael Caro Quintero",
                                                              person_id)
        assert await names_in_log(court, "Rafael", "Caro") == []  # court's log: no name

        await feed(court, await erased(court, case_id, person_id))
        assert (await http.get(f"/cases/{case_id}")).json()["person_name"] == "[erased]"
        # The request delivered again (a replay of intake's topic) does not bring it back.
        await feed(court, request)
        docket = await http.post(f"/cases/{case_id}/docket",
                                 json={"docket_number": "1:25-cr-7"})
        assert docket.status_code == 200 and docket.json()["person_name"] == "[erased]"


async def test_the_court_still_reads_legacy_requests_with_the_name_in_clear(
        court: ServiceRuntime) -> None:
    case_id = new_case_id()
    await land_in_court(court, legacy_request(case_id, "Ismael", "Zambada"), case_id)
    async with api_client(court, auth_headers("court_clerk")) as http:
        shown = (await http.get(f"/cases/{case_id}")).json()
    assert (shown["person_name"], shown["person_id"], shown["status"]) == (
        "Ismael Zambada", None, "intake_opened")


# --- transport ------------------------------------------------------------------------------

@pytest.fixture
async def transport(pg_url: str, kafka: str) -> AsyncIterator[ServiceRuntime]:
    runtime = await started_runtime(TRANSPORT, pg_url, kafka, clock=ManualClock(NOW))
    yield runtime
    await runtime.close()


async def test_transport_shows_the_name_until_it_is_erased_and_reads_legacy_requests(
        transport: ServiceRuntime) -> None:
    sealed_case, legacy_case = new_case_id(), new_case_id()
    request, person_id = await sealed_request(transport, sealed_case, "Joaquín", "Archivaldo")
    await feed(transport, request)
    await feed(transport, legacy_request(legacy_case, "Ismael", "Zambada"))
    async with api_client(transport, auth_headers("transport_officer")) as http:
        async def names() -> dict[str, str | None]:
            cases = (await http.get("/cases")).json()["cases"]
            return {c["case_id"]: c["person_name"] for c in cases}

        shown = (await http.get(f"/cases/{sealed_case}")).json()
        assert (shown["person_name"], shown["person_id"]) == ("Joaquín Archivaldo", person_id)
        assert await names() == {sealed_case: "Joaquín Archivaldo",
                                 legacy_case: "Ismael Zambada"}
        assert await names_in_log(transport, "Joaquín", "Archivaldo") == []

        await feed(transport, await erased(transport, sealed_case, person_id))
        assert (await http.get(f"/cases/{sealed_case}")).json()["person_name"] == "[erased]"
        assert await names() == {sealed_case: "[erased]", legacy_case: "Ismael Zambada"}
    async with transport.database.connect() as conn:
        row = (await conn.execute(sa.text("SELECT * FROM person_names WHERE case_id = :c"),
                                  {"c": sealed_case})).one()
    assert (row.display_name, row.person_id, row.erased_at is not None) == (None, person_id,
                                                                            True)
