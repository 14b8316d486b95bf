"""Event store: append with optimistic concurrency, hash-chained streams, commit-safe order."""

from .errors import ConcurrencyConflict, EventStoreError, StreamNotFound
from .events import Actor, EventContext, GlobalPosition, NewEvent, RecordedEvent
from .store import EventStore
from .verify import IntegrityProblem, verify_stream

__all__ = [
    "Actor",
    "ConcurrencyConflict",
    "EventContext",
    "EventStore",
    "EventStoreError",
    "GlobalPosition",
    "IntegrityProblem",
    "NewEvent",
    "RecordedEvent",
    "StreamNotFound",
    "verify_stream",
]
