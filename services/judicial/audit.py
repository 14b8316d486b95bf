"""Judicial's answers to auditors: Mexico's phase as it stood, and what held surrender."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.aggregate import fold
from shared.audit.hooks import Blocker, CaseAudit, cite
from shared.audit.replay import ReadModelReplay, ReplayInput, TableSpec
from shared.eventstore import RecordedEvent
from shared.legaltime import legal_date
from shared.rules import Rule

from . import read_model, rules
from .state import State, evolve, initial
from .view import case_view


def _fold(events: Sequence[RecordedEvent]) -> State:
    return fold(initial, evolve, events)


def _as_of(events: Sequence[RecordedEvent]) -> rules.OnDay:
    """The case on the day of the last recorded event (as the read model projected it)."""
    return rules.OnDay(_fold(events), legal_date(events[-1].recorded_at))


def view(events: Sequence[RecordedEvent]) -> dict[str, Any]:
    if not events:
        return {}
    subject = _as_of(events)
    return case_view(subject.state, subject.day)


def _since(events: Sequence[RecordedEvent], rule: Rule[Any], day: date) -> list[RecordedEvent]:
    """The event after which `rule` has held the case without a break: the evidence an
    auditor is shown (the suspension granted, the suit filed, the grant that opened the
    window, the release), found by asking the rule itself after each event."""
    state, since = initial(), None
    for event in events:
        state = fold(lambda: state, evolve, [event])  # noqa: B023 (used at once)
        holds = rule.blocking(rules.OnDay(state, day))
        since = (since or event) if holds else None
    return [] if since is None else [since]


def _blocker(rule: Rule[Any], detail: str, events: Sequence[RecordedEvent], day: date) -> Blocker:
    """A rule as the auditor sees it: its statement, the event holding the case, and the
    events that would satisfy it (the rule's own `satisfied_by`)."""
    return Blocker(rule.id, detail, evidence=tuple(cite(e) for e in _since(events, rule, day)),
                   missing=rule.satisfied_by)


def blockers(events: Sequence[RecordedEvent]) -> list[Blocker]:
    if not events:
        return [Blocker(rules.CASE_NOT_OPENED.id, "judicial has no case yet",
                        missing=rules.CASE_NOT_OPENED.satisfied_by)]
    subject = _as_of(events)
    found = [_blocker(rule, f"surrender cannot be ordered: {rule.statement}", events,
                      subject.day)
             for rule in rules.SURRENDER.failing(subject) if rule in rules.AMPARO_HOLDS]
    if rules.RELEASED_FROM_CUSTODY.blocking(subject):
        found.append(_blocker(rules.RELEASED_FROM_CUSTODY, rules.RELEASED_FROM_CUSTODY.statement,
                              events, subject.day))
    elif not found and rules.SURRENDER_NOT_ORDERED.blocking(subject):
        found.append(Blocker(rules.SURRENDER_NOT_ORDERED.id,
                             f"{rules.SURRENDER_NOT_ORDERED.statement} (status "
                             f"{subject.state.status.value})",
                             missing=rules.SURRENDER_NOT_ORDERED.satisfied_by))
    return found


AUDIT = CaseAudit(view=view, blockers=blockers)


async def rebuild(conn: AsyncConnection, data: ReplayInput) -> None:
    for stream in data.streams.values():
        await read_model.project(conn, _fold(stream), stream[-1].recorded_at,
                                 opened_at=stream[0].recorded_at)


REPLAY = ReadModelReplay(
    tables=[TableSpec("judicial_cases", key=("case_id",), version="version")],
    rebuild=rebuild, migrations=("services.judicial:migrations/versions",))
