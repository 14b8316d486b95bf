"""An append-only event store over SQLAlchemy Core, used inside the caller's transaction.

Every method takes the AsyncConnection of the command's transaction, so a command's events,
their outbox rows, its read-model changes and (for consumers) its inbox row commit together.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import asyncpg as postgresql_asyncpg
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import Clock, as_utc
from shared.db import driver_connection
from shared.jsoncanon import canonical_json

from . import schema
from .errors import ConcurrencyConflict
from .events import Actor, EventContext, GlobalPosition, NewEvent, RecordedEvent
from .hashing import GENESIS, chain_hash, content_digest

_E = schema.events

EVENT_COLUMNS = (
    _E.c.position, _E.c.tx_id, _E.c.event_id, _E.c.stream_id, _E.c.stream_type, _E.c.version,
    _E.c.event_type, _E.c.schema_version, _E.c.payload, _E.c.occurred_at, _E.c.recorded_at,
    _E.c.actor_subject, _E.c.actor_role, _E.c.correlation_id, _E.c.causation_id,
    _E.c.prev_hash, _E.c.hash,
)


def row_to_event(row: Any) -> RecordedEvent:
    """A stored event from a result row holding EVENT_COLUMNS."""
    return RecordedEvent(
        event_id=row.event_id,
        stream_id=row.stream_id,
        stream_type=row.stream_type,
        version=row.version,
        event_type=row.event_type,
        schema_version=row.schema_version,
        payload_json=row.payload,
        occurred_at=as_utc(row.occurred_at),
        recorded_at=as_utc(row.recorded_at),
        actor=Actor(row.actor_subject, row.actor_role),
        correlation_id=row.correlation_id,
        causation_id=row.causation_id,
        prev_hash=row.prev_hash,
        hash=row.hash,
        position=GlobalPosition(row.tx_id, row.position),
    )


def _is_version_clash(error: IntegrityError) -> bool:
    text = str(error.orig)
    return "uq_events_stream_version" in text or "events.stream_id, events.version" in text


class EventStore:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def append(
        self,
        conn: AsyncConnection,
        *,
        stream_id: str,
        stream_type: str,
        expected_version: int,
        events: Sequence[NewEvent],
        context: EventContext,
        topic: str | None,
        key: str | None = None,
        head_hash: str | None = None,
    ) -> list[RecordedEvent]:
        """Append events after `expected_version` (0 for a new stream).

        Raises ConcurrencyConflict when the stream has moved on; the caller's transaction must
        then roll back, so nothing of the command is written. With `topic`, each event also
        gets an outbox row and is published to that topic, keyed by `key` (default the stream).
        `head_hash`, the hash of the event at `expected_version` when the caller has just read
        the stream, saves a round trip; a wrong one is caught as a conflict.
        """
        if not events:
            return []
        if expected_version < 0:
            raise ValueError("expected_version must be >= 0")
        postgres = conn.dialect.name == "postgresql"
        if expected_version == 0:
            head_hash = GENESIS
        elif head_hash is None or not postgres:
            # PostgreSQL re-checks a given head inside the insert; elsewhere we look it up.
            actual_head = await self._head_hash(conn, stream_id, expected_version)
            if head_hash not in (None, actual_head):
                raise ConcurrencyConflict(stream_id, expected_version, expected_version)
            head_hash = actual_head
        recorded = self._chain(stream_id, stream_type, expected_version, head_hash, events,
                               context)
        message_key = key or stream_id
        try:
            if postgres:
                positions = await _insert_postgres(conn, recorded, topic, message_key)
            else:
                positions = await self._insert_portable(conn, recorded, topic, message_key)
        except IntegrityError as error:
            if _is_version_clash(error):
                raise ConcurrencyConflict(stream_id, expected_version, None) from error
            raise
        if len(positions) != len(recorded):
            # The head the caller named is not the stream's head: it moved on, or never was.
            raise ConcurrencyConflict(stream_id, expected_version,
                                      await self.stream_version(conn, stream_id))
        return [_with_position(e, p) for e, p in zip(recorded, positions, strict=True)]

    async def _head_hash(self, conn: AsyncConnection, stream_id: str, expected: int) -> str:
        row = (await conn.execute(
            sa.select(_E.c.version, _E.c.hash)
            .where(_E.c.stream_id == stream_id)
            .order_by(_E.c.version.desc())
            .limit(1)
        )).first()
        actual = 0 if row is None else row.version
        if actual != expected:
            raise ConcurrencyConflict(stream_id, expected, actual)
        assert row is not None
        head_hash: str = row.hash
        return head_hash

    def _chain(
        self,
        stream_id: str,
        stream_type: str,
        expected_version: int,
        prev_hash: str,
        events: Sequence[NewEvent],
        context: EventContext,
    ) -> list[RecordedEvent]:
        recorded_at = self._clock.now()
        chained: list[RecordedEvent] = []
        for offset, new in enumerate(events, start=1):
            draft = RecordedEvent(
                event_id=new.event_id,
                stream_id=stream_id,
                stream_type=stream_type,
                version=expected_version + offset,
                event_type=new.event_type,
                schema_version=new.schema_version,
                payload_json=canonical_json(new.payload),
                occurred_at=as_utc(new.occurred_at or recorded_at),
                recorded_at=recorded_at,
                actor=context.actor,
                correlation_id=context.correlation_id,
                causation_id=context.causation_id,
                prev_hash=prev_hash,
                hash="",
                position=GlobalPosition.START,
            )
            event_hash = chain_hash(prev_hash, content_digest(draft))
            chained.append(_replace_hash(draft, event_hash))
            prev_hash = event_hash
        return chained

    async def _insert_portable(
        self, conn: AsyncConnection, recorded: list[RecordedEvent], topic: str | None,
        message_key: str,
    ) -> list[GlobalPosition]:
        """Insert with plain statements (SQLite). A concurrent creator of the same version is
        caught by the (stream_id, version) unique constraint."""
        rows = [
            {
                "event_id": e.event_id, "stream_id": e.stream_id, "stream_type": e.stream_type,
                "version": e.version, "event_type": e.event_type,
                "schema_version": e.schema_version, "payload": e.payload_json,
                "occurred_at": e.occurred_at, "recorded_at": e.recorded_at,
                "actor_subject": e.actor.subject, "actor_role": e.actor.role,
                "correlation_id": e.correlation_id, "causation_id": e.causation_id,
                "prev_hash": e.prev_hash, "hash": e.hash,
            }
            for e in recorded
        ]
        result = await conn.execute(
            _E.insert().returning(_E.c.tx_id, _E.c.position, sort_by_parameter_order=True),
            rows,
        )
        positions = [GlobalPosition(tx, seq) for tx, seq in result.all()]
        if topic is not None:
            await conn.execute(
                schema.outbox.insert(),
                [{"event_position": p.seq, "topic": topic, "message_key": message_key}
                 for p in positions],
            )
        return positions

    async def stream_version(self, conn: AsyncConnection, stream_id: str) -> int:
        value = await conn.scalar(
            sa.select(sa.func.max(_E.c.version)).where(_E.c.stream_id == stream_id)
        )
        return int(value or 0)

    async def read_stream(
        self,
        conn: AsyncConnection,
        stream_id: str,
        *,
        up_to_version: int | None = None,
        as_of: datetime | None = None,
    ) -> list[RecordedEvent]:
        """A stream's events in version order, optionally only those up to a version or those
        recorded at or before an instant."""
        query = sa.select(*EVENT_COLUMNS).where(_E.c.stream_id == stream_id)
        if up_to_version is not None:
            query = query.where(_E.c.version <= up_to_version)
        if as_of is not None:
            query = query.where(_E.c.recorded_at <= as_of)
        rows = (await conn.execute(query.order_by(_E.c.version))).all()
        return [row_to_event(row) for row in rows]

    async def read_all(
        self, conn: AsyncConnection, after: GlobalPosition, limit: int = 1000
    ) -> list[RecordedEvent]:
        """Events in global commit order strictly after `after`.

        On PostgreSQL only transactions older than every still-running one are returned, so a
        reader that advances its position past what it saw never skips a late commit.
        """
        query = sa.select(*EVENT_COLUMNS).where(
            sa.tuple_(_E.c.tx_id, _E.c.position) > sa.tuple_(after.tx, after.seq)
        )
        if conn.dialect.name == "postgresql":
            horizon = sa.text("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
            query = query.where(_E.c.tx_id < horizon)
        query = query.order_by(_E.c.tx_id, _E.c.position).limit(limit)
        return [row_to_event(row) for row in (await conn.execute(query)).all()]

    async def stream_ids(self, conn: AsyncConnection) -> list[tuple[str, str]]:
        rows = await conn.execute(
            sa.select(_E.c.stream_id, _E.c.stream_type).distinct().order_by(_E.c.stream_id)
        )
        return [(row.stream_id, row.stream_type) for row in rows]

    async def event_by_id(self, conn: AsyncConnection, event_id: uuid.UUID) -> RecordedEvent | None:
        row = (await conn.execute(
            sa.select(*EVENT_COLUMNS).where(_E.c.event_id == event_id)
        )).first()
        return None if row is None else row_to_event(row)


# PostgreSQL: the head check, the events and their outbox rows in one statement, one round
# trip. No row is inserted unless the event at :expected carries :head_hash.
_PG_APPEND = sa.text("""
WITH head AS (
    SELECT 1 WHERE CAST(:expected AS integer) = 0 OR EXISTS (
        SELECT 1 FROM events
        WHERE stream_id = :stream_id AND version = :expected AND hash = :head_hash)
), appended AS (
    INSERT INTO events (event_id, stream_id, stream_type, version, event_type, schema_version,
                        payload, occurred_at, recorded_at, actor_subject, actor_role,
                        correlation_id, causation_id, prev_hash, hash)
    SELECT e.event_id, :stream_id, :stream_type, e.version, e.event_type, e.schema_version,
           e.payload, e.occurred_at, :recorded_at, :actor_subject, :actor_role,
           :correlation_id, :causation_id, e.prev_hash, e.hash
    FROM head, unnest(CAST(:event_ids AS uuid[]), CAST(:versions AS integer[]),
                      CAST(:event_types AS text[]), CAST(:schema_versions AS integer[]),
                      CAST(:payloads AS text[]), CAST(:occurred_ats AS timestamptz[]),
                      CAST(:prev_hashes AS text[]), CAST(:hashes AS text[]))
         AS e(event_id, version, event_type, schema_version, payload, occurred_at,
              prev_hash, hash)
    RETURNING tx_id, position
), published AS (
    INSERT INTO outbox (event_position, topic, message_key)
    SELECT position, CAST(:topic AS text), :message_key FROM appended
    WHERE CAST(:topic AS text) IS NOT NULL
)
SELECT tx_id, position FROM appended ORDER BY position
""")


_PG_APPEND_PARAMS: tuple[str, ...] = ()
_PG_APPEND_SQL = ""


def _pg_append_sql() -> tuple[str, tuple[str, ...]]:
    """_PG_APPEND in asyncpg's $n form and the order of its parameters (compiled once, on
    first use: nothing runs at import time)."""
    global _PG_APPEND_SQL, _PG_APPEND_PARAMS
    if not _PG_APPEND_SQL:
        compiled = _PG_APPEND.compile(
            dialect=postgresql_asyncpg.dialect())  # type: ignore[no-untyped-call]
        _PG_APPEND_SQL, _PG_APPEND_PARAMS = str(compiled), tuple(compiled.positiontup or ())
    return _PG_APPEND_SQL, _PG_APPEND_PARAMS


async def _insert_postgres(
    conn: AsyncConnection, recorded: list[RecordedEvent], topic: str | None, message_key: str
) -> list[GlobalPosition]:
    """The append statement straight on asyncpg, in the caller's transaction: through
    SQLAlchemy's execution its parameters cost more CPU than the database spends on it."""
    first = recorded[0]
    values: dict[str, Any] = {
        "expected": first.version - 1, "head_hash": first.prev_hash,
        "stream_id": first.stream_id, "stream_type": first.stream_type,
        "recorded_at": first.recorded_at, "actor_subject": first.actor.subject,
        "actor_role": first.actor.role, "correlation_id": first.correlation_id,
        "causation_id": first.causation_id,
        "event_ids": [e.event_id for e in recorded],
        "versions": [e.version for e in recorded],
        "event_types": [e.event_type for e in recorded],
        "schema_versions": [e.schema_version for e in recorded],
        "payloads": [e.payload_json for e in recorded],
        "occurred_ats": [e.occurred_at for e in recorded],
        "prev_hashes": [e.prev_hash for e in recorded],
        "hashes": [e.hash for e in recorded],
        "topic": topic, "message_key": message_key,
    }
    sql, names = _pg_append_sql()
    driver = await driver_connection(conn)
    try:
        rows = await driver.fetch(sql, *[values[name] for name in names])
    except asyncpg.IntegrityConstraintViolationError as error:
        # The same exception type as every other statement of the caller's transaction.
        raise IntegrityError(sql, None, error) from error
    return [GlobalPosition(tx, seq) for tx, seq in rows]


def _replace_hash(event: RecordedEvent, event_hash: str) -> RecordedEvent:
    from dataclasses import replace

    return replace(event, hash=event_hash)


def _with_position(event: RecordedEvent, position: GlobalPosition) -> RecordedEvent:
    from dataclasses import replace

    return replace(event, position=position)
