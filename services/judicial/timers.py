"""The timer table: one row per clock a case started, written in the transaction of the event
that started it, so pending deadlines survive restarts. A row is pending until it is fired
(its lapse events were recorded) or cancelled (the clock stopped first)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from .days import start_of
from .state import State

metadata = sa.MetaData()
BigIntId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

timers = sa.Table(
    "judicial_timers", metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("case_id", "kind", name="uq_judicial_timers_case_kind"),
)

_PENDING = sa.and_(timers.c.fired_at.is_(None), timers.c.cancelled_at.is_(None))


@dataclass(frozen=True)
class Timer:
    id: int
    case_id: str
    kind: str
    due_at: datetime


async def sync(conn: AsyncConnection, state: State, now: datetime) -> None:
    """Start a timer for each newly running clock; cancel pending ones whose clock stopped."""
    running = {clock.kind.value: clock for clock in state.running_clocks()}
    rows = (await conn.execute(sa.select(timers.c.kind, timers.c.fired_at, timers.c.cancelled_at)
                               .where(timers.c.case_id == state.case_id))).all()
    known = {row.kind for row in rows}
    pending = {row.kind for row in rows if row.fired_at is None and row.cancelled_at is None}
    started = [{"case_id": state.case_id, "kind": kind, "due_at": start_of(clock.due_on),
                "created_at": now} for kind, clock in running.items() if kind not in known]
    if started:
        await conn.execute(timers.insert(), started)
    stopped = pending - set(running)
    if stopped:
        await conn.execute(timers.update().where(
            timers.c.case_id == state.case_id, timers.c.kind.in_(stopped), _PENDING)
            .values(cancelled_at=now))


async def due_ids(conn: AsyncConnection, now: datetime, limit: int) -> list[int]:
    rows = await conn.execute(sa.select(timers.c.id).where(_PENDING, timers.c.due_at <= now)
                              .order_by(timers.c.due_at, timers.c.id).limit(limit))
    return [int(row.id) for row in rows]


async def claim(conn: AsyncConnection, timer_id: int) -> Timer | None:
    """Lock a still-pending timer for this transaction; None if it was handled meanwhile or
    another scheduler holds it (several replicas may run the loop)."""
    row = (await conn.execute(
        sa.select(timers.c.id, timers.c.case_id, timers.c.kind, timers.c.due_at)
        .where(timers.c.id == timer_id, _PENDING)
        .with_for_update(skip_locked=True))).first()
    return None if row is None else Timer(int(row.id), row.case_id, row.kind, row.due_at)


async def mark(conn: AsyncConnection, timer_id: int, *, fired: bool, now: datetime) -> None:
    column = "fired_at" if fired else "cancelled_at"
    await conn.execute(timers.update().where(timers.c.id == timer_id).values({column: now}))


async def for_case(conn: AsyncConnection, case_id: str) -> list[dict[str, object]]:
    rows = await conn.execute(sa.select(timers).where(timers.c.case_id == case_id)
                              .order_by(timers.c.id))
    return [dict(row._mapping) for row in rows]
