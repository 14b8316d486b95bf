"""`runway audit as-of` and `runway audit explain`: a case as it stood at any instant, and
the rules that held it back then, rebuilt from the stores' events alone.

"As it stood" means as Runway knew it: every event recorded at or before the instant.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.clock import SystemClock, iso_utc
from shared.db import Database
from shared.eventstore import EventStore, RecordedEvent

from .hooks import CaseAudit, discover
from .sources import AuditTarget


async def _streams(target: AuditTarget, case_id: str,
                   at: datetime | None) -> dict[str, list[RecordedEvent]]:
    store = EventStore(SystemClock())
    streams: dict[str, list[RecordedEvent]] = {}
    for service, url in target.stores.items():
        database = Database(url, pool_size=1)
        try:
            async with database.connect() as conn:
                streams[service] = await store.read_stream(conn, case_id, as_of=at)
        finally:
            await database.dispose()
    return streams


def _timeline(streams: dict[str, list[RecordedEvent]]) -> list[dict[str, Any]]:
    entries = [(service, e) for service, events in streams.items() for e in events]
    entries.sort(key=lambda p: (p[1].occurred_at, p[1].recorded_at))
    return [{"service": service, "event_id": str(e.event_id), "event_type": e.event_type,
             "version": e.version, "occurred_at": iso_utc(e.occurred_at),
             "recorded_at": iso_utc(e.recorded_at),
             "actor": f"{e.actor.subject} ({e.actor.role})", "data": e.payload}
            for service, e in entries]


async def case_as_of(target: AuditTarget, case_id: str, at: datetime,
                     hooks: dict[str, CaseAudit] | None = None) -> dict[str, Any]:
    hooks = hooks if hooks is not None else discover()
    streams = await _streams(target, case_id, at)
    if not any(streams.values()):
        raise LookupError(f"case {case_id} had no events at {iso_utc(at)}")
    return {
        "case_id": case_id, "as_of": iso_utc(at),
        "state": {service: hooks[service].view(events) for service, events in streams.items()
                  if service in hooks and events},
        "timeline": _timeline(streams),
    }


async def explain(target: AuditTarget, case_id: str, at: datetime,
                  hooks: dict[str, CaseAudit] | None = None) -> dict[str, Any]:
    hooks = hooks if hooks is not None else discover()
    streams = await _streams(target, case_id, at)
    if not any(streams.values()):
        raise LookupError(f"case {case_id} had no events at {iso_utc(at)}")
    blockers = [{"service": service, **blocker.as_dict()}
                for service, events in streams.items() if service in hooks
                for blocker in hooks[service].blockers(events)]
    return {"case_id": case_id, "at": iso_utc(at), "blocked": bool(blockers),
            "blockers": blockers}


def explain_text(result: dict[str, Any]) -> str:
    if not result["blocked"]:
        return f"{result['case_id']} at {result['at']}: nothing held the case back."
    lines = [f"{result['case_id']} at {result['at']} was held back by:"]
    for blocker in result["blockers"]:
        lines.append(f"- [{blocker['service']}] {blocker['rule']}: {blocker['detail']}")
        lines += [f"    because of {e}" for e in blocker["evidence"]]
        lines += [f"    missing     {m}" for m in blocker["missing"]]
    return "\n".join(lines)
