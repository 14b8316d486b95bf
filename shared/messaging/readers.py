"""A consumer's readers: each event type it consumes is named once, on the function that reads
that event into the consumer's own input, and the subscriptions are taken from the same table.

    terms_readers: Readers[JudicialTerms] = Readers()

    @terms_readers.on("judicial.surrender_ordered", 1)
    def _ordered(event: ConsumedEvent) -> JudicialTerms: ...

    terms_readers.read(event)             # the reader declared for event.ce_type
    terms_readers.types("judicial")       # what a consumer of judicial's topic subscribes to

Declaring is registering a function in a dict: no work at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from .cloudevents import ConsumedEvent, ce_type

T = TypeVar("T")


class Readers(Generic[T]):
    """The event types read into a T, in the order they were declared, each with its reader."""

    def __init__(self) -> None:
        self._by_type: dict[str, Callable[[ConsumedEvent], T]] = {}

    def on(self, event_type: str, version: int, *versions: int
           ) -> Callable[[Callable[[ConsumedEvent], T]], Callable[[ConsumedEvent], T]]:
        """Declares the decorated function the reader of `event_type` in these versions (one
        function may read several versions whose payloads it reads alike)."""
        def declare(read: Callable[[ConsumedEvent], T]) -> Callable[[ConsumedEvent], T]:
            self.add(event_type, (version, *versions), read)
            return read
        return declare

    def add(self, event_type: str, versions: tuple[int, ...],
            read: Callable[[ConsumedEvent], T]) -> None:
        """Declares `read` the reader of `event_type` in these versions (for a reader built,
        not written as a def)."""
        for version in versions:
            key = ce_type(event_type, version)
            if key in self._by_type:
                raise ValueError(f"{key} already has a reader")
            self._by_type[key] = read

    def read(self, event: ConsumedEvent) -> T:
        """What the event says, by its type's reader. A consumer subscribes only to `types()`,
        so another type raises KeyError; a malformed payload raises what its reader raises."""
        return self._by_type[event.ce_type](event)

    def types(self, source: str | None = None) -> tuple[str, ...]:
        """The ce_types declared (those `source` publishes, e.g. "judicial", if named)."""
        return tuple(t for t in self._by_type if source is None or t.startswith(f"{source}."))
