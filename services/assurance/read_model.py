"""The assurance read model: one row per case, written in the same transaction as its events.

The row holds the whole case view (served by GET /cases/{case_id}) and the columns lists
filter on. It is a projection of the case stream: rebuilding it means folding the stream again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import iso_utc
from shared.dbtypes import UtcDateTime
from shared.read_models import case_key, page, projected, upsert

from . import coverage
from .state import AssuranceCase
from .view import case_view

metadata = sa.MetaData()

cases = sa.Table(
    "assurance_cases", metadata,
    case_key(),
    sa.Column("legal_basis", sa.String(40), nullable=False),
    sa.Column("cleared", sa.Boolean, nullable=False),
    sa.Column("cleared_since", UtcDateTime()),
    sa.Column("basis", sa.String(40)),
    sa.Column("clearance_exception", sa.String(60)),
    sa.Column("uncovered_charge_ids", sa.JSON, nullable=False),
    sa.Column("transfer_flagged", sa.Boolean, nullable=False),
    *projected(),
)


async def project(conn: AsyncConnection, state: AssuranceCase, at: datetime) -> None:
    """Write the case's row from its state (call after every append, same transaction)."""
    assert state.case_id is not None
    clearance = state.clearance
    values: dict[str, Any] = {
        "legal_basis": state.legal_basis, "version": state.seq, "cleared": clearance.cleared,
        "cleared_since": clearance.since,
        "basis": None if clearance.basis is None else clearance.basis.value,
        "clearance_exception": None if clearance.exception is None
        else clearance.exception.value,
        "uncovered_charge_ids": list(coverage.uncovered_charges(state)),
        "transfer_flagged": bool(state.transfer and state.transfer.flagged),
        "view": case_view(state), "updated_at": at,
    }
    await upsert(conn, cases, {"case_id": state.case_id}, values)


async def get_case(conn: AsyncConnection, case_id: str) -> dict[str, Any] | None:
    view = await conn.scalar(sa.select(cases.c.view).where(cases.c.case_id == case_id))
    return None if view is None else dict(view)


def _summary(row: Any) -> dict[str, Any]:
    return {
        "case_id": row.case_id, "legal_basis": row.legal_basis, "version": row.version,
        "cleared": row.cleared,
        "cleared_since": None if row.cleared_since is None else iso_utc(row.cleared_since),
        "basis": row.basis, "exception": row.clearance_exception,
        "uncovered_charge_ids": list(row.uncovered_charge_ids),
        "transfer_flagged": row.transfer_flagged, "updated_at": iso_utc(row.updated_at),
    }


async def list_cases(conn: AsyncConnection, *, cleared: bool | None,
                     transfer_flagged: bool | None, limit: int,
                     offset: int) -> list[dict[str, Any]]:
    rows = await conn.execute(page(
        sa.select(cases).order_by(cases.c.case_id), (cases.c.cleared, cleared),
        (cases.c.transfer_flagged, transfer_flagged), limit=limit, offset=offset))
    return [_summary(row) for row in rows]
