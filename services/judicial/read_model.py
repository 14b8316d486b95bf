"""The judicial case list: one row per case with its status and its view as JSON, written in
the same transaction as the case's events (with the timers their clocks need)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import iso_utc
from shared.dbtypes import UtcDateTime
from shared.legaltime import legal_date
from shared.read_models import case_key, page, projected, upsert

from . import timers
from .state import State
from .view import case_view

metadata = sa.MetaData()

cases = sa.Table(
    "judicial_cases", metadata,
    case_key(),
    sa.Column("legal_basis", sa.String(40), nullable=False),
    sa.Column("status", sa.String(40), nullable=False),
    sa.Column("requesting_district", sa.String(20), nullable=False),
    sa.Column("opened_at", UtcDateTime(), nullable=False),
    *projected(view=sa.Text),
)


async def project(conn: AsyncConnection, state: State, now: datetime,
                  opened_at: datetime | None = None) -> None:
    """Bring the case's row and timers up to `state` (just appended, so writers of one case
    are serialised by the event store's version check)."""
    assert state.legal_basis is not None
    values = {"legal_basis": state.legal_basis.value, "status": state.status.value,
              "requesting_district": state.requesting_district, "version": state.version,
              "view": json.dumps(case_view(state, legal_date(now))), "updated_at": now}
    await upsert(conn, cases, {"case_id": state.case_id}, values,
                 on_insert={"opened_at": opened_at or now})
    await timers.sync(conn, state, now)


async def last_changed(conn: AsyncConnection, case_id: str) -> str | None:
    """When the case's row last changed (ISO, UTC); None: no such case. The stored view is
    not read: GET /cases/{id} judges the case again from its events (api._shown_today)."""
    updated = await conn.scalar(sa.select(cases.c.updated_at)
                                .where(cases.c.case_id == case_id))
    return None if updated is None else iso_utc(updated)


async def list_cases(conn: AsyncConnection, *, status: str | None, limit: int,
                     offset: int) -> list[dict[str, Any]]:
    rows = await conn.execute(page(
        sa.select(cases).order_by(cases.c.opened_at, cases.c.case_id),
        (cases.c.status, status), limit=limit, offset=offset))
    return [{"case_id": row.case_id, "legal_basis": row.legal_basis, "status": row.status,
             "requesting_district": row.requesting_district, "version": row.version,
             "opened_at": iso_utc(row.opened_at), "updated_at": iso_utc(row.updated_at)}
            for row in rows]
