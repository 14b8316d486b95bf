"""Judicial's answers to auditors: Mexico's phase as it stood, and what held surrender."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.audit.hooks import Blocker, CaseAudit, cite, last_of
from shared.audit.replay import ReadModelReplay, ReplayInput, TableSpec
from shared.eventstore import RecordedEvent

from . import read_model
from .state import State, evolve, initial
from .view import case_view, surrender_blockers

_EVIDENCE = {
    "amparo_suspension_active": ("judicial.amparo_suspension_granted",),
    "amparo_pending": ("judicial.amparo_filed",),
    "amparo_window_open": ("judicial.sre_extradition_granted",),
}
_MISSING = {
    "amparo_suspension_active": "judicial.amparo_denied lifting the suspension",
    "amparo_pending": "judicial.amparo_denied (a ruling on the suit)",
    "amparo_window_open": "judicial.amparo_window_closed (the window must pass)",
}
_AUTHORISED = ("judicial.surrender_ordered", "judicial.national_security_transfer_authorized")


def fold(events: Sequence[RecordedEvent]) -> State:
    state = initial()
    for event in events:
        state = evolve(state, event)
    return state


def view(events: Sequence[RecordedEvent]) -> dict[str, Any]:
    return case_view(fold(events)) if events else {}


def blockers(events: Sequence[RecordedEvent]) -> list[Blocker]:
    if not events:
        return [Blocker("case_not_opened", "judicial has no case yet",
                        missing=("judicial.case_opened",))]
    state = fold(events)
    found = [Blocker(rule, f"surrender cannot be ordered: {rule.replace('_', ' ')}",
                     evidence=tuple(cite(e) for e in last_of(events, *_EVIDENCE[rule])),
                     missing=(_MISSING[rule],))
             for rule in surrender_blockers(state)]
    released = last_of(events, "judicial.released_from_custody",
                       "judicial.sre_extradition_refused")
    if released:
        found.append(Blocker("released_from_custody", "Mexico released the person",
                             evidence=tuple(cite(e) for e in released)))
    elif not found and not last_of(events, *_AUTHORISED):
        found.append(Blocker("surrender_not_ordered",
                             f"Mexico has not authorised surrender (status {state.status.value})",
                             missing=_AUTHORISED))
    return found


AUDIT = CaseAudit(view=view, blockers=blockers)


async def rebuild(conn: AsyncConnection, data: ReplayInput) -> None:
    for stream in data.streams.values():
        await read_model.project(conn, fold(stream), stream[-1].recorded_at,
                                 opened_at=stream[0].recorded_at)


REPLAY = ReadModelReplay(
    tables=[TableSpec("judicial_cases", key=("case_id",), version="version")],
    rebuild=rebuild, migrations=("services.judicial:migrations/versions",))
