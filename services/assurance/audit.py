"""Assurance's answers to auditors: coverage as it stood, and the death-penalty rule."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.audit.hooks import Blocker, CaseAudit, cite, last_of
from shared.audit.replay import ReadModelReplay, ReplayInput, TableSpec
from shared.eventstore import RecordedEvent

from . import read_model
from .coverage import uncovered_charges
from .state import AssuranceCase, evolve, initial
from .view import case_view


def fold(events: Sequence[RecordedEvent]) -> AssuranceCase:
    state = initial()
    for event in events:
        state = evolve(state, event)
    return state


def view(events: Sequence[RecordedEvent]) -> dict[str, Any]:
    return case_view(fold(events)) if events else {}


def _about(event: RecordedEvent, charge_id: str) -> bool:
    payload = event.payload
    return payload.get("charge_id") == charge_id or charge_id in payload.get("charge_ids", ())


def blockers(events: Sequence[RecordedEvent]) -> list[Blocker]:
    if not events:
        return [Blocker("case_not_opened", "assurance has no case yet",
                        missing=("assurance.case_opened",))]
    state = fold(events)
    if state.clearance.cleared:
        return []
    found = []
    for charge_id in uncovered_charges(state):
        related = [e for e in events if _about(e, charge_id) and e.event_type in (
            "assurance.capital_charge_identified", "assurance.assurance_received",
            "assurance.assurance_rejected", "assurance.assurance_withdrawn")]
        missing = ["assurance.assurance_accepted of an assurance covering charge "
                   f"{charge_id}"]
        if state.national_security:
            missing.append("assurance.doj_commitment_recorded (national-security basis)")
        found.append(Blocker(
            "death_penalty_clearance_missing",
            f"charge {charge_id} is capital-eligible and no accepted assurance covers it "
            "(treaty art. 8: nobody leaves while a capital-eligible charge lacks one)",
            evidence=tuple(cite(e) for e in related), missing=tuple(missing)))
    withdrawn = last_of(events, "assurance.death_penalty_clearance_withdrawn")
    if withdrawn and found:
        found[0] = Blocker(found[0].rule, found[0].detail,
                           (*found[0].evidence, cite(withdrawn[-1])), found[0].missing)
    return found


AUDIT = CaseAudit(view=view, blockers=blockers)


async def rebuild(conn: AsyncConnection, data: ReplayInput) -> None:
    for stream in data.streams.values():
        await read_model.project(conn, fold(stream), stream[-1].recorded_at)


REPLAY = ReadModelReplay(
    tables=[TableSpec("assurance_cases", key=("case_id",), version="version")],
    rebuild=rebuild, migrations=("services.assurance:migrations/versions",))
