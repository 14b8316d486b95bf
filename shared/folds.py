"""An aggregate's fold as one value: its state before any event, and what one event changes.

A service's state module declares `Fold(State, apply)` once; the repository takes its
`initial` and `evolve` (shared.aggregate.Repository, shared.aggregate.fold over recorded
events), and the domain folds the events it has just decided, not yet recorded, with `after`.
Written per service, the same three functions and the same loop stood in every state module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from shared.eventstore import RecordedEvent

S = TypeVar("S")


class Happened(Protocol):
    """An event as a fold reads it: recorded (RecordedEvent) or just decided (NewEvent)."""

    @property
    def event_type(self) -> str: ...

    @property
    def payload(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Fold(Generic[S]):
    """`initial()` is the state of a stream with no events; `apply(state, type, payload)` the
    state after one more (an unknown type only counts)."""

    initial: Callable[[], S]
    apply: Callable[[S, str, dict[str, Any]], S]

    def evolve(self, state: S, event: RecordedEvent) -> S:
        return self.apply(state, event.event_type, event.payload)

    def after(self, state: S, events: Iterable[Happened]) -> S:
        """The state once `events` have happened, in order."""
        for happened in events:
            state = self.apply(state, happened.event_type, happened.payload)
        return state


__all__ = ["Fold", "Happened"]
