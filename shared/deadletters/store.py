"""Reading and writing dead letters: the consumer records them, operators resolve them.

Recording is idempotent per (consumer, topic, partition, offset): a message delivered again
before its offset was committed (a crash between the record and the commit) is one row.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import as_utc, iso_utc
from shared.messaging.cloudevents import MalformedEvent, split_ce_type
from shared.read_models import page

from .schema import DeadLetterStatus, dead_letters

Headers = Sequence[tuple[str, bytes]]


@dataclass(frozen=True)
class Received:
    """A message as a consumer received it: which consumer, where from, and the message."""

    consumer: str
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers


@dataclass(frozen=True)
class Letter(Received):
    """One dead-lettered message, as the consumer runtime hands it over."""

    error_type: str
    error_message: str
    attempts: int
    failed_at: datetime


@dataclass(frozen=True)
class Stored(Received):
    """A dead letter read back: enough to replay it through its consumer."""

    id: int
    status: DeadLetterStatus


def _header(headers: Headers, name: str) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("utf-8", "replace")
    return None


def _case_id(value: bytes | None, headers: Headers, key: bytes | None) -> str | None:
    """The case a message is about: its data's case_id, else its CloudEvent subject, else
    its Kafka key (a case's events are keyed by the case). Read even from a message whose
    event could not be parsed, so that transport can hold the person all the same."""
    try:
        data = json.loads(value or b"")
    except (ValueError, RecursionError):  # unreadable, or nested past the parser's depth
        data = None
    if isinstance(data, dict) and isinstance(data.get("case_id"), str):
        return str(data["case_id"])[:200]
    subject = _header(headers, "ce_subject")
    if subject:
        return subject[:200]
    return key.decode("utf-8", "replace")[:200] if key else None


def _event_id(headers: Headers) -> str | None:
    raw = _header(headers, "ce_id")
    try:
        return str(uuid.UUID(raw)) if raw else None
    except ValueError:
        return raw[:100] if raw else None


def event_type_of(ce_type: str | None) -> str | None:
    """The event type without its version ("judicial.amparo_suspension_granted")."""
    if not ce_type:
        return None
    try:
        return split_ce_type(ce_type)[0]
    except MalformedEvent:
        return ce_type


def encode_headers(headers: Headers) -> list[dict[str, str]]:
    """Headers as JSON: text where it is UTF-8, base64 otherwise, so a replay gets the
    same bytes back."""
    encoded = []
    for name, value in headers:
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is None or "\x00" in text:  # PostgreSQL's JSON holds no NUL character
            encoded.append({"name": name, "base64": base64.b64encode(value).decode("ascii")})
        else:
            encoded.append({"name": name, "text": text})
    return encoded


def decode_headers(stored: list[dict[str, str]]) -> list[tuple[str, bytes]]:
    return [(h["name"], h["text"].encode("utf-8") if "text" in h
             else base64.b64decode(h["base64"])) for h in stored]


def _storable(text: str | None) -> str | None:
    """Text a column can hold: PostgreSQL's text holds no NUL character, and a message that
    carries one must still be dead-lettered (its bytes are kept whole beside it)."""
    return None if text is None else text.replace("\x00", "\ufffd")


def _insert(conn: AsyncConnection) -> Any:
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


async def record(conn: AsyncConnection, letter: Letter) -> int:
    """Record `letter` as waiting; the id of its row (the existing one if it was recorded
    before)."""
    ce_type = _header(letter.headers, "ce_type")
    row = {
        "consumer": letter.consumer, "origin_topic": letter.topic,
        "origin_partition": letter.partition, "origin_offset": letter.offset,
        "event_id": _storable(_event_id(letter.headers)),
        "ce_type": _storable(ce_type[:200] if ce_type else None),
        "case_id": _storable(_case_id(letter.value, letter.headers, letter.key)),
        "message_key": letter.key, "message_value": letter.value,
        "message_headers": encode_headers(letter.headers),
        "error_type": _storable(letter.error_type[:200]),
        "error_message": _storable(letter.error_message),
        "attempts": letter.attempts, "failed_at": letter.failed_at,
        "status": DeadLetterStatus.WAITING.value,
    }
    await conn.execute(_insert(conn)(dead_letters).values(row).on_conflict_do_nothing())
    found = await conn.scalar(sa.select(dead_letters.c.id).where(
        dead_letters.c.consumer == letter.consumer, dead_letters.c.origin_topic == letter.topic,
        dead_letters.c.origin_partition == letter.partition,
        dead_letters.c.origin_offset == letter.offset))
    assert found is not None  # inserted just now, or before
    return int(found)


_SUMMARY = (dead_letters.c.id, dead_letters.c.consumer, dead_letters.c.origin_topic,
            dead_letters.c.origin_partition, dead_letters.c.origin_offset,
            dead_letters.c.event_id, dead_letters.c.ce_type, dead_letters.c.case_id,
            dead_letters.c.error_type, dead_letters.c.error_message, dead_letters.c.attempts,
            dead_letters.c.failed_at, dead_letters.c.status, dead_letters.c.resolved_at,
            dead_letters.c.resolved_by, dead_letters.c.note)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else iso_utc(as_utc(value))  # SQLite returns naive UTC


def _summary(row: Any) -> dict[str, Any]:
    return {"id": row.id, "consumer": row.consumer, "origin": {
                "topic": row.origin_topic, "partition": row.origin_partition,
                "offset": row.origin_offset},
            "event_id": row.event_id, "ce_type": row.ce_type, "case_id": row.case_id,
            "error_type": row.error_type, "error_message": row.error_message,
            "attempts": row.attempts, "failed_at": _iso(row.failed_at), "status": row.status,
            "resolved_at": _iso(row.resolved_at), "resolved_by": row.resolved_by,
            "note": row.note}


async def list_letters(conn: AsyncConnection, status: DeadLetterStatus | None, limit: int,
                       offset: int) -> list[dict[str, Any]]:
    query = page(sa.select(*_SUMMARY).order_by(dead_letters.c.id),
                 (dead_letters.c.status, None if status is None else status.value),
                 limit=limit, offset=offset)
    return [_summary(row) for row in await conn.execute(query)]


async def show(conn: AsyncConnection, letter_id: int) -> dict[str, Any] | None:
    """One dead letter with the message as it was read (headers and value, as text)."""
    row = (await conn.execute(sa.select(dead_letters).where(
        dead_letters.c.id == letter_id))).first()
    if row is None:
        return None
    value = row.message_value
    return {**_summary(row), "message": {
        "key": None if row.message_key is None else row.message_key.decode("utf-8", "replace"),
        "headers": row.message_headers,
        "value": None if value is None else value.decode("utf-8", "replace")}}


async def load(conn: AsyncConnection, letter_id: int, *, lock: bool = False) -> Stored | None:
    """The dead letter to replay; `lock` holds its row (PostgreSQL) until the transaction
    ends, so two operators re-driving one letter take turns."""
    query = sa.select(dead_letters).where(dead_letters.c.id == letter_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return Stored(id=row.id, consumer=row.consumer, topic=row.origin_topic,
                  partition=row.origin_partition, offset=row.origin_offset,
                  key=row.message_key, value=row.message_value,
                  headers=decode_headers(row.message_headers),
                  status=DeadLetterStatus(row.status))


async def resolve(conn: AsyncConnection, letter_id: int, status: DeadLetterStatus, *, by: str,
                  at: datetime, note: str | None) -> None:
    await conn.execute(dead_letters.update().where(dead_letters.c.id == letter_id).values(
        status=status.value, resolved_at=at, resolved_by=by[:200], note=note))


async def note_failed_redrive(conn: AsyncConnection, letter_id: int, error_type: str,
                              error_message: str, at: datetime) -> None:
    """A re-drive failed again: the letter keeps waiting, with the new error and one more
    attempt."""
    await conn.execute(dead_letters.update().where(dead_letters.c.id == letter_id).values(
        attempts=dead_letters.c.attempts + 1, error_type=error_type[:200],
        error_message=error_message, failed_at=at))


@dataclass(frozen=True)
class Waiting:
    """A waiting dead letter about a case."""

    id: int
    case_id: str
    ce_type: str | None
    consumer: str


async def waiting_for(conn: AsyncConnection, case_ids: Collection[str] | None,
                      event_types: Collection[str]) -> list[Waiting]:
    """The waiting dead letters about these cases (None: about any case) whose event type is
    one of `event_types` (any version), or whose type could not be read at all (fail
    closed)."""
    if case_ids is not None and not case_ids:
        return []
    about = dead_letters.c.case_id.in_(list(case_ids)) if case_ids is not None \
        else dead_letters.c.case_id.is_not(None)
    rows = await conn.execute(
        sa.select(dead_letters.c.id, dead_letters.c.case_id, dead_letters.c.ce_type,
                  dead_letters.c.consumer)
        .where(dead_letters.c.status == DeadLetterStatus.WAITING.value, about)
        .order_by(dead_letters.c.id))
    wanted = set(event_types)
    return [Waiting(r.id, r.case_id, r.ce_type, r.consumer) for r in rows
            if r.ce_type is None or event_type_of(r.ce_type) in wanted]
