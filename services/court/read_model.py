"""The court read model: one row per intake record, written in the same transaction as its
events. A case appears once the person has landed (before that the court only holds what
other services told it). The row holds the stored case view and the columns lists filter on;
rebuilding it means folding the stream again. The person's name is not stored here (an audit
replay rebuilds this table from the log, where names are sealed): answers add it from
person_names (shared/pii/names.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import iso_utc
from shared.dbtypes import UtcDateTime
from shared.pii.names import name_of
from shared.read_models import case_key, page, projected, upsert

from .state import CourtCase
from .view import case_view, status

metadata = sa.MetaData()

cases = sa.Table(
    "court_cases", metadata,
    case_key(),
    sa.Column("district", sa.String(100), nullable=False),
    sa.Column("legal_basis", sa.String(40), nullable=False),
    sa.Column("status", sa.String(40), nullable=False),
    sa.Column("landed_at", UtcDateTime(), nullable=False),
    sa.Column("appearance_held", sa.Boolean, nullable=False),
    sa.Column("appearance_late", sa.Boolean, nullable=False),
    sa.Column("proceedings_ended", sa.Boolean, nullable=False),
    sa.Column("docket_number", sa.String(100)),
    *projected(),
)


async def project(conn: AsyncConnection, state: CourtCase, at: datetime) -> None:
    """Write the case's row from its state (after every append, same transaction)."""
    if state.intake is None:
        return
    values: dict[str, Any] = {
        "district": state.intake.district, "legal_basis": state.intake.legal_basis.value,
        "status": status(state), "landed_at": state.intake.landed_at,
        "appearance_held": state.appearance is not None,
        "appearance_late": bool(state.appearance and state.appearance.late),
        "proceedings_ended": state.ended is not None, "docket_number": state.docket_number,
        "version": state.seq, "view": case_view(state), "updated_at": at,
    }
    await upsert(conn, cases, {"case_id": state.case_id}, values)


async def named(conn: AsyncConnection, view: dict[str, Any]) -> dict[str, Any]:
    """A case view with the person's name to show ("[erased]" once erased)."""
    return {**view, "person_name": await name_of(conn, str(view["case_id"]))}


async def get_case(conn: AsyncConnection, case_id: str) -> dict[str, Any] | None:
    view = await conn.scalar(sa.select(cases.c.view).where(cases.c.case_id == case_id))
    return None if view is None else await named(conn, dict(view))


def _overdue(now: datetime, limit_hours: float) -> sa.ColumnElement[bool]:
    """Waiting for the initial appearance longer than the limit, as of `now`."""
    return sa.and_(cases.c.appearance_held.is_(False), cases.c.proceedings_ended.is_(False),
                   cases.c.landed_at < now - timedelta(hours=limit_hours))


async def list_cases(conn: AsyncConnection, *, district: str | None, status_: str | None,
                     overdue_appearance: bool | None, now: datetime, limit_hours: float,
                     limit: int, offset: int) -> list[dict[str, Any]]:
    query = sa.select(cases).order_by(cases.c.landed_at, cases.c.case_id)
    if overdue_appearance is not None:
        overdue = _overdue(now, limit_hours)
        query = query.where(overdue if overdue_appearance else sa.not_(overdue))
    rows = await conn.execute(page(query, (cases.c.district, district),
                                   (cases.c.status, status_), limit=limit, offset=offset))
    return [{
        "case_id": row.case_id, "district": row.district, "legal_basis": row.legal_basis,
        "status": row.status, "landed_at": iso_utc(row.landed_at),
        "docket_number": row.docket_number, "appearance_held": row.appearance_held,
        "appearance_late": row.appearance_late,
        "appearance_due_by": iso_utc(row.landed_at + timedelta(hours=limit_hours)),
        "appearance_overdue": not row.appearance_held and not row.proceedings_ended
        and row.landed_at < now - timedelta(hours=limit_hours),
        "version": row.version, "updated_at": iso_utc(row.updated_at)} for row in rows]
