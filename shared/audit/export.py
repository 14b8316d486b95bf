"""`runway audit export CASE`: a case's complete history as JSON lines plus a readable report,
with what a third party needs to check it without Runway (contracts/tools/verify_export.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared.clock import SystemClock, iso_utc
from shared.db import Database
from shared.eventstore import EventStore, RecordedEvent
from shared.eventstore.hashing import content_record
from shared.legaltime import TimelineOrder, legal_date, legal_zone_name, timeline_key

from .sources import AuditTarget


def export_record(service: str, event: RecordedEvent) -> dict[str, Any]:
    """Every hash input of the event, as hashed, plus its hashes and origin."""
    return {"service": service, **content_record(event), "prev_hash": event.prev_hash,
            "hash": event.hash}


async def case_events(target: AuditTarget, case_id: str) -> list[tuple[str, RecordedEvent]]:
    store = EventStore(SystemClock())
    found: list[tuple[str, RecordedEvent]] = []
    for service, url in target.stores.items():
        database = Database(url, pool_size=1)
        try:
            async with database.connect() as conn:
                found += [(service, e) for e in await store.read_stream(conn, case_id)]
        finally:
            await database.dispose()
    return found


def report_text(case_id: str, events: list[tuple[str, RecordedEvent]]) -> str:
    lines = [f"Runway case history: {case_id}", ""]
    streams: dict[str, RecordedEvent] = {}
    for service, event in events:
        streams[service] = event
    lines.append("Streams (verify with: python3 verify_export.py <case>.jsonl):")
    for service, head in streams.items():
        lines.append(f"  {service:<10} {head.stream_type:<16} {head.version:>3} events, "
                     f"head hash {head.hash}")
    zone = legal_zone_name()
    lines += ["", f"Events in the order they happened in law (legal date in {zone}, then "
                  "when Runway recorded it):"]
    ordered = sorted(events, key=lambda p: timeline_key(
        TimelineOrder.LEGAL, p[1].occurred_at, p[1].recorded_at, p[1].version, p[0]))
    for service, event in ordered:
        lines.append(f"  {legal_date(event.occurred_at, zone)}  "
                     f"recorded {iso_utc(event.recorded_at)[:19]}  {service:<10} "
                     f"v{event.version:<3} {event.event_type:<48} "
                     f"by {event.actor.subject} ({event.actor.role})")
    return "\n".join(lines) + "\n"


def write_export(case_id: str, events: list[tuple[str, RecordedEvent]],
                 directory: Path) -> tuple[Path, Path]:
    if not events:
        raise LookupError(f"no events for case {case_id} in any store")
    directory.mkdir(parents=True, exist_ok=True)
    jsonl = directory / f"{case_id}.jsonl"
    with jsonl.open("w", encoding="utf-8") as out:
        for service, event in events:
            out.write(json.dumps(export_record(service, event), ensure_ascii=False) + "\n")
    report = directory / f"{case_id}.txt"
    report.write_text(report_text(case_id, events), encoding="utf-8")
    return jsonl, report
