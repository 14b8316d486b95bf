"""Specialty beyond the grant through the court's API, on SQLite and on PostgreSQL (issue
14 finding 6): a re-described count, an exception of art. 17, and onward extradition."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from shared.clock import ManualClock
from shared.service import ServiceRuntime
from tests.integration.court.test_api import (
    LANDED,
    land,
    ready_to_arraign,
)
from tests.support.service_app import refused_rule as rule
from tests.support.service_app import stored_with_topics as stored


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(LANDED + timedelta(days=400))


async def test_a_re_described_count_an_exception_and_onward_extradition(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    case_id = await land(runtime, "c1")
    await ready_to_arraign(client, case_id)
    base = f"/cases/{case_id}"

    filed = await client.post(f"{base}/superseding-indictment", json={
        "filed_on": "2025-09-01", "charges": [
            {"charge_id": "c1", "statute": "18 U.S.C. § 1959", "description": "VICAR",
             "facts_of": "c1"},
            {"charge_id": "c8", "statute": "18 U.S.C. § 1962", "description": "RICO",
             "facts_of": "c1"},
            {"charge_id": "c9", "statute": "18 U.S.C. § 1114", "description": "a 2025 murder"}]})
    assert filed.status_code == 201, filed.text
    charges = {c["charge_id"]: c for c in filed.json()["charges"]}
    assert [(c, charges[c]["status"], charges[c]["blocked_by"]) for c in ("c1", "c8", "c9")] \
        == [("c1", "granted", []), ("c8", "re_described", []),
            ("c9", "blocked_pending_consent", ["specialty_consent_required"])]
    bad = await client.post(f"{base}/superseding-indictment", json={
        "filed_on": "2025-09-02", "charges": [
            {"charge_id": "c7", "statute": "x", "description": "y", "facts_of": "c6"}]})
    assert rule(bad) == "facts_not_in_case"

    later = {"exception": "offence_after_extradition", "found_on": "2025-10-01",
             "reference": "Order 14", "committed_on": "2025-08-12", "charge_ids": ["c9"]}
    assert rule(await client.post(f"{base}/specialty-exceptions", json=later)) == \
        "offence_not_after_extradition"
    excepted = await client.post(f"{base}/specialty-exceptions",
                                 json={**later, "committed_on": "2025-08-20"})
    assert excepted.status_code == 201, excepted.text
    assert excepted.json()["specialty"]["blocked_charge_ids"] == []
    arraigned = await client.post(f"{base}/arraignment", json={
        "arraigned_on": "2025-10-02", "plea": "not_guilty", "charge_ids": ["c1", "c8", "c9"]})
    assert arraigned.status_code == 200, arraigned.text

    onward = {"requesting_state": "Spain", "surrendered_on": "2026-01-20"}
    assert rule(await client.post(f"{base}/onward-surrender", json=onward)) == \
        "reextradition_not_requested"
    asked = await client.post(f"{base}/reextradition-requests", json={
        "requesting_state": "Spain", "requested_on": "2025-11-01"})
    assert asked.status_code == 201, asked.text
    assert asked.json()["reextraditions"][0]["blocked_by"] == ["reextradition_consent_missing"]
    assert rule(await client.post(f"{base}/onward-surrender", json=onward)) == \
        "reextradition_consent_missing"
    consent = await client.post(f"{base}/reextradition-consent", json={
        "requesting_state": "Spain", "granted": True, "decided_on": "2025-12-01",
        "diplomatic_note_reference": "SRE note 2025-300"})
    assert consent.status_code == 200, consent.text
    surrendered = await client.post(f"{base}/onward-surrender", json=onward)
    assert surrendered.status_code == 200, surrendered.text
    assert surrendered.json()["reextraditions"][0]["surrendered_on"] == "2026-01-20"
    types = [t for t, _ in await stored(runtime, case_id)]
    assert "court.specialty_exception_recorded" in types
    assert types[-3:] == ["court.reextradition_requested",
                          "court.reextradition_consent_granted",
                          "court.onward_surrender_recorded"]
