"""Event-sourced aggregates: state is a fold of a stream's events; commands decide new events.

A service supplies `initial` and `evolve` (pure functions); the repository loads a stream,
folds it, and appends with the version and head hash it loaded, so a concurrent change to the
same case surfaces as a ConcurrencyConflict (HTTP 409) instead of an overwrite. Events stored
in an older schema version are upcast (shared/upcasting.py) before `evolve` sees them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.errors import NotFound
from shared.eventstore import (
    ConcurrencyConflict,
    EventContext,
    EventStore,
    NewEvent,
    RecordedEvent,
)
from shared.upcasting import Upcasters, discovered

if TYPE_CHECKING:
    from shared.service import ServiceRuntime

State = TypeVar("State")

# The version a client says it last read, for the stream its request is about (If-Match).
_EXPECTED: ContextVar[tuple[str, int] | None] = ContextVar("runway_expected_version",
                                                             default=None)


def expect_version(stream_id: str, version: int) -> None:
    """Refuse, for the rest of this request, to append to `stream_id` unless it is still at
    `version` (set by the web layer from If-Match)."""
    _EXPECTED.set((stream_id, version))


def fold(initial: Callable[[], State], evolve: Callable[[State, RecordedEvent], State],
         events: Sequence[RecordedEvent], upcasters: Upcasters | None = None) -> State:
    """The state a stream's events fold to: the one fold every service, repository and audit
    uses. Events stored in an older schema version are upcast first."""
    upcast = (upcasters if upcasters is not None else discovered()).upcast_recorded
    state = initial()
    for event in events:
        state = evolve(state, upcast(event))
    return state


@dataclass(frozen=True)
class Loaded(Generic[State]):
    stream_id: str
    state: State
    version: int
    head_hash: str | None

    @property
    def exists(self) -> bool:
        return self.version > 0


class Repository(Generic[State]):
    def __init__(
        self,
        store: EventStore,
        *,
        stream_type: str,
        topic: str,
        initial: Callable[[], State],
        evolve: Callable[[State, RecordedEvent], State],
        upcasters: Upcasters | None = None,
    ) -> None:
        self._store = store
        self.stream_type = stream_type
        self.topic = topic
        self._initial = initial
        self._evolve = evolve
        self._upcasters = upcasters if upcasters is not None else discovered()

    def fold(self, events: Sequence[RecordedEvent]) -> State:
        return fold(self._initial, self._evolve, events, self._upcasters)

    async def load(
        self, conn: AsyncConnection, stream_id: str, *, as_of: datetime | None = None
    ) -> Loaded[State]:
        events = await self._store.read_stream(conn, stream_id, as_of=as_of)
        return Loaded(stream_id, self.fold(events), len(events),
                      events[-1].hash if events else None)

    def new(self, stream_id: str) -> Loaded[State]:
        """A stream the caller has just minted the id of: nothing to read. Appending to it
        expects version 0, so should the id exist after all, the append is a conflict and
        never lands in someone else's stream."""
        return Loaded(stream_id, self._initial(), 0, None)

    async def load_existing(self, conn: AsyncConnection, stream_id: str) -> Loaded[State]:
        loaded = await self.load(conn, stream_id)
        if not loaded.exists:
            raise NotFound(self.stream_type, stream_id)
        return loaded

    async def append(
        self,
        conn: AsyncConnection,
        loaded: Loaded[State],
        events: Sequence[NewEvent],
        context: EventContext,
    ) -> tuple[State, list[RecordedEvent]]:
        """Record `events` after the version that was loaded; returns the new state."""
        expected = _EXPECTED.get()
        if expected is not None and expected[0] == loaded.stream_id \
                and expected[1] != loaded.version:
            raise ConcurrencyConflict(loaded.stream_id, expected[1], loaded.version)
        recorded = await self._store.append(
            conn, stream_id=loaded.stream_id, stream_type=self.stream_type,
            expected_version=loaded.version, head_hash=loaded.head_hash, events=events,
            context=context, topic=self.topic)
        state = loaded.state
        for event in recorded:
            state = self._evolve(state, self._upcasters.upcast_recorded(event))
        return state, recorded


Project = Callable[[AsyncConnection, State, datetime], Awaitable[None]]


async def decide_and_record(
    repo: Repository[State],
    conn: AsyncConnection,
    stream_id: str,
    decide: Callable[[State], Sequence[NewEvent]],
    context: EventContext,
    project: Project[State],
    *,
    must_exist: bool = True,
) -> State:
    """One command in the caller's transaction: load, decide, append, project. Returns the
    state after it; a RuleViolation from `decide` leaves everything unwritten. The read model
    is projected at the events' own recorded time, so a replay rebuilds the same rows."""
    loaded = await (repo.load_existing(conn, stream_id) if must_exist
                    else repo.load(conn, stream_id))
    decided = decide(loaded.state)
    if not decided:
        return loaded.state
    state, recorded = await repo.append(conn, loaded, decided, context)
    await project(conn, state, recorded[-1].recorded_at)
    return state


@dataclass(frozen=True)
class Handling(Generic[State]):
    """A service's one way to run a decision on its aggregate: load the stream, decide,
    append, project, in the caller's transaction (a clerk's command, or a consumer's with its
    inbox row). The service names its stream type, fold and projection once."""

    stream_type: str
    initial: Callable[[], State]
    evolve: Callable[[State, RecordedEvent], State]
    project: Project[State]

    def repository(self, runtime: ServiceRuntime) -> Repository[State]:
        return Repository(runtime.store, stream_type=self.stream_type,
                          topic=runtime.events_topic, initial=self.initial,
                          evolve=self.evolve)

    async def run(self, runtime: ServiceRuntime, conn: AsyncConnection, stream_id: str,
                  decide: Callable[[State], Sequence[NewEvent]], context: EventContext, *,
                  must_exist: bool = True) -> State:
        """Returns the state after the decision; a RuleViolation leaves everything
        unwritten."""
        return await decide_and_record(self.repository(runtime), conn, stream_id, decide,
                                       context, self.project, must_exist=must_exist)


class Sequenced(Protocol):
    """A state that counts the events folded into it (a dataclass with `seq`)."""

    @property
    def seq(self) -> int: ...


Counted = TypeVar("Counted", bound=Sequenced)


@dataclass(frozen=True)
class EventTable(Generic[Counted]):
    """A service's fold as a table: each event type's payload model and the function that
    applies it. Every event advances the state's `seq`; an unknown type only that."""

    models: Mapping[str, type[BaseModel]]
    appliers: Mapping[str, Callable[[Counted, Any], Counted]]

    def apply(self, state: Counted, event_type: str, payload: Mapping[str, Any]) -> Counted:
        model = self.models.get(event_type)
        state = replace(state, seq=state.seq + 1)  # type: ignore[type-var]
        if model is None:
            return state
        return self.appliers[event_type](state, model.model_validate(payload))

    def evolve(self, state: Counted, event: RecordedEvent) -> Counted:
        return self.apply(state, event.event_type, event.payload)
