"""The timer table: one row per clock a case started, written in the transaction of the event
that started it, so pending deadlines survive restarts. A row is pending until it is fired
(its lapse events were recorded) or cancelled (the clock stopped first). A clock that pauses
(the pickup window under an amparo suspension) cancels its row; when it resumes the row is
re-armed with the moved deadline.

A timer whose handling fails is not allowed to hold up the others: the scheduler records the
failure on its row (`failures`, `last_error`) and leaves it alone until `retry_at`."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.dbtypes import BigIntId, UtcDateTime

from .days import start_of
from .state import ClockKind, State

metadata = sa.MetaData()

timers = sa.Table(
    "judicial_timers", metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("due_at", UtcDateTime(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("fired_at", UtcDateTime(), nullable=True),
    sa.Column("cancelled_at", UtcDateTime(), nullable=True),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("retry_at", UtcDateTime(), nullable=True),
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
    """Start a timer for each newly running clock; re-arm one whose clock resumed or moved;
    cancel pending ones whose clock stopped (or paused)."""
    running = {clock.kind.value: clock for clock in state.running_clocks()}
    rows = (await conn.execute(sa.select(timers.c.kind, timers.c.due_at, timers.c.fired_at,
                                         timers.c.cancelled_at)
                               .where(timers.c.case_id == state.case_id))).all()
    known = {row.kind: row for row in rows}
    pending = {row.kind for row in rows if row.fired_at is None and row.cancelled_at is None}
    started = [{"case_id": state.case_id, "kind": kind, "due_at": start_of(clock.due_on),
                "created_at": now} for kind, clock in running.items() if kind not in known]
    if started:
        await conn.execute(timers.insert(), started)
    for kind, clock in running.items():
        row = known.get(kind)
        if row is None:
            continue
        due_at = start_of(clock.due_on)
        moved = _utc(row.due_at) != due_at
        # A fired row whose clock runs (firing stops a clock, so this is a new clock of that
        # kind: the amparo window of a new SRE decision, the appeal period of another denied
        # suit, even one closing the same day) or a cancelled row whose clock runs again is
        # re-armed, as new: the backfill grace reads its creation.
        if moved or row.fired_at is not None or row.cancelled_at is not None:
            await conn.execute(timers.update().where(
                timers.c.case_id == state.case_id, timers.c.kind == kind)
                .values(due_at=due_at, cancelled_at=None, fired_at=None, failures=0,
                        last_error=None, retry_at=None, created_at=now))
    stopped = pending - set(running)
    if stopped:
        await conn.execute(timers.update().where(
            timers.c.case_id == state.case_id, timers.c.kind.in_(stopped), _PENDING)
            .values(cancelled_at=now))


def _utc(instant: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written as UTC."""
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


async def due_ids(conn: AsyncConnection, now: datetime, limit: int,
                  backfill_grace: timedelta = timedelta(0)) -> list[int]:
    """Pending timers that are due, soonest first, skipping failed ones until their retry.

    A pickup window that had already run out when it was recorded (an order entered after the
    fact) waits `backfill_grace` after its recording before it fires (so does an amparo
    appeal period): the handover that
    stopped it in time is likely still being typed in, and an expiry recorded before it
    would put a release of a person in US custody in the record. (The amparo window's closing
    records no release; a lapsed provisional detention no longer closes the case.)"""
    not_backing_off = sa.or_(timers.c.retry_at.is_(None), timers.c.retry_at <= now)
    live_or_settled = sa.or_(timers.c.kind.not_in(BACKFILL_GRACE_KINDS),
                             timers.c.due_at >= timers.c.created_at,
                             timers.c.created_at <= now - backfill_grace)
    rows = await conn.execute(sa.select(timers.c.id)
                              .where(_PENDING, timers.c.due_at <= now, not_backing_off,
                                     live_or_settled)
                              .order_by(timers.c.due_at, timers.c.id).limit(limit))
    return [int(row.id) for row in rows]


# An amparo denial entered after its appeal period closed waits too: the appeal that keeps
# its suspension in force may still be typed in.
BACKFILL_GRACE_KINDS = (ClockKind.PICKUP_WINDOW.value, ClockKind.AMPARO_APPEAL_PERIOD.value)
RETRY_FIRST = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)


def retry_delay(failures: int) -> timedelta:
    """Back off exponentially after each failure (30 s, 1 min, 2 min, ... at most 1 h)."""
    delay: timedelta = RETRY_FIRST * 2 ** min(max(failures - 1, 0), 16)
    return min(delay, RETRY_MAX)


async def record_failure(conn: AsyncConnection, timer_id: int, error: str,
                         now: datetime) -> tuple[str, int] | None:
    """Count a failed attempt and hold the timer back; returns (case_id, failures)."""
    row = (await conn.execute(
        timers.update().where(timers.c.id == timer_id)
        .values(failures=timers.c.failures + 1, last_error=error[:2000])
        .returning(timers.c.case_id, timers.c.failures))).first()
    if row is None:
        return None
    await conn.execute(timers.update().where(timers.c.id == timer_id)
                       .values(retry_at=now + retry_delay(int(row.failures))))
    return str(row.case_id), int(row.failures)


async def claim(conn: AsyncConnection, timer_id: int) -> Timer | None:
    """Lock a still-pending timer for this transaction; None if it was handled meanwhile or
    another scheduler holds it (several replicas may run the loop). Called with the timer's
    case locked (lock_case): the case lock comes before any timer row."""
    row = (await conn.execute(
        sa.select(timers.c.id, timers.c.case_id, timers.c.kind, timers.c.due_at)
        .where(timers.c.id == timer_id, _PENDING)
        .with_for_update(skip_locked=True))).first()
    return None if row is None else Timer(int(row.id), row.case_id, row.kind, row.due_at)


# The key space of the case locks (pg_advisory_xact_lock's first int4): the case's own key is
# the hash of its id, so two cases whose ids collide merely wait for each other.
CASE_LOCK_SPACE = zlib.crc32(b"runway-judicial-case") & 0x7FFFFFFF


async def lock_case(conn: AsyncConnection, case_id: str) -> None:
    """Take the case's lock for this transaction, waiting for any writer that holds it.

    The lock order of every writer of a case (a clerk's step, intake's facts, the scheduler):
    the case lock first, then its timer rows, then its stream. A lock that exists before the
    case does (a transaction-scoped advisory lock), so the first writer of a new case takes
    it too. With two orders (scheduler: timer row, then stream; clerk: stream, then timer
    row) PostgreSQL found `deadlock detected` and killed one of them. Released at commit or
    rollback; taking it twice in one transaction is harmless. A no-op on SQLite, whose
    writers are serialised at BEGIN anyway."""
    if conn.dialect.name == "postgresql":
        await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:space, hashtext(:case_id))"),
                           {"space": CASE_LOCK_SPACE, "case_id": case_id})


async def try_lock_case(conn: AsyncConnection, case_id: str) -> bool:
    """The case's lock if no one holds it (True), else False at once: a scheduler leaves a
    case a clerk or another scheduler is changing to its next round."""
    if conn.dialect.name != "postgresql":
        return True
    locked = await conn.scalar(
        sa.text("SELECT pg_try_advisory_xact_lock(:space, hashtext(:case_id))"),
        {"space": CASE_LOCK_SPACE, "case_id": case_id})
    return bool(locked)


async def case_of(conn: AsyncConnection, timer_id: int) -> str | None:
    """The case a timer belongs to (read without a lock: a timer never changes case)."""
    found = await conn.scalar(sa.select(timers.c.case_id).where(timers.c.id == timer_id))
    return None if found is None else str(found)


async def mark(conn: AsyncConnection, timer_id: int, *, fired: bool, now: datetime) -> None:
    column = "fired_at" if fired else "cancelled_at"
    await conn.execute(timers.update().where(timers.c.id == timer_id).values({column: now}))


async def for_case(conn: AsyncConnection, case_id: str) -> list[dict[str, object]]:
    rows = await conn.execute(sa.select(timers).where(timers.c.case_id == case_id)
                              .order_by(timers.c.id))
    return [dict(row._mapping) for row in rows]
