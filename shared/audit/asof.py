"""`runway audit as-of` and `runway audit explain`: a case as it stood, and the rules that
held it back, rebuilt from the stores' events alone, along either of two axes:

- the recorded axis, "what Runway knew at instant T": every event recorded at or before T;
- the legal axis, "what the legal position was on date D, as now known": every event stored
  now whose legal date (its occurred_at's day in LEGAL_TIMEZONE) is on or before D, however
  late it was entered.

A case entered after the fact is where the two differ: on the recorded axis it did not exist
before its entry; on the legal axis its acts count from their own dates. Each answer says which
axis it is on (`axis` and a sentence, `answer`).

The services' views fold events in the order each service recorded them (their stream
versions), as the services themselves did. On the legal axis a service's view is folded from
its events of legal dates on or before D. When those cannot be folded (an act kept rests on an
event its service recorded before it but timed later: a manifest assignment timed at its entry,
before a custody transfer dated months earlier), that service's stream is folded up to its last
event of a date asked instead, and the later-timed events it had to take are named in
`rested_on`. The timeline holds only the events of legal dates on or before D.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from shared.clock import SystemClock, iso_utc
from shared.db import Database
from shared.eventstore import EventStore, RecordedEvent
from shared.legaltime import (
    TimelineOrder,
    legal_date,
    legal_zone_name,
    timeline_key,
)

from .hooks import CaseAudit, discover
from .sources import AuditTarget

T = TypeVar("T")


# A question is asked along one of the two axes a timeline is read along (shared.legaltime).
Axis = TimelineOrder


@dataclass(frozen=True)
class Question:
    """Which position an auditor asks for. `known_at` is the instant of knowledge: T on the
    recorded axis, the moment of asking on the legal axis."""

    axis: Axis
    known_at: datetime
    on: date | None = None       # the legal date (legal axis only)
    zone: str = field(default_factory=legal_zone_name)

    @classmethod
    def recorded(cls, at: datetime | None = None, zone: str | None = None) -> Question:
        return cls(Axis.RECORDED, at or datetime.now(UTC), zone=zone or legal_zone_name())

    @classmethod
    def legal(cls, on: date, known_at: datetime | None = None,
              zone: str | None = None) -> Question:
        return cls(Axis.LEGAL, known_at or datetime.now(UTC), on,
                   zone or legal_zone_name())

    def keeps(self, event: RecordedEvent) -> bool:
        if self.axis is Axis.RECORDED or self.on is None:
            return event.recorded_at <= self.known_at
        return legal_date(event.occurred_at, self.zone) <= self.on

    def answer(self, case_id: str) -> str:
        if self.axis is Axis.RECORDED:
            return (f"What Runway knew of {case_id} at {iso_utc(self.known_at)} (recorded "
                    f"axis): the events recorded by then, whatever their legal dates.")
        return (f"The legal position of {case_id} on {self.on} ({self.zone}), as Runway knows "
                f"it at {iso_utc(self.known_at)} (legal axis): every event whose legal date is "
                f"on or before {self.on}, however late it was recorded.")

    def nothing(self, case_id: str) -> str:
        if self.axis is Axis.RECORDED:
            return f"case {case_id} had no events at {iso_utc(self.known_at)}"
        return (f"case {case_id} has no events with a legal date on or before {self.on} "
                f"(as known at {iso_utc(self.known_at)})")

    def fields(self, case_id: str) -> dict[str, Any]:
        legal = {"legal_date": self.on.isoformat()} if self.on is not None else {}
        return {"axis": self.axis.value, **legal, "legal_timezone": self.zone,
                "answer": self.answer(case_id)}


@dataclass(frozen=True)
class Selection:
    """One service's events for a question: `dated`, those the question asks about (the
    timeline's); `folded`, its stream up to the last of them, folded instead when the dated
    events alone cannot be (see the module's docstring; on the recorded axis the two are the
    same)."""

    dated: list[RecordedEvent]
    folded: list[RecordedEvent]

    @classmethod
    def of(cls, question: Question, stream: list[RecordedEvent]) -> Selection:
        dated = [e for e in stream if question.keeps(e)]
        last = max((i for i, e in enumerate(stream) if question.keeps(e)), default=-1)
        return cls(dated, stream[:last + 1])

    @property
    def rested_on(self) -> list[RecordedEvent]:
        dated = {e.event_id for e in self.dated}
        return [e for e in self.folded if e.event_id not in dated]

    def fold(self, through: Callable[[Sequence[RecordedEvent]], T]) -> tuple[T, bool]:
        """`through` (a service's view or blockers) over the dated events; if the service
        cannot fold them, over the stream prefix. The flag says the prefix was needed."""
        if self.folded == self.dated:  # a prefix (the recorded axis): a failure is a failure
            return through(self.dated), False
        try:
            return through(self.dated), False
        except Exception:  # any fold failure means: it needs what it rested on
            return through(self.folded), True


async def _streams(target: AuditTarget, case_id: str,
                   question: Question) -> dict[str, Selection]:
    store = EventStore(SystemClock())
    # Both axes read what was known at `known_at` (the legal axis: now); the legal axis then
    # keeps the events of the legal dates asked for.
    streams: dict[str, Selection] = {}
    for service, url in target.stores.items():
        database = Database(url, pool_size=1)
        try:
            async with database.connect() as conn:
                events = await store.read_stream(conn, case_id, as_of=question.known_at)
        finally:
            await database.dispose()
        streams[service] = Selection.of(question, events)
    return streams


def _rested_on(service: str, selection: Selection, zone: str) -> list[dict[str, Any]]:
    return [{"service": service, "event_id": str(e.event_id), "event_type": e.event_type,
             "version": e.version, "legal_date": legal_date(e.occurred_at, zone).isoformat(),
             "recorded_at": iso_utc(e.recorded_at)} for e in selection.rested_on]


def timeline(streams: dict[str, list[RecordedEvent]], order: TimelineOrder = TimelineOrder.LEGAL,
             zone: str | None = None) -> list[dict[str, Any]]:
    """Every service's events of the case in one list, by legal time (default) or by recorded
    time, each with both times and its legal date."""
    entries = [(service, e) for service, events in streams.items() for e in events]
    entries.sort(key=lambda p: timeline_key(order, p[1].occurred_at, p[1].recorded_at,
                                            p[1].version, p[0]))
    return [{"service": service, "event_id": str(e.event_id), "event_type": e.event_type,
             "version": e.version, "occurred_at": iso_utc(e.occurred_at),
             "legal_date": legal_date(e.occurred_at, zone).isoformat(),
             "recorded_at": iso_utc(e.recorded_at),
             "actor": f"{e.actor.subject} ({e.actor.role})", "data": e.payload}
            for service, e in entries]


async def case_as_of(target: AuditTarget, case_id: str, question: Question | datetime,
                     hooks: dict[str, CaseAudit] | None = None,
                     order: TimelineOrder = TimelineOrder.LEGAL) -> dict[str, Any]:
    """The case's state in every service and its timeline, on the question's axis (an
    instant alone asks on the recorded axis, as this function always did)."""
    question = question if isinstance(question, Question) else Question.recorded(question)
    hooks = hooks if hooks is not None else discover()
    streams = await _streams(target, case_id, question)
    if not any(selection.dated for selection in streams.values()):
        raise LookupError(question.nothing(case_id))
    state: dict[str, Any] = {}
    rested_on: list[dict[str, Any]] = []
    for service, selection in streams.items():
        if service in hooks and selection.folded:
            state[service], needed = selection.fold(hooks[service].view)
            rested_on += _rested_on(service, selection, question.zone) if needed else []
    return {
        "case_id": case_id, "as_of": iso_utc(question.known_at), **question.fields(case_id),
        "order": order.value, "state": state,
        "timeline": timeline({s: selection.dated for s, selection in streams.items()}, order,
                             question.zone),
        **({"rested_on": rested_on} if question.on else {}),
    }


async def explain(target: AuditTarget, case_id: str, question: Question | datetime,
                  hooks: dict[str, CaseAudit] | None = None) -> dict[str, Any]:
    question = question if isinstance(question, Question) else Question.recorded(question)
    hooks = hooks if hooks is not None else discover()
    streams = await _streams(target, case_id, question)
    if not any(selection.dated for selection in streams.values()):
        raise LookupError(question.nothing(case_id))
    blockers: list[dict[str, Any]] = []
    rested_on: list[dict[str, Any]] = []
    for service, selection in streams.items():
        if service not in hooks:
            continue
        found, needed = selection.fold(hooks[service].blockers)
        blockers += [{"service": service, **blocker.as_dict()} for blocker in found]
        rested_on += _rested_on(service, selection, question.zone) if needed else []
    return {"case_id": case_id, "at": iso_utc(question.known_at), **question.fields(case_id),
            "blocked": bool(blockers), "blockers": blockers,
            **({"rested_on": rested_on} if question.on else {})}


def explain_text(result: dict[str, Any]) -> str:
    if result.get("axis") == Axis.LEGAL:
        where = (f"{result['case_id']} on legal date {result['legal_date']} (legal axis, as "
                 f"known at {result['at']})")
    else:
        where = f"{result['case_id']} at {result['at']} (recorded axis: as Runway knew it then)"
    if not result["blocked"]:
        lines = [f"{where}: nothing held the case back."]
    else:
        lines = [f"{where} was held back by:"]
    for blocker in result["blockers"]:
        lines.append(f"- [{blocker['service']}] {blocker['rule']}: {blocker['detail']}")
        lines += [f"    because of {e}" for e in blocker["evidence"]]
        lines += [f"    missing     {m}" for m in blocker["missing"]]
    if result.get("answer"):
        lines.append(result["answer"])
    if result.get("rested_on"):
        lines.append("Folded too, though of later legal dates, because acts on or before it "
                     "rest on them:")
        lines += [f"    [{e['service']}] {e['event_type']} (v{e['version']}, legal date "
                  f"{e['legal_date']})" for e in result["rested_on"]]
    return "\n".join(lines)
