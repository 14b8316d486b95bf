"""`runway audit as-of` and `runway audit explain`: a case as it stood, and the rules that
held it back, rebuilt from the stores' events alone, along either of two axes:

- the recorded axis, "what Runway knew at instant T": every event recorded at or before T;
- the legal axis, "what the legal position was on date D, as now known": every event stored
  now whose legal date (its occurred_at's day in LEGAL_TIMEZONE) is on or before D, however
  late it was entered.

A case entered after the fact is where the two differ: on the recorded axis it did not exist
before its entry; on the legal axis its acts count from their own dates. Each answer says which
axis it is on (`axis` and a sentence, `answer`). The services' views fold the kept events in
the order each service recorded them (their stream versions), as the services themselves did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from shared.clock import SystemClock, iso_utc
from shared.db import Database
from shared.eventstore import EventStore, RecordedEvent
from shared.legaltime import (
    DEFAULT_LEGAL_TIMEZONE,
    TimelineOrder,
    configured_zone_name,
    legal_date,
    timeline_key,
)

from .hooks import CaseAudit, discover
from .sources import AuditTarget


class Axis(StrEnum):
    RECORDED = "recorded"
    LEGAL = "legal"


@dataclass(frozen=True)
class Question:
    """Which position an auditor asks for. `known_at` is the instant of knowledge: T on the
    recorded axis, the moment of asking on the legal axis."""

    axis: Axis
    known_at: datetime
    on: date | None = None       # the legal date (legal axis only)
    zone: str = DEFAULT_LEGAL_TIMEZONE

    @classmethod
    def recorded(cls, at: datetime | None = None, zone: str | None = None) -> Question:
        return cls(Axis.RECORDED, at or datetime.now(UTC), zone=zone or configured_zone_name())

    @classmethod
    def legal(cls, on: date, known_at: datetime | None = None,
              zone: str | None = None) -> Question:
        return cls(Axis.LEGAL, known_at or datetime.now(UTC), on,
                   zone or configured_zone_name())

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


async def _streams(target: AuditTarget, case_id: str,
                   question: Question) -> dict[str, list[RecordedEvent]]:
    store = EventStore(SystemClock())
    # The legal axis reads everything known at the instant of asking, then keeps the events
    # of the legal dates asked for; the recorded axis lets the store cut at the instant.
    cut = question.known_at
    streams: dict[str, list[RecordedEvent]] = {}
    for service, url in target.stores.items():
        database = Database(url, pool_size=1)
        try:
            async with database.connect() as conn:
                events = await store.read_stream(conn, case_id, as_of=cut)
        finally:
            await database.dispose()
        streams[service] = [e for e in events if question.keeps(e)]
    return streams


def timeline(streams: dict[str, list[RecordedEvent]], order: TimelineOrder = TimelineOrder.LEGAL,
             zone: str = DEFAULT_LEGAL_TIMEZONE) -> list[dict[str, Any]]:
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
    if not any(streams.values()):
        raise LookupError(question.nothing(case_id))
    return {
        "case_id": case_id, "as_of": iso_utc(question.known_at), **question.fields(case_id),
        "order": order.value,
        "state": {service: hooks[service].view(events) for service, events in streams.items()
                  if service in hooks and events},
        "timeline": timeline(streams, order, question.zone),
    }


async def explain(target: AuditTarget, case_id: str, question: Question | datetime,
                  hooks: dict[str, CaseAudit] | None = None) -> dict[str, Any]:
    question = question if isinstance(question, Question) else Question.recorded(question)
    hooks = hooks if hooks is not None else discover()
    streams = await _streams(target, case_id, question)
    if not any(streams.values()):
        raise LookupError(question.nothing(case_id))
    blockers = [{"service": service, **blocker.as_dict()}
                for service, events in streams.items() if service in hooks
                for blocker in hooks[service].blockers(events)]
    return {"case_id": case_id, "at": iso_utc(question.known_at), **question.fields(case_id),
            "blocked": bool(blockers), "blockers": blockers}


def explain_text(result: dict[str, Any]) -> str:
    if result.get("axis") == Axis.LEGAL:
        where = (f"{result['case_id']} on legal date {result['legal_date']} (legal axis, as "
                 f"known at {result['at']})")
    else:
        where = f"{result['case_id']} at {result['at']} (recorded axis: as Runway knew it then)"
    if not result["blocked"]:
        return f"{where}: nothing held the case back.\n{result.get('answer', '')}".rstrip()
    lines = [f"{where} was held back by:"]
    for blocker in result["blockers"]:
        lines.append(f"- [{blocker['service']}] {blocker['rule']}: {blocker['detail']}")
        lines += [f"    because of {e}" for e in blocker["evidence"]]
        lines += [f"    missing     {m}" for m in blocker["missing"]]
    if result.get("answer"):
        lines.append(result["answer"])
    return "\n".join(lines)
