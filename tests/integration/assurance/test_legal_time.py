"""Legal time through the service (issue 13), on SQLite and on PostgreSQL: a national-security
transfer entered weeks later with its real dates is not flagged (only shown as recorded after
the fact), and one whose commitment is dated after the custody is flagged naming both dates.

The request comes from intake and the custody from transport, through the service's own
Kafka handlers; the commitment through the HTTP API; the clock says it is March 2026.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import httpx
import pytest

from services.intake.events import LegalBasis
from shared.clock import ManualClock
from shared.service import ServiceRuntime
from tests.support.service_app import feed, off_kafka
from tests.support.service_app import stored_with_topics as stored

from .test_api import charge, open_case, record_commitment

ENTERED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
CUSTODY = datetime(2026, 1, 20, 16, 0, tzinfo=UTC)  # 10:00 on 20 Jan in Mexico City


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(ENTERED)


async def custody_entered_late(runtime: ServiceRuntime, case_id: str) -> None:
    """transport.custody_transferred dated at the handoff, recorded by transport in March."""
    event = off_kafka("transport", "transport.custody_transferred",
                      {"case_id": case_id, "transferred_at": CUSTODY.isoformat()}, case_id,
                      at=CUSTODY)
    await feed(runtime, dataclasses.replace(event, recorded_at=ENTERED))


async def commit(client: httpx.AsyncClient, case_id: str, on: str) -> None:
    await record_commitment(client, case_id, reference="DOJ-NS-2026-01", committed_on=on,
                            scope="the United States will not seek the death penalty")


@pytest.mark.parametrize("commitment_first", [True, False])
async def test_a_transfer_entered_after_the_fact_with_its_real_dates_is_not_flagged(
        client: httpx.AsyncClient, runtime: ServiceRuntime, commitment_first: bool) -> None:
    case_id = await open_case(runtime, charge("c1", True), basis=LegalBasis.NATIONAL_SECURITY)
    if commitment_first:
        await commit(client, case_id, "2026-01-16")
        await custody_entered_late(runtime, case_id)
    else:
        await custody_entered_late(runtime, case_id)
        await commit(client, case_id, "2026-01-16")

    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["transfer"]["flagged"] is False and shown["transfer"]["flag"] is None
    assert shown["transfer"]["recorded_after_the_fact"] is True
    assert shown["transfer"]["transfer_legal_date"] == "2026-01-20"
    assert shown["clearance"]["exception"] is None
    assert shown["clearance"]["since"] == "2026-01-16T06:00:00.000000Z"
    flagged = (await client.get("/cases", params={"transfer_flagged": "true"})).json()
    assert case_id not in [c["case_id"] for c in flagged["cases"]]
    listed = (await client.get("/cases", params={"transfer_flagged": "false"})).json()
    assert case_id in [c["case_id"] for c in listed["cases"]]


async def test_a_commitment_dated_after_the_custody_is_flagged_naming_both_dates(
        client: httpx.AsyncClient, runtime: ServiceRuntime) -> None:
    case_id = await open_case(runtime, charge("c1", True), basis=LegalBasis.NATIONAL_SECURITY)
    await custody_entered_late(runtime, case_id)
    await commit(client, case_id, "2026-01-22")

    shown = (await client.get(f"/cases/{case_id}")).json()
    assert shown["transfer"]["flagged"] is True
    assert shown["transfer"]["flag"]["rule"] == "cleared_after_transfer"
    assert (shown["transfer"]["flag"]["transfer_legal_date"],
            shown["transfer"]["flag"]["clearance_legal_date"]) == ("2026-01-20", "2026-01-22")
    assert shown["clearance"]["exception"] == "commitment_after_transfer"
    flagged = (await client.get("/cases", params={"transfer_flagged": "true"})).json()
    assert case_id in [c["case_id"] for c in flagged["cases"]]
    assert [t for t, _ in await stored(runtime, case_id)][-3:] == [
        "assurance.doj_commitment_recorded", "assurance.transfer_without_clearance_flagged",
        "assurance.death_penalty_clearance_granted"]
