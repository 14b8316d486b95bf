"""The shapes of events going into and coming out of the store."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

# Event types are explicit strings such as "intake.request_submitted"; the schema version is
# carried beside them. Neither is ever derived from a Python class path.


@dataclass(frozen=True, slots=True)
class Actor:
    """Who caused an event: an authenticated subject and the role it acted in."""

    subject: str
    role: str

    @classmethod
    def system(cls, component: str) -> Actor:
        return cls(subject=f"system:{component}", role="service")


@dataclass(frozen=True, slots=True)
class EventContext:
    """Metadata shared by all events of one command."""

    actor: Actor
    correlation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    causation_id: str | None = None


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event a command wants to record. Payload must be JSON-serialisable."""

    event_type: str
    payload: dict[str, Any]
    schema_version: int = 1
    occurred_at: datetime | None = None
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True, slots=True)
class GlobalPosition:
    """Where an event sits in the store's commit order.

    On PostgreSQL the order is (transaction id, sequence): a reader only ever advances past
    transactions that can no longer commit, so an event that commits late is never skipped.
    On SQLite, writes are serialised by the database lock and `tx` is always 0.
    """

    tx: int
    seq: int

    START: ClassVar[GlobalPosition]  # the position before the first event; set below

    def __str__(self) -> str:
        return f"{self.tx}:{self.seq}"

    @classmethod
    def parse(cls, text: str) -> GlobalPosition:
        tx, _, seq = text.partition(":")
        return cls(int(tx), int(seq))


GlobalPosition.START = GlobalPosition(0, 0)


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as stored: immutable, hash-chained to the previous event of its stream."""

    event_id: uuid.UUID
    stream_id: str
    stream_type: str
    version: int
    event_type: str
    schema_version: int
    payload_json: str
    occurred_at: datetime
    recorded_at: datetime
    actor: Actor
    correlation_id: str
    causation_id: str | None
    prev_hash: str
    hash: str
    position: GlobalPosition

    @property
    def payload(self) -> dict[str, Any]:
        import json

        value: dict[str, Any] = json.loads(self.payload_json)
        return value
