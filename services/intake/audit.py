"""Intake's answers to auditors: the request as it stood."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.aggregate import fold
from shared.audit.bulk import bulk_insert
from shared.audit.hooks import CaseAudit
from shared.audit.replay import ReadModelReplay, ReplayInput, TableSpec
from shared.eventstore import RecordedEvent

from . import domain, read_model
from .events import RequestSubmitted, RequestSubmittedV1


def view(events: Sequence[RecordedEvent]) -> dict[str, Any]:
    state = fold(domain.initial, domain.evolve, events)
    if state.request is None:
        return {}
    # The request as recorded: the person sealed (v2), so an auditor sees ciphertext, and
    # after an erasure, when it happened.
    erased_at = state.personal_data_erased_at
    return {"version": len(events), "request": state.request.model_dump(mode="json"),
            "personal_data_erased_at": None if erased_at is None else erased_at.isoformat()}


AUDIT = CaseAudit(view=view)


async def rebuild(conn: AsyncConnection, data: ReplayInput) -> None:
    """Cases from their request events; the timeline and statuses from every service's
    events, in bulk: the same rows the live consumers write one event at a time."""
    cases: dict[str, dict[str, Any]] = {}
    for stream in data.streams.values():
        first = stream[0]
        # Either version: only fields both carry in clear (the name is not in these tables).
        model: type[RequestSubmitted | RequestSubmittedV1] = (
            RequestSubmittedV1 if first.schema_version == 1 else RequestSubmitted)
        request = model.model_validate_json(first.payload_json)
        cases[request.case_id] = read_model.submitted_row(request, first.recorded_at)
    rows: list[dict[str, Any]] = []
    for service, event in data.everything:
        # Intake's own streams are cases; other events name theirs (as the live consumer reads).
        case_id = event.stream_id if service == "intake" else str(
            event.payload.get("case_id") or event.stream_id)
        rows.append({"event_id": event.event_id, "case_id": case_id,
                     "source": f"/runway/{service}", "event_type": event.event_type,
                     "schema_version": event.schema_version, "stream_version": event.version,
                     "occurred_at": event.occurred_at, "recorded_at": event.recorded_at,
                     "actor": f"{event.actor.subject} ({event.actor.role})",
                     "data": event.payload_json})
        case = cases.get(case_id)
        if case is not None:
            _move(case, event)
    await bulk_insert(conn, read_model.cases, list(cases.values()))
    await bulk_insert(conn, read_model.timeline, rows)


def _move(case: dict[str, Any], event: RecordedEvent) -> None:
    """The live consumer's update (read_model.apply_to_timeline), on the rebuilt row."""
    for column, value in read_model.moves(event.event_type, event.payload).items():
        moved = read_model.status_moves(case["status"], case["status_at"], str(value),
                                        event.recorded_at) if column == "status" \
            else case[f"{column}_at"] <= event.recorded_at
        if moved:
            case[column] = value
            case[f"{column}_at"] = event.recorded_at
            case["updated_at"] = max(case["updated_at"], event.recorded_at)


REPLAY = ReadModelReplay(
    tables=[TableSpec("intake_timeline", key=("event_id",), event_id="event_id"),
            TableSpec("intake_cases", key=("case_id",),
                      settled_by=("intake_timeline", "case_id"))],
    rebuild=rebuild, migrations=("services.intake:migrations/versions",))
