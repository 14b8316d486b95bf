"""GET /cases/{id} judges the case on today's legal date, on both stores: the days alone move
it while nothing is recorded (a denial becomes final once its appeal period passes, the SRE's
duty falls overdue), and the case view says so on the day it happens, as the refusals do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.clock import ManualClock
from shared.legaltime import zone
from shared.service import ServiceRuntime

from .test_api import open_case, post, today, walk_to_grant, walk_to_opinion

START = datetime(2026, 1, 2, 12, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


async def shown(client: httpx.AsyncClient, case_id: str) -> dict[str, Any]:
    response = await client.get(f"/cases/{case_id}")
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view


async def test_a_denial_becomes_final_in_the_view_when_its_appeal_period_passes(
        client: httpx.AsyncClient, runtime: ServiceRuntime, clock: ManualClock) -> None:
    case_id = await open_case(runtime)
    await walk_to_grant(client, clock, case_id)  # granted 11 Feb; the window closes 26 Mar
    await post(client, case_id, "amparo", {"amparo_id": "A-1", "filed_on": today(clock)})
    clock.set(datetime(2026, 4, 1, 12, tzinfo=zone()))
    await post(client, case_id, "amparo-ruling", {
        "amparo_id": "A-1", "outcome": "denied", "ruled_on": "2026-04-01"})
    assert (await shown(client, case_id))["surrender_blocked_by"] == ["amparo_not_final"]

    # No appeal: the 10 business days after 1 Apr have passed by 20 Apr (Holy Week's holidays
    # or not), with nothing recorded since the ruling.
    clock.set(datetime(2026, 4, 20, 12, tzinfo=zone()))
    view = await shown(client, case_id)
    assert view["surrender_blocked_by"] == []
    assert view["amparos"][0]["final"] is True
    await post(client, case_id, "surrender-order", {"ordered_on": "2026-04-20"})


async def test_the_sres_duty_falls_overdue_in_the_view(
        client: httpx.AsyncClient, runtime: ServiceRuntime, clock: ManualClock) -> None:
    case_id = await open_case(runtime)
    await walk_to_opinion(client, clock, case_id)
    [duty] = [c for c in (await shown(client, case_id))["clocks"]
              if c["kind"] == "sre_decision_due"]
    assert duty["overdue"] is False
    clock.advance(timedelta(days=25))  # 20 days after the opinion have passed
    [duty] = [c for c in (await shown(client, case_id))["clocks"]
              if c["kind"] == "sre_decision_due"]
    assert duty["overdue"] is True
