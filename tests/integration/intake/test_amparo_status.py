"""The operator's status through two amparo suits, on both stores: suspended while a
suspension holds, pending while a suit awaits its ruling, and at its stage once nothing holds
the person, with what happened meanwhile (a flight assigned); the audit's rebuild of intake's
read model gives the same row as the live consumer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from services.intake.audit import REPLAY
from services.intake.consumers import on_case_event
from shared.audit.replay import ReplayInput, recorded_from
from shared.audit.sources import stored_streams
from shared.db import Database
from shared.messaging.cloudevents import ConsumedEvent
from shared.migrate import migrate
from shared.service import ServiceRuntime
from tests.support.requests import request
from tests.support.service_app import off_kafka

AMPARO: list[tuple[str, dict[str, Any]]] = [
    ("judicial.case_opened", {}),
    ("judicial.sre_extradition_granted", {}),
    ("judicial.amparo_filed", {"amparo_id": "A-1"}),
    ("judicial.amparo_suspension_granted", {"amparo_id": "A-1"}),
    # Denied, the suspension holding until the denial is final ...
    ("judicial.amparo_denied", {"amparo_id": "A-1", "active_suspensions": ["A-1"],
                                "pending_amparos": []}),
    # ... which it became, while suit A-2 still awaits its ruling ...
    ("judicial.amparo_filed", {"amparo_id": "A-2", "active_suspensions": ["A-1"]}),
    ("judicial.amparo_suspension_lifted", {"amparo_id": "A-1", "active_suspensions": [],
                                           "pending_amparos": ["A-2"]}),
    # ... and transport puts the person on a flight meanwhile (no suspension holds them).
    ("transport.manifest_assigned", {"flight_id": "FL-1"}),
    # A-2 is denied without a suspension: nothing holds the person, who is on the manifest.
    ("judicial.amparo_denied", {"amparo_id": "A-2", "active_suspensions": [],
                                "pending_amparos": []}),
]


async def status(client: httpx.AsyncClient, case_id: str) -> str:
    answer: str = (await client.get(f"/cases/{case_id}")).json()["status"]
    return answer


async def test_the_status_follows_the_amparo_and_returns_to_the_stage_before_it(
        client: httpx.AsyncClient, runtime: ServiceRuntime, tmp_path: Path) -> None:
    case_id = (await client.post("/cases", json=request())).json()["case_id"]
    start = datetime.now(UTC)  # judicial's acts are recorded after intake's submission
    consumed: list[ConsumedEvent] = []
    seen: list[str] = []
    for hours, (event_type, payload) in enumerate(AMPARO):
        source = event_type.split(".")[0]
        event = off_kafka(source, event_type, {"case_id": case_id, **payload}, case_id,
                          at=start + timedelta(hours=hours), version=hours + 1)
        async with runtime.database.transaction() as conn:
            await on_case_event(event, conn)
        consumed.append(event)
        seen.append(await status(client, case_id))
        # The list's filter asks the same shown status.
        listed = (await client.get("/cases", params={"status": seen[-1]})).json()["cases"]
        assert case_id in [c["case_id"] for c in listed]
    assert seen == ["in_judicial_process", "extradition_granted", "amparo_pending",
                    "amparo_suspension", "amparo_suspension", "amparo_suspension",
                    "amparo_pending", "amparo_pending", "on_manifest"]

    # The audit rebuilds the same row from the logs alone.
    live_row = await case_row(runtime.database, case_id)
    [intake_stream] = [s async for s in stored_streams(runtime.database.url)
                       if s[0].stream_id == case_id]
    everything = sorted([("intake", e) for e in intake_stream]
                        + [(e.source.rsplit("/", 1)[-1], recorded_from(e)) for e in consumed],
                        key=lambda p: p[1].recorded_at)
    rebuilt = Database(f"sqlite+aiosqlite:///{tmp_path / 'rebuilt.db'}")
    try:
        await migrate(rebuilt, REPLAY.migrations)
        async with rebuilt.transaction() as conn:
            await REPLAY.rebuild(conn, ReplayInput("intake", {case_id: intake_stream},
                                                   everything))
        assert await case_row(rebuilt, case_id) == live_row
    finally:
        await rebuilt.dispose()


async def case_row(database: Database, case_id: str) -> dict[str, Any]:
    async with database.connect() as conn:
        row = (await conn.execute(sa.text(
            "SELECT status, amparo_status, legal_basis, status_at, amparo_status_at "
            "FROM intake_cases WHERE case_id = :c"), {"c": case_id})).one()
    return {"status": row.status, "amparo_status": row.amparo_status,
            "legal_basis": row.legal_basis, "status_at": str(row.status_at)[:19],
            "amparo_status_at": str(row.amparo_status_at)[:19]}
