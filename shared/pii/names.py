"""The names a service shows, kept apart from its audited read models.

Every service database has `person_names` (a platform table): one row per case with the
display name the service learnt from intake's request, or, once intake.personal_data_erased
arrived, no name and the time of the erasure. Read models join it when they answer; the
tables an audit replay rebuilds from the logs hold no names, so a replay needs no keys and
an erasure never makes a rebuilt table differ from the live one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.dbtypes import UtcDateTime
from shared.read_models import case_key

from .person import ERASED

metadata = sa.MetaData()

person_names = sa.Table(
    "person_names", metadata,
    case_key(),
    sa.Column("person_id", sa.String(64), nullable=True),
    sa.Column("display_name", sa.String(400), nullable=True),
    sa.Column("erased_at", UtcDateTime(), nullable=True),
)


def shown_name() -> sa.ColumnElement[str | None]:
    """The name to show, as a column of a query outer-joined with person_names."""
    return sa.case((person_names.c.erased_at.is_not(None), sa.literal(ERASED)),
                   else_=person_names.c.display_name)


async def record_name(conn: AsyncConnection, case_id: str, person_id: str | None,
                      display_name: str | None) -> None:
    """The case's name, unless it was erased already (an erasure is never undone)."""
    updated = await conn.execute(
        person_names.update()
        .where(person_names.c.case_id == case_id, person_names.c.erased_at.is_(None))
        .values(person_id=person_id, display_name=display_name))
    if updated.rowcount:
        return
    exists = await conn.scalar(sa.select(sa.literal(1))
                               .where(person_names.c.case_id == case_id))
    if exists is None:
        await conn.execute(person_names.insert().values(
            case_id=case_id, person_id=person_id, display_name=display_name))


async def record_new_name(conn: AsyncConnection, case_id: str, person_id: str | None,
                          display_name: str | None) -> None:
    """The name of a case created in this transaction: no row (and no erasure) can exist yet,
    so it is one insert instead of `record_name`'s look-then-write."""
    await conn.execute(person_names.insert(), {
        "case_id": case_id, "person_id": person_id, "display_name": display_name})


async def erase_name(conn: AsyncConnection, case_id: str, person_id: str | None,
                     erased_at: datetime) -> None:
    """Blank the case's name for good (a row is made if the name never arrived)."""
    updated = await conn.execute(
        person_names.update().where(person_names.c.case_id == case_id)
        .values(display_name=None, erased_at=erased_at))
    if not updated.rowcount:
        await conn.execute(person_names.insert().values(
            case_id=case_id, person_id=person_id, display_name=None, erased_at=erased_at))


async def names_of(conn: AsyncConnection, case_ids: Iterable[str]) -> dict[str, str | None]:
    """The names to show for these cases (ERASED where erased; absent when unknown)."""
    wanted = sorted(set(case_ids))
    if not wanted:
        return {}
    rows = await conn.execute(sa.select(person_names.c.case_id, shown_name())
                              .where(person_names.c.case_id.in_(wanted)))
    return {str(case_id): name for case_id, name in rows}


async def name_of(conn: AsyncConnection, case_id: str) -> str | None:
    return (await names_of(conn, [case_id])).get(case_id)
