"""The assurance service in-process on real Kafka, on SQLite and on PostgreSQL.

Intake and transport events are fed to the service's own handlers (as wired in its
ServiceSpec) inside a database transaction, the way the consumer runtime calls them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from services.assurance import rules as assurance_rules
from services.intake.events import (
    CHARGES_AMENDED,
    REQUEST_SUBMITTED,
    Charge,
    ChargesAmended,
    LegalBasis,
    Penalty,
    RequestSubmitted,
)
from shared.clock import ManualClock
from shared.errors import RuleViolation
from shared.messaging.cloudevents import ConsumedEvent
from shared.service import ServiceRuntime
from tests.support.people import sealed_offline
from tests.support.requests import assert_refused_filter
from tests.support.service_app import feed, off_kafka
from tests.support.service_app import refused_rule as rule
from tests.support.service_app import stored_with_topics as stored

NOW = datetime(2025, 8, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


# --- feeding other services' events -------------------------------------------------------

def charge(charge_id: str, capital: bool) -> Charge:
    return Charge(
        charge_id=charge_id,
        statute="18 U.S.C. § 1114" if capital else "21 U.S.C. § 848",
        description="murder of a federal officer" if capital else "continuing enterprise",
        max_penalty_us=Penalty(life=True), mx_equivalent_offence="homicidio",
        max_penalty_mx=Penalty(years=60), death_penalty_possible=capital,
        death_penalty_law="18 U.S.C. § 3591" if capital else None)


def submitted(case_id: str, *charges: Charge, basis: LegalBasis = LegalBasis.TREATY
              ) -> ConsumedEvent:
    payload = RequestSubmitted(
        case_id=case_id, legal_basis=basis, requesting_district="SDCA",
        prosecutor_office="USAO SDCA", charges=charges,
        person=sealed_offline("Roberto", "Salazar"),
        us_request_reference="DOJ-NS-1" if basis is LegalBasis.NATIONAL_SECURITY else None)
    return off_kafka("intake", REQUEST_SUBMITTED, payload.model_dump(mode="json"), case_id,
                     at=NOW, schema_version=2)


def amended(case_id: str, *charges: Charge) -> ConsumedEvent:
    payload = ChargesAmended(case_id=case_id, charges=charges, reason="superseding indictment")
    return off_kafka("intake", CHARGES_AMENDED, payload.model_dump(mode="json"), case_id,
                     at=NOW, version=2)


def custody_transferred(case_id: str, at: datetime) -> ConsumedEvent:
    # The transport service's contract is not written yet: extra fields must not matter.
    payload = {"case_id": case_id, "transferred_at": at.isoformat(), "flight_id": "FL-7",
               "port": "Toluca", "escort": "USMS"}
    return off_kafka("transport", "transport.custody_transferred", payload, case_id, at=NOW)


async def open_case(runtime: ServiceRuntime, *charges: Charge,
                    basis: LegalBasis = LegalBasis.TREATY) -> str:
    case_id = f"RWY-{uuid.uuid4().hex[:10].upper()}"
    await feed(runtime, submitted(case_id, *charges, basis=basis))
    return case_id


async def record_commitment(client: httpx.AsyncClient, case_id: str, *, reference: str,
                            committed_on: str, authority: str = "US Attorney General",
                            scope: str = "will not seek the death penalty",
                            **more: Any) -> dict[str, Any]:
    """Records a DOJ commitment (201) and returns the case as the answer shows it."""
    answer = await client.post(f"/cases/{case_id}/doj-commitment", json={
        "reference": reference, "committed_on": committed_on, "authority": authority,
        "scope": scope, **more})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


ASSURANCE = {"assurance_id": "DN-2025-117", "scope": ["not_imposed", "not_carried_out"],
             "diplomatic_note_reference": "US Embassy note 2025-117",
             "issuing_authority": "US Department of State", "issued_on": "2025-07-01",
             "charge_ids": ["c2"]}


# --- scenarios ----------------------------------------------------------------------------

async def test_a_treaty_case_is_cleared_once_its_capital_charge_assurance_is_accepted(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    case_id = await open_case(runtime, charge("c1", False), charge("c2", True))
    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["legal_basis"] == "treaty"
    assert [(c["charge_id"], c["coverage"]) for c in shown["capital_charges"]] == \
        [("c2", "uncovered")]
    assert shown["clearance"]["cleared"] is False
    assert shown["clearance"]["blocked"]["uncovered_charge_ids"] == ["c2"]

    requested = await client.post(f"/cases/{case_id}/assurance-requests", json={
        "charge_ids": ["c2"], "requested_on": "2025-06-20", "note": "art. 8 request"})
    assert requested.status_code == 201, requested.text
    assert requested.json()["capital_charges"][0]["coverage"] == "requested"
    received = await client.post(f"/cases/{case_id}/assurances", json=ASSURANCE)
    assert received.status_code == 201, received.text
    assert received.json()["capital_charges"][0]["coverage"] == "received"
    decided = await client.post(f"/cases/{case_id}/assurances/DN-2025-117/decision", json={
        "accepted": True, "decided_on": "2025-07-15", "reason": "sufficient under art. 8"})
    assert decided.status_code == 200, decided.text

    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["capital_charges"][0]["coverage"] == "accepted"
    assert shown["clearance"] == {
        "cleared": True, "since": "2025-07-15T06:00:00.000000Z", "basis": "assurances_accepted",
        "exception": None, "charge_ids": ["c2"], "assurance_ids": ["DN-2025-117"],
        "doj_commitment_reference": None, "withdrawn_at": None, "withdrawal_reason": None,
        "blocked": None}
    topic = runtime.events_topic
    assert await stored(runtime, case_id) == [
        ("assurance.case_opened", topic),
        ("assurance.capital_charge_identified", topic),
        ("assurance.assurance_requested", topic),
        ("assurance.assurance_received", topic),
        ("assurance.assurance_accepted", topic),
        ("assurance.death_penalty_clearance_granted", topic),
    ]
    assert topic.endswith("runway.assurance.events")
    listed = (await client.get("/cases", params={"cleared": "true"})).json()["cases"]
    assert [c["case_id"] for c in listed] == [case_id]
    assert (await client.get("/cases", params={"cleared": "false"})).json()["cases"] == []


async def test_a_rejected_assurance_leaves_the_case_uncleared(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    case_id = await open_case(runtime, charge("c2", True))
    await client.post(f"/cases/{case_id}/assurances", json=ASSURANCE)
    rejected = await client.post(f"/cases/{case_id}/assurances/DN-2025-117/decision", json={
        "accepted": False, "decided_on": "2025-07-15", "reason": "no binding federal note"})
    assert rejected.status_code == 200, rejected.text

    again = await client.post(f"/cases/{case_id}/assurances/DN-2025-117/decision", json={
        "accepted": True, "decided_on": "2025-07-16", "reason": "changed our mind"})
    assert rule(again) == "assurance_already_decided"
    evaluated = await client.post(f"/cases/{case_id}/clearance/evaluation")
    assert rule(evaluated) == "capital_charge_uncovered"
    assert "c2" in evaluated.json()["detail"]
    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["clearance"]["cleared"] is False
    assert shown["capital_charges"][0]["coverage"] == "rejected"
    assert shown["assurances"][0]["status"] == "rejected"
    types = [t for t, _ in await stored(runtime, case_id)]
    assert "assurance.death_penalty_clearance_granted" not in types
    uncleared = (await client.get("/cases", params={"cleared": "false"})).json()["cases"]
    assert [(c["case_id"], c["uncovered_charge_ids"]) for c in uncleared] == [(case_id, ["c2"])]


async def test_a_national_security_case_is_cleared_by_the_doj_commitment(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    case_id = await open_case(runtime, charge("c1", True), basis=LegalBasis.NATIONAL_SECURITY)
    await record_commitment(client, case_id, reference="DOJ-2025-08-11", committed_on="2025-08-08")

    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["clearance"]["cleared"] is True
    assert shown["clearance"]["basis"] == "doj_commitment"
    assert shown["clearance"]["exception"] is None
    assert shown["doj_commitment"]["reference"] == "DOJ-2025-08-11"
    assert shown["capital_charges"][0]["covered_by"] == "doj_commitment"
    again = await client.post(f"/cases/{case_id}/doj-commitment", json={
        "reference": "DOJ-2025-08-11", "committed_on": "2025-08-09", "authority": "AG",
        "scope": "x"})
    assert rule(again) == "doj_commitment_already_recorded"
    # A further commitment of the same prosecution, under its own reference, is recorded.
    further = await client.post(f"/cases/{case_id}/doj-commitment", json={
        "reference": "DOJ-2", "committed_on": "2025-08-09", "authority": "AG", "scope": "x"})
    assert further.status_code < 300, further.text
    shown = (await client.get(f"/cases/{case_id}")).json()
    assert [c["reference"] for c in shown["doj_commitments"]] == ["DOJ-2025-08-11", "DOJ-2"]


async def test_a_commitment_after_the_transfer_is_flagged_and_shown_as_an_exception(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    case_id = await open_case(runtime, charge("c1", True), basis=LegalBasis.NATIONAL_SECURITY)
    await feed(runtime, custody_transferred(case_id, datetime(2025, 2, 27, 18, tzinfo=UTC)))

    flagged = (await client.get("/cases", params={"transfer_flagged": "true"})).json()
    assert [c["case_id"] for c in flagged["cases"]] == [case_id]
    await record_commitment(client, case_id, reference="DOJ-2025-07", committed_on="2025-07-30")

    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["clearance"]["cleared"] is True
    assert shown["clearance"]["exception"] == "commitment_after_transfer"
    # Issue 13: once cleared, the flag says what it compared: the commitment's legal date
    # (30 Jul) is after the custody's (27 Feb).
    assert shown["transfer"] == {
        "transferred_at": "2025-02-27T18:00:00.000000Z", "transfer_legal_date": "2025-02-27",
        "cleared_at_transfer": False, "flagged": True, "flag_reason": "cleared_after_transfer",
        "flag": {"rule": "cleared_after_transfer",
                 "statement": assurance_rules.CLEARED_AFTER_TRANSFER.statement,
                 "transfer_legal_date": "2025-02-27", "clearance_legal_date": "2025-07-30"},
        "recorded_after_the_fact": True}
    assert [t for t, _ in await stored(runtime, case_id)] == [
        "assurance.case_opened", "assurance.capital_charge_identified",
        "assurance.transfer_noted", "assurance.transfer_without_clearance_flagged",
        "assurance.doj_commitment_recorded", "assurance.transfer_without_clearance_flagged",
        "assurance.death_penalty_clearance_granted"]


async def test_refused_commands_name_their_rule_and_write_nothing(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    case_id = await open_case(runtime, charge("c1", False), charge("c2", True))
    weak = {**ASSURANCE, "assurance_id": "DN-weak", "scope": ["not_sought"]}
    assert (await client.post(f"/cases/{case_id}/assurances", json=weak)).status_code == 201
    before = await stored(runtime, case_id)

    accept = {"accepted": True, "decided_on": "2025-07-15", "reason": "ok"}
    attempts = {
        "assurance_scope_insufficient": await client.post(
            f"/cases/{case_id}/assurances/DN-weak/decision", json=accept),
        "basis_mismatch": await client.post(f"/cases/{case_id}/doj-commitment", json={
            "reference": "DOJ-1", "committed_on": "2025-08-01", "authority": "AG",
            "scope": "no death"}),
        "charge_not_capital_eligible": await client.post(
            f"/cases/{case_id}/assurance-requests",
            json={"charge_ids": ["c1"], "requested_on": "2025-06-01"}),
        "assurance_already_recorded": await client.post(f"/cases/{case_id}/assurances",
                                                        json=weak),
        "date_in_future": await client.post(f"/cases/{case_id}/assurances", json={
            **ASSURANCE, "issued_on": "2025-08-11"}),
    }

    assert {name: rule(response) for name, response in attempts.items()} == \
        {name: name for name in attempts}
    assert await stored(runtime, case_id) == before
    assert (await client.get(f"/cases/{case_id}")).json()["version"] == len(before)


async def test_unknown_cases_and_assurances_are_404(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    assert (await client.get("/cases/RWY-NOPE")).status_code == 404
    missing = await client.post("/cases/RWY-NOPE/assurances", json=ASSURANCE)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    case_id = await open_case(runtime, charge("c2", True))
    unknown = await client.post(f"/cases/{case_id}/assurances/DN-404/decision", json={
        "accepted": True, "decided_on": "2025-07-15", "reason": "ok"})
    assert unknown.status_code == 404
    async with runtime.database.connect() as conn:
        assert await conn.scalar(sa.text(
            "SELECT count(*) FROM events WHERE stream_id = 'RWY-NOPE'")) == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"decided_on": "2025-07-15", "reason": "ok"}, "accepted"),
    ({"accepted": "yes", "decided_on": "2025-07-15", "reason": "ok"}, "accepted"),
    ({"accepted": True, "decided_on": "mid-July", "reason": "ok"}, "decided_on"),
    ({"accepted": True, "decided_on": "2025-07-15", "reason": ""}, "reason"),
    ({"accepted": True, "decided_on": "2025-07-15", "reason": "ok", "by": "x"}, "by"),
])
async def test_a_bad_decision_body_is_a_422_naming_the_field(
    client: httpx.AsyncClient, runtime: ServiceRuntime, body: dict[str, Any], field: str
) -> None:
    case_id = await open_case(runtime, charge("c2", True))
    response = await client.post(f"/cases/{case_id}/assurances/DN-1/decision", json=body)
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [["body", field]]


async def test_a_bad_scope_is_a_422_naming_the_field(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    case_id = await open_case(runtime, charge("c2", True))
    for scope in (["never"], []):
        response = await client.post(f"/cases/{case_id}/assurances",
                                     json={**ASSURANCE, "scope": scope})
        assert response.status_code == 422, response.text
        assert {tuple(e["loc"][:2]) for e in response.json()["detail"]} == {("body", "scope")}


async def test_intake_events_drive_capital_charges_and_clearance(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    case_id = f"RWY-{uuid.uuid4().hex[:10].upper()}"
    # An amendment before the submission is refused, so the consumer retries it.
    with pytest.raises(RuleViolation) as early:
        await feed(runtime, amended(case_id, charge("c1", True)))
    assert early.value.rule == "case_not_opened"
    assert await stored(runtime, case_id) == []

    first = submitted(case_id, charge("c1", False))
    await feed(runtime, first)
    assert (await client.get(f"/cases/{case_id}")).json()["clearance"]["basis"] == \
        "no_capital_charges"
    await feed(runtime, submitted(case_id, charge("c1", False)))  # a duplicate: no effect
    assert len(await stored(runtime, case_id)) == 2

    await feed(runtime, amended(case_id, charge("c1", False), charge("c2", True)))

    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["clearance"]["cleared"] is False
    assert shown["clearance"]["withdrawal_reason"] == "capital_charge_identified"
    assert shown["clearance"]["blocked"]["uncovered_charge_ids"] == ["c2"]
    assert [t for t, _ in await stored(runtime, case_id)] == [
        "assurance.case_opened", "assurance.death_penalty_clearance_granted",
        "assurance.capital_charge_identified", "assurance.death_penalty_clearance_withdrawn"]
    async with runtime.database.connect() as conn:
        actor, causation = (await conn.execute(sa.text(
            "SELECT actor_subject, causation_id FROM events WHERE stream_id = :c "
            "AND version = 1"), {"c": case_id})).one()
    assert (actor, causation) == ("system:assurance", str(first.event_id))


async def test_withdrawing_the_accepted_assurance_withdraws_clearance(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    case_id = await open_case(runtime, charge("c2", True))
    await client.post(f"/cases/{case_id}/assurances", json=ASSURANCE)
    await client.post(f"/cases/{case_id}/assurances/DN-2025-117/decision", json={
        "accepted": True, "decided_on": "2025-07-15", "reason": "sufficient"})

    withdrawn = await client.post(f"/cases/{case_id}/assurances/DN-2025-117/withdrawal",
                                  json={"withdrawn_on": "2025-08-01", "reason": "revoked"})

    assert withdrawn.status_code == 200, withdrawn.text
    clearance = withdrawn.json()["clearance"]
    assert clearance["cleared"] is False and clearance["withdrawal_reason"] == \
        "assurance_withdrawn"
    assert (await stored(runtime, case_id))[-1][0] == \
        "assurance.death_penalty_clearance_withdrawn"


@pytest.mark.parametrize("parameter", ["cleared", "transfer_flagged"])
async def test_an_unknown_filter_value_is_a_422_naming_the_parameter(
        client: httpx.AsyncClient, parameter: str) -> None:
    await assert_refused_filter(client, "/cases", parameter, "bogus")
