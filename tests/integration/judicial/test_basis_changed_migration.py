"""judicial_0003 on both stores: a case whose basis changed before the `basis_changed` status
existed shows it once migrated, in its stored row and view and in the list; a migration back
gives it the status the older code showed (here `amparo_pending`), which that code can read.
(GET /cases/{id} judges the case from its events on the day it is read.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Connection

from services.judicial.service import SPEC
from shared.clock import ManualClock
from shared.migrate import alembic_config
from shared.service import ServiceRuntime

from .test_api import open_case, post, today, walk_to_grant


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 1, 2, 12, tzinfo=UTC))


async def _migrate(runtime: ServiceRuntime, revision: str, *, down: bool = False) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config(runtime.database.url, SPEC.migrations)
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    async with runtime.database.transaction() as conn:
        await conn.run_sync(run)


async def _shown(client: httpx.AsyncClient, runtime: ServiceRuntime,
                 case_id: str) -> tuple[str, set[str]]:
    """The case's stored status (its row and its stored view agree on it), and the cases the
    list shows under that status."""
    async with runtime.database.connect() as conn:
        row = (await conn.execute(sa.text(
            "SELECT status, view FROM judicial_cases WHERE case_id = :case_id"),
            {"case_id": case_id})).one()
    status: str = row.status
    assert json.loads(row.view)["status"] == status
    listed = (await client.get("/cases", params={"status": status})).json()["cases"]
    return status, {case["case_id"] for case in listed}


async def test_a_case_changed_before_the_status_existed_moves_to_it_and_back(
        client: httpx.AsyncClient, runtime: ServiceRuntime, clock: ManualClock) -> None:
    changed, authorized, untouched = [await open_case(runtime) for _ in range(3)]
    for case_id in (changed, authorized, untouched):
        await walk_to_grant(client, clock, case_id)
        await post(client, case_id, "amparo", {"amparo_id": "A-1", "filed_on": today(clock)})
    clock.advance(timedelta(days=1))
    for case_id in (changed, authorized):
        await post(client, case_id, "basis-change", {
            "changed_on": today(clock), "to_basis": "national_security",
            "reason": "transfer under the National Security Law", "authority": "Security Cabinet"})
    await post(client, authorized, "national-security-transfer", {
        "authorized_at": clock.now().isoformat(), "us_request_reference": "US note 1",
        "authority": "Security Cabinet"})

    await _migrate(runtime, "judicial_0002", down=True)
    # As the code before the status showed them: the suit unruled holds the status.
    assert await _shown(client, runtime, changed) == ("amparo_pending", {changed, untouched})
    assert (await _shown(client, runtime, authorized))[0] == "transfer_authorized"

    await _migrate(runtime, "heads")
    assert await _shown(client, runtime, changed) == ("basis_changed", {changed})
    assert await _shown(client, runtime, untouched) == ("amparo_pending", {untouched})
    assert (await _shown(client, runtime, authorized))[0] == "transfer_authorized"
