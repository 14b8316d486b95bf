"""Assurance's answers to auditors: coverage as it stood, and the death-penalty rule."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.aggregate import fold as fold_events
from shared.audit.hooks import Blocker, CaseAudit, cite, last_of
from shared.audit.replay import ReadModelReplay, ReplayInput, TableSpec
from shared.eventstore import RecordedEvent
from shared.rules import law

from . import events as ev
from . import read_model, rules
from .coverage import uncovered_charges
from .state import AssuranceCase, evolve, initial
from .view import case_view


def fold(events: Sequence[RecordedEvent]) -> AssuranceCase:
    return fold_events(initial, evolve, events)


def view(events: Sequence[RecordedEvent]) -> dict[str, Any]:
    """The case as these events leave it. On the legal axis they are the acts dated up to a
    day, and a clearance recorded later for an earlier day (or a gap learnt of later) is not
    among them: whether the case was cleared is then read from what those acts cover, as the
    domain reads it (coverage), beside what Runway had recorded by then."""
    if not events:
        return {}
    state = fold(events)
    shown = case_view(state)
    clearance = shown["clearance"]
    shown["clearance"] = {**clearance, "cleared": not uncovered_charges(state),
                          "recorded_cleared": clearance["cleared"]}
    return shown


def _about(event: RecordedEvent, charge_id: str) -> bool:
    payload = event.payload
    if event.event_type == ev.DOJ_COMMITMENT_RECORDED and payload.get("charge_ids") is None:
        return True  # a commitment naming no count speaks of every count
    return payload.get("charge_id") == charge_id or charge_id in (payload.get("charge_ids") or ())


_CHARGE_HISTORY = (ev.CAPITAL_CHARGE_IDENTIFIED, ev.ASSURANCE_RECEIVED, ev.ASSURANCE_REJECTED,
                   ev.ASSURANCE_WITHDRAWN, ev.DOJ_COMMITMENT_RECORDED)


def _missing(state: AssuranceCase, charge_id: str) -> tuple[str, ...]:
    """What would satisfy the rule for this charge, in the instrument of the case's basis."""
    rule = rules.DEATH_PENALTY_CLEARANCE_MISSING
    if state.national_security:
        wanted = [f"{ev.DOJ_COMMITMENT_RECORDED} of a commitment not seeking death whose scope "
                  f"covers charge {charge_id} (national-security basis)"]
    else:
        wanted = [f"{ev.ASSURANCE_ACCEPTED} of an assurance covering charge {charge_id}"]
    return (*wanted, *rule.satisfied_by)


def _detail(state: AssuranceCase, charge_id: str) -> str:
    gaps = rules.commitment_gaps(state, charge_id)
    return (f"charge {charge_id} is capital-eligible and lacks {rules.instrument(state)}"
            + (f" ({gaps})" if gaps else ""))


def blockers(events: Sequence[RecordedEvent]) -> list[Blocker]:
    """The law's death_penalty_clearance_missing, once per uncovered capital charge."""
    if not events:
        return [Blocker(law.CASE_NOT_OPENED.id, "assurance has no case yet",
                        missing=(ev.CASE_OPENED,))]
    state = fold(events)
    rule = rules.DEATH_PENALTY_CLEARANCE_MISSING
    # Held back while a capital charge these acts leave is uncovered, whatever clearance
    # was recorded by then (see `view`).
    if not uncovered_charges(state):
        return []
    found = []
    for charge_id in uncovered_charges(state):
        related = [e for e in events if _about(e, charge_id) and e.event_type in _CHARGE_HISTORY]
        found.append(Blocker(
            rule.id, _detail(state, charge_id),
            evidence=tuple(cite(e) for e in related), missing=_missing(state, charge_id)))
    withdrawn = last_of(events, ev.CLEARANCE_WITHDRAWN)
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
