"""The court service in-process on real PostgreSQL and Kafka.

Intake, judicial and transport events are fed to the service's own handlers (as wired in its
ServiceSpec) inside a database transaction, the way the consumer runtime calls them, after a
round trip through the real CloudEvents encoding. Payloads are built with the producers' own
models (intake, judicial) or the fixed transport contract.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from services.court.settings import CourtSettings, configure
from services.intake import events as intake
from services.judicial import events as judicial
from shared.clock import ManualClock
from shared.dbtypes import UtcDateTime
from shared.errors import RuleViolation
from shared.messaging.cloudevents import ConsumedEvent
from shared.service import ServiceRuntime
from tests.support.people import sealed_person
from tests.support.requests import assert_refused_filter
from tests.support.service_app import feed, off_kafka
from tests.support.service_app import refused_rule as rule
from tests.support.service_app import stored_with_topics as stored

LANDED = datetime(2025, 8, 12, 18, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(LANDED + timedelta(hours=1))


# --- feeding other services' events -------------------------------------------------------

def charge(charge_id: str) -> intake.Charge:
    return intake.Charge(
        charge_id=charge_id, statute="21 U.S.C. § 848",
        description=f"continuing criminal enterprise ({charge_id})",
        max_penalty_us=intake.Penalty(life=True), mx_equivalent_offence="delincuencia",
        max_penalty_mx=intake.Penalty(years=40), death_penalty_possible=False)


async def submitted(runtime: ServiceRuntime, case_id: str, *charge_ids: str,
                    basis: intake.LegalBasis = intake.LegalBasis.TREATY) -> ConsumedEvent:
    """intake.request_submitted v2, the person sealed in the key store the court reads."""
    payload = intake.RequestSubmitted(
        case_id=case_id, legal_basis=basis, requesting_district="EDNY",
        prosecutor_office="USAO EDNY", charges=tuple(charge(c) for c in charge_ids),
        person=await sealed_person(runtime.pii, "Rafael", "Caro Quintero"),
        us_request_reference="DOJ-NS-1" if basis is intake.LegalBasis.NATIONAL_SECURITY else None)
    return off_kafka("intake", intake.REQUEST_SUBMITTED, payload.model_dump(mode="json"),
                     case_id, at=LANDED, schema_version=2)


def from_judicial(payload: judicial.JudicialEvent, case_id: str) -> ConsumedEvent:
    """A judicial event as court's consumer reads it off Kafka."""
    return off_kafka("judicial", payload.EVENT_TYPE, payload.model_dump(mode="json"), case_id,
                     at=LANDED)


def sre_granted(case_id: str, *granted: str) -> ConsumedEvent:
    payload = judicial.SreExtraditionGranted(
        case_id=case_id, legal_basis=judicial.LegalBasis.TREATY, decided_on=date(2025, 5, 2),
        notified_on=date(2025, 5, 3), amparo_window_days=30,
        amparo_window_closes_on=date(2025, 6, 2), day_counting="calendar",
        granted_charge_ids=granted, judge_opinion_favorable=True)
    return from_judicial(payload, case_id)


def surrender_ordered(case_id: str, *granted: str, temporary: bool = False) -> ConsumedEvent:
    payload = judicial.SurrenderOrdered(
        case_id=case_id, legal_basis=judicial.LegalBasis.TREATY, requesting_district="EDNY",
        ordered_on=date(2025, 7, 1),
        kind=judicial.SurrenderKind.TEMPORARY if temporary else judicial.SurrenderKind.FULL,
        pickup_days=60, pickup_deadline_on=date(2025, 8, 30), return_obligation=temporary,
        return_conditions="return within 30 days of the judgment" if temporary else None,
        granted_charge_ids=granted)
    return from_judicial(payload, case_id)


def ns_authorized(case_id: str) -> ConsumedEvent:
    payload = judicial.NationalSecurityTransferAuthorized(
        case_id=case_id, authorized_at=LANDED - timedelta(hours=8),
        us_request_reference="DOJ-NS-1", authority="SSPC", requesting_district="EDNY")
    return from_judicial(payload, case_id)


def person_landed(case_id: str, at: datetime = LANDED) -> ConsumedEvent:
    # The fixed transport contract; extra fields must not matter.
    payload = {"case_id": case_id, "flight_id": "FLT-0827", "landed_at": at.isoformat(),
               "airport": "JFK", "district": "EDNY", "stop": 1}
    return off_kafka("transport", "transport.person_landed", payload, case_id, at=LANDED)


def new_case_id() -> str:
    return f"RWY-{uuid.uuid4().hex[:10].upper()}"


async def land(runtime: ServiceRuntime, *charge_ids: str, granted: tuple[str, ...] | None = None,
               basis: intake.LegalBasis = intake.LegalBasis.TREATY, temporary: bool = False) -> str:
    case_id = new_case_id()
    await feed(runtime, await submitted(runtime, case_id, *charge_ids, basis=basis))
    if basis is intake.LegalBasis.NATIONAL_SECURITY:
        await feed(runtime, ns_authorized(case_id))
    else:
        await feed(runtime, surrender_ordered(case_id, *(granted or charge_ids),
                                              temporary=temporary))
    await feed(runtime, person_landed(case_id))
    return case_id


async def ready_to_arraign(client: httpx.AsyncClient, case_id: str) -> None:
    for path, body in (
        ("docket", {"docket_number": "1:15-cr-00208"}),
        ("initial-appearance", {"held_at": (LANDED + timedelta(minutes=50)).isoformat(),
                                "magistrate": "Magistrate Judge Levy"}),
        ("detention-hearing", {"decided_on": "2025-08-12", "outcome": "detained",
                               "grounds": "risk of flight"}),
    ):
        response = await client.post(f"/cases/{case_id}/{path}", json=body)
        assert response.status_code == 200, response.text


# --- scenarios ----------------------------------------------------------------------------

async def test_a_landing_opens_the_intake_in_the_charging_district(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    case_id = new_case_id()
    await feed(runtime, await submitted(runtime, case_id, "c1", "c2", "c3"))
    await feed(runtime, sre_granted(case_id, "c1", "c2"))
    await feed(runtime, surrender_ordered(case_id, "c1", "c2"))
    assert (await client.get(f"/cases/{case_id}")).status_code == 404  # not landed yet
    landing = person_landed(case_id)

    await feed(runtime, landing)

    shown = (await client.get(f"/cases/{case_id}")).json()
    assert (shown["status"], shown["district"], shown["legal_basis"]) == \
        ("intake_opened", "EDNY", "treaty")
    assert shown["intake"] == {"landed_at": "2025-08-12T18:00:00.000000Z", "airport": "JFK",
                               "flight_id": "FLT-0827", "landing_district": "EDNY",
                               "landed_in_charging_district": True}
    assert shown["person_name"] == "Rafael Caro Quintero"
    assert [(c["charge_id"], c["prosecutable"], c["status"]) for c in shown["charges"]] == [
        ("c1", True, "granted"), ("c2", True, "granted"), ("c3", False, "not_granted")]
    assert shown["specialty"]["defence_available"] is True
    assert shown["specialty"]["granted_charge_ids"] == ["c1", "c2"]
    assert shown["return_to_mexico"]["obligation"] is False
    assert shown["initial_appearance"]["status"] == "pending"
    assert shown["initial_appearance"]["due_by"] == "2025-08-14T18:00:00.000000Z"
    topic = runtime.events_topic
    assert topic.endswith("runway.court.events")
    assert await stored(runtime, case_id) == [
        ("court.request_noted", topic), ("court.surrender_terms_noted", topic),
        ("court.surrender_terms_noted", topic), ("court.intake_opened", topic)]
    async with runtime.database.connect() as conn:
        actor, causation, occurred = (await conn.execute(sa.text(
            "SELECT actor_subject, causation_id, occurred_at FROM events "
            "WHERE stream_id = :c AND event_type = 'court.intake_opened'")
            .columns(occurred_at=UtcDateTime()), {"c": case_id})).one()
    assert (actor, causation, occurred) == ("system:court", str(landing.event_id), LANDED)
    listed = (await client.get("/cases", params={"district": "EDNY"})).json()["cases"]
    assert [c["case_id"] for c in listed] == [case_id]
    assert (await client.get("/cases", params={"district": "SDCA"})).json()["cases"] == []

    await feed(runtime, person_landed(case_id, LANDED + timedelta(hours=2)))  # no effect
    assert len(await stored(runtime, case_id)) == 4


async def test_a_landing_before_the_request_is_retried_not_guessed(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    case_id = new_case_id()
    with pytest.raises(RuleViolation) as early:
        await feed(runtime, person_landed(case_id))
    assert early.value.rule == "request_not_seen"
    assert await stored(runtime, case_id) == []

    await feed(runtime, await submitted(runtime, case_id, "c1"))
    with pytest.raises(RuleViolation) as unordered:
        await feed(runtime, person_landed(case_id))
    assert unordered.value.rule == "surrender_order_not_seen"
    await feed(runtime, surrender_ordered(case_id, "c1"))
    await feed(runtime, person_landed(case_id))

    assert (await client.get(f"/cases/{case_id}")).json()["status"] == "intake_opened"


async def test_a_superseding_count_is_blocked_until_mexico_consents(
    client: httpx.AsyncClient, runtime: ServiceRuntime, clock: ManualClock
) -> None:
    clock.set(LANDED + timedelta(hours=20))  # the next morning in New York
    case_id = await land(runtime, "c1", "c2")
    await ready_to_arraign(client, case_id)
    base = f"/cases/{case_id}"

    filed = await client.post(f"{base}/superseding-indictment", json={
        "filed_on": "2025-08-12", "charges": [
            {"charge_id": "c1", "statute": "21 U.S.C. § 848", "description": "CCE"},
            {"charge_id": "c5", "statute": "18 U.S.C. § 1114", "description": "murder of a "
             "federal agent (Enrique Camarena, 1985)"}]})

    assert filed.status_code == 201, filed.text
    charges = {c["charge_id"]: c for c in filed.json()["charges"]}
    assert (charges["c5"]["status"], charges["c5"]["blocked"], charges["c5"]["flagged"]) == \
        ("blocked_pending_consent", True, True)
    assert filed.json()["specialty"]["awaiting_consent_charge_ids"] == ["c5"]
    arraign = {"arraigned_on": "2025-08-13", "plea": "not_guilty", "charge_ids": ["c1", "c5"]}
    assert rule(await client.post(f"{base}/arraignment", json=arraign)) == \
        "specialty_consent_required"
    assert rule(await client.post(f"{base}/arraignment", json={
        **arraign, "charge_ids": ["c9"]})) == "specialty_charge_not_granted"
    consent = {"granted": True, "decided_on": "2025-08-13",
               "diplomatic_note_reference": "SRE note 2025-1432", "charge_ids": ["c5"]}
    assert rule(await client.post(f"{base}/specialty-consent", json=consent)) == \
        "specialty_consent_not_requested"

    asked = await client.post(f"{base}/specialty-consent-requests", json={
        "requested_on": "2025-08-12", "charge_ids": ["c5"],
        "diplomatic_note_reference": "US note 2025-77"})
    assert asked.status_code == 201, asked.text
    assert rule(await client.post(f"{base}/arraignment", json=arraign)) == \
        "specialty_consent_required"
    decided = await client.post(f"{base}/specialty-consent", json=consent)
    assert decided.status_code == 200, decided.text
    arraigned = await client.post(f"{base}/arraignment", json=arraign)

    assert arraigned.status_code == 200, arraigned.text
    shown = (await client.get(base)).json()
    assert shown["status"] == "arraigned"
    assert shown["arraignments"] == [{"arraigned_on": "2025-08-13", "plea": "not_guilty",
                                      "charge_ids": ["c1", "c5"]}]
    assert {c["charge_id"]: c["status"] for c in shown["charges"]} == \
        {"c1": "granted", "c2": "granted", "c5": "consented"}
    topic = runtime.events_topic
    assert [t for t, _ in await stored(runtime, case_id)][-6:] == [
        "court.detention_ordered", "court.superseding_indictment_filed",
        "court.specialty_violation_blocked", "court.specialty_consent_requested",
        "court.specialty_consent_granted", "court.arraigned"]
    assert all(t == topic for _, t in await stored(runtime, case_id))


async def test_an_appearance_after_the_limit_is_late_and_waiting_intakes_turn_overdue(
    client: httpx.AsyncClient, runtime: ServiceRuntime, clock: ManualClock
) -> None:
    on_time = await land(runtime, "c1")
    waiting = await land(runtime, "c1")
    clock.set(LANDED + timedelta(hours=47))
    overdue = {"overdue_appearance": "true"}
    assert (await client.get("/cases", params=overdue)).json()["cases"] == []
    held = await client.post(f"/cases/{on_time}/initial-appearance", json={
        "held_at": (LANDED + timedelta(hours=47)).isoformat(), "magistrate": "Judge Levy"})
    assert held.status_code == 200, held.text
    assert held.json()["initial_appearance"]["late"] is False

    clock.set(LANDED + timedelta(hours=49))

    listed = (await client.get("/cases", params=overdue)).json()["cases"]
    assert [(c["case_id"], c["appearance_overdue"]) for c in listed] == [(waiting, True)]
    assert (await client.get(f"/cases/{waiting}")).json()["initial_appearance"][
        "overdue"] is True
    late = await client.post(f"/cases/{waiting}/initial-appearance", json={
        "held_at": (LANDED + timedelta(hours=49)).isoformat(), "magistrate": "Judge Levy"})
    appearance = late.json()["initial_appearance"]
    assert (appearance["late"], appearance["hours_elapsed"], appearance["overdue"]) == \
        (True, 49.0, False)
    assert (await client.get("/cases", params=overdue)).json()["cases"] == []
    not_overdue = (await client.get("/cases", params={"overdue_appearance": "false"})).json()
    assert {c["case_id"] for c in not_overdue["cases"]} == {on_time, waiting}


async def test_the_appearance_limit_is_configurable(
    client: httpx.AsyncClient, runtime: ServiceRuntime, clock: ManualClock
) -> None:
    configure(runtime, CourtSettings(INITIAL_APPEARANCE_LIMIT_HOURS=24))
    case_id = await land(runtime, "c1")
    clock.set(LANDED + timedelta(hours=30))
    listed = (await client.get("/cases", params={"overdue_appearance": "true"})).json()
    assert [c["case_id"] for c in listed["cases"]] == [case_id]
    held = await client.post(f"/cases/{case_id}/initial-appearance", json={
        "held_at": (LANDED + timedelta(hours=30)).isoformat(), "magistrate": "Judge Levy"})
    appearance = held.json()["initial_appearance"]
    assert (appearance["late"], appearance["limit_hours"]) == (True, 24)


async def test_national_security_transfers_record_that_specialty_is_unavailable(
    client: httpx.AsyncClient, runtime: ServiceRuntime, clock: ManualClock
) -> None:
    clock.set(LANDED + timedelta(hours=20))  # the next morning in New York
    case_id = await land(runtime, "c1", basis=intake.LegalBasis.NATIONAL_SECURITY)
    await ready_to_arraign(client, case_id)

    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["specialty"]["defence_available"] is False
    assert "Valencia-Trujillo" in shown["specialty"]["note"]
    filed = await client.post(f"/cases/{case_id}/superseding-indictment", json={
        "filed_on": "2025-08-12", "charges": [
            {"charge_id": "c7", "statute": "18 U.S.C. § 1114", "description": "murder"}]})
    assert filed.status_code == 201, filed.text
    assert filed.json()["specialty"]["blocked_charge_ids"] == []
    arraigned = await client.post(f"/cases/{case_id}/arraignment", json={
        "arraigned_on": "2025-08-13", "plea": "not_guilty", "charge_ids": ["c1", "c7"]})
    assert arraigned.status_code == 200, arraigned.text
    assert "court.specialty_violation_blocked" not in \
        [t for t, _ in await stored(runtime, case_id)]


async def test_temporary_surrender_falls_due_for_return_when_proceedings_end(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    temporary = await land(runtime, "c1", temporary=True)
    full = await land(runtime, "c1")
    for case_id in (temporary, full):
        ended = await client.post(f"/cases/{case_id}/proceedings-ended",
                                  json={"ended_on": "2025-08-12", "outcome": "dismissed"})
        assert ended.status_code == 200, ended.text

    due = (await client.get(f"/cases/{temporary}")).json()["return_to_mexico"]
    assert due == {"obligation": True, "surrender_kind": "temporary",
                   "conditions": "return within 30 days of the judgment", "due": True,
                   "due_on": "2025-08-12"}
    assert (await stored(runtime, temporary))[-1][0] == "court.return_to_mexico_due"
    assert (await stored(runtime, full))[-1][0] == "court.proceedings_ended"
    assert (await client.get(f"/cases/{full}")).json()["return_to_mexico"]["due"] is False


async def test_refused_commands_name_their_rule_and_write_nothing(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    case_id = await land(runtime, "c1", "c2", granted=("c1",))
    before = await stored(runtime, case_id)
    base = f"/cases/{case_id}"
    arraign = {"arraigned_on": "2025-08-12", "plea": "guilty", "charge_ids": ["c1"]}

    attempts = {
        "initial_appearance_required": await client.post(f"{base}/arraignment", json=arraign),
        "date_out_of_order": await client.post(f"{base}/initial-appearance", json={
            "held_at": (LANDED - timedelta(hours=1)).isoformat(), "magistrate": "J"}),
        "date_in_future": await client.post(f"{base}/initial-appearance", json={
            "held_at": (LANDED + timedelta(days=1)).isoformat(), "magistrate": "J"}),
        "specialty_consent_not_needed": await client.post(
            f"{base}/specialty-consent-requests",
            json={"requested_on": "2025-08-12", "charge_ids": ["c1"]}),
    }

    assert {name: rule(response) for name, response in attempts.items()} == \
        {name: name for name in attempts}
    assert await stored(runtime, case_id) == before
    assert (await client.get(base)).json()["version"] == len(before)


async def test_unknown_cases_are_404_and_unlanded_ones_have_no_intake(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    assert (await client.get("/cases/RWY-NOPE")).status_code == 404
    missing = await client.post("/cases/RWY-NOPE/docket", json={"docket_number": "1:25-cr-1"})
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    case_id = new_case_id()
    await feed(runtime, await submitted(runtime, case_id, "c1"))
    assert (await client.get(f"/cases/{case_id}")).status_code == 404
    early = await client.post(f"/cases/{case_id}/docket", json={"docket_number": "1:25-cr-1"})
    assert rule(early) == "intake_not_opened"
    async with runtime.database.connect() as conn:
        assert await conn.scalar(sa.text(
            "SELECT count(*) FROM events WHERE stream_id = 'RWY-NOPE'")) == 0


@pytest.mark.parametrize(("path", "body", "field"), [
    ("initial-appearance", {"magistrate": "J"}, ["held_at"]),
    ("initial-appearance", {"held_at": "2025-08-12T19:00:00", "magistrate": "J"}, ["held_at"]),
    ("initial-appearance", {"held_at": "2025-08-12T19:00:00Z", "magistrate": ""},
     ["magistrate"]),
    ("arraignment", {"arraigned_on": "2025-08-12", "plea": "maybe", "charge_ids": ["c1"]},
     ["plea"]),
    ("arraignment", {"arraigned_on": "2025-08-12", "plea": "guilty", "charge_ids": []},
     ["charge_ids"]),
    ("detention-hearing", {"decided_on": "2025-08-12", "outcome": "released_on_conditions"},
     ["conditions"]),
    ("specialty-consent", {"granted": "yes", "decided_on": "2025-08-12",
                           "diplomatic_note_reference": "n", "charge_ids": ["c1"]},
     ["granted"]),
    ("superseding-indictment", {"filed_on": "2025-08-12", "charges": [
        {"charge_id": "c5", "statute": "s", "description": "d"},
        {"charge_id": "c5", "statute": "s", "description": "d"}]},
     ["charges", 1, "charge_id"]),
    ("proceedings-ended", {"ended_on": "2025-08-12", "outcome": "x", "by": "me"}, ["by"]),
])
async def test_a_bad_body_is_a_422_naming_the_field(
    client: httpx.AsyncClient, runtime: ServiceRuntime, path: str, body: dict[str, Any],
    field: list[str | int]
) -> None:
    case_id = await land(runtime, "c1")
    response = await client.post(f"/cases/{case_id}/{path}", json=body)
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [["body", *field]]


@pytest.mark.parametrize(("parameter", "value"), [("status", "bogus"), ("district", "edny")])
async def test_a_filter_no_record_can_match_is_a_422_naming_the_parameter(
        client: httpx.AsyncClient, parameter: str, value: str) -> None:
    await assert_refused_filter(client, "/cases", parameter, value)
