"""New events as a store would hand them back, and lookups over a list of new events: the
building blocks the pure domain tests of several services share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from shared.eventstore import Actor, GlobalPosition, NewEvent, RecordedEvent
from shared.jsoncanon import canonical_json


def as_recorded(events: Sequence[NewEvent], *, stream_id: str, stream_type: str,
                at: datetime, start_version: int = 1,
                causation_id: str | None = None) -> list[RecordedEvent]:
    """The events as the store would hand them back, numbered from `start_version` (hashes
    are not checked by evolve); an event without its own occurred_at happened `at`; all of
    them appended by one command, caused by `causation_id` when it consumed another's."""
    return [RecordedEvent(
        event_id=e.event_id, stream_id=stream_id, stream_type=stream_type,
        version=start_version + i, event_type=e.event_type, schema_version=e.schema_version,
        payload_json=canonical_json(e.payload), occurred_at=e.occurred_at or at,
        recorded_at=at, actor=Actor("tester", "test"), correlation_id="c",
        causation_id=causation_id,
        prev_hash="0" * 64, hash="0" * 64, position=GlobalPosition(0, start_version + i))
        for i, e in enumerate(events)]


def types(events: Sequence[NewEvent]) -> list[str]:
    return [e.event_type for e in events]


def only(events: Sequence[NewEvent], event_type: str) -> dict[str, Any]:
    """The payload of the one event of that type (fails unless there is exactly one)."""
    [found] = [e.payload for e in events if e.event_type == event_type]
    return found
