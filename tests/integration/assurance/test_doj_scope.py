"""The DOJ commitment's scope through the API (issue 14 finding 8), on SQLite and PostgreSQL:
a commitment that says death will be sought, or that does not reach every capital count, is
recorded but does not clear the case, and the refusal names the commitment's rule and the
commitment itself, not treaty art. 8. Before, any recorded commitment cleared the case."""

from __future__ import annotations

import httpx
import pytest

from services.intake.events import LegalBasis
from shared.clock import ManualClock
from shared.service import ServiceRuntime
from tests.support.service_app import refused_rule as rule

from .test_api import NOW, charge, open_case, record_commitment

COMMITMENT = {"reference": "DOJ-NS-2025-08", "committed_on": "2025-08-01",
              "authority": "US Attorney General"}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


async def test_a_commitment_that_will_seek_death_does_not_clear_the_case(
        client: httpx.AsyncClient, runtime: ServiceRuntime) -> None:
    case_id = await open_case(runtime, charge("c1", True), basis=LegalBasis.NATIONAL_SECURITY)
    shown = await record_commitment(
        client, case_id, **COMMITMENT, scope="the United States will seek the death penalty",
        seeks_death=True)

    assert shown["clearance"]["cleared"] is False
    assert shown["doj_commitment"]["seeks_death"] is True
    assert shown["doj_commitment"]["covers_charge_ids"] == []
    assert shown["clearance"]["blocked"]["rule"] == "doj_commitment_insufficient"
    evaluated = await client.post(f"/cases/{case_id}/clearance/evaluation")
    assert rule(evaluated) == "doj_commitment_insufficient"
    detail = evaluated.json()["detail"]
    assert "DOJ-NS-2025-08 says death will be sought" in detail
    assert "treaty art. 8" not in detail


async def test_a_commitment_naming_some_counts_leaves_the_others_uncovered(
        client: httpx.AsyncClient, runtime: ServiceRuntime) -> None:
    case_id = await open_case(runtime, charge("c1", True), charge("c2", True),
                              basis=LegalBasis.NATIONAL_SECURITY)
    clearance = (await record_commitment(
        client, case_id, **COMMITMENT, scope="will not seek death on count 1",
        charge_ids=["c1"]))["clearance"]
    assert clearance["cleared"] is False
    assert clearance["blocked"]["uncovered_charge_ids"] == ["c2"]
    listed = (await client.get("/cases", params={"cleared": "false"})).json()
    assert case_id in [c["case_id"] for c in listed["cases"]]


async def test_a_prosecuting_authority_must_be_federal_or_a_state_name(
        client: httpx.AsyncClient, runtime: ServiceRuntime) -> None:
    case_id = await open_case(runtime, charge("c1", True), basis=LegalBasis.NATIONAL_SECURITY)
    answer = await client.post(f"/cases/{case_id}/doj-commitment", json={
        **COMMITMENT, "scope": "no death", "prosecuting_authority": "somebody; DROP"})
    assert answer.status_code == 422
    assert "prosecuting_authority" in answer.text
