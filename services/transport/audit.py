"""Transport's answers to auditors: the case as transport showed it, and which eligibility
rules kept the person off a flight, with the noted events that prove it.

Only the case stream (stream id = case id) is a case's: flight streams are not folded into
the view. The destination airport depends on configuration (TRANSPORT_DISTRICT_AIRPORTS),
read here from the auditor's environment when a hook is called, as the service reads its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from itertools import groupby
from types import SimpleNamespace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.aggregate import fold as fold_events
from shared.audit.hooks import Blocker, CaseAudit, cite, last_of
from shared.audit.replay import ReadModelReplay, ReplayInput, TableSpec
from shared.eventstore import RecordedEvent
from shared.legaltime import legal_date
from shared.rules import Rule

from . import events as ev
from . import read_model, rules
from .routing import RouteTable
from .settings import TransportSettings
from .state import CASE, FLIGHT, CaseState, overtaken
from .view import case_view


def _routes() -> RouteTable:
    return TransportSettings().routes()


def fold(events: Sequence[RecordedEvent]) -> CaseState:
    return fold_events(CASE.initial, CASE.evolve, events)


def _today(events: Sequence[RecordedEvent]) -> date | None:
    """The legal date the pickup-window rule is read on: that of the last event recorded. The hooks
    are not told the as-of instant, so a window that closed between the last event and that
    instant is not seen (the service itself, asked then, would say it had closed)."""
    return legal_date(events[-1].recorded_at) if events else None


def view(events: Sequence[RecordedEvent]) -> dict[str, Any]:
    """GET /cases/{id} as the service answered it at the last event's recorded_at: the stored
    view with the clock's rule applied on that day (see `_today`)."""
    today = _today(events)
    if today is None:
        return {}
    state = fold(events)
    stored_view = case_view(state, _routes(), today)
    stored = SimpleNamespace(view=stored_view,
                             **read_model.eligibility_columns(state, stored_view))
    return read_model._live(stored, today)


# --- blockers ---------------------------------------------------------------------------

def _surrender_evidence(events: Sequence[RecordedEvent], state: CaseState) -> list[RecordedEvent]:
    facts = state.facts
    if facts.surrender_annulled_by is not None:
        return [e for e in last_of(events, ev.AmparoNoted.EVENT_TYPE)
                if e.payload.get("ruling") == "granted"
                and e.payload.get("amparo_id") in facts.annulments][-len(facts.annulments):]
    if facts.surrender_kind is not None:  # deferred: an order that does not count
        return last_of(events, ev.SurrenderOrderNoted.EVENT_TYPE)[-1:]
    return []


def _suspension_evidence(events: Sequence[RecordedEvent],
                         state: CaseState) -> list[RecordedEvent]:
    granted = [e for e in last_of(events, ev.AmparoNoted.EVENT_TYPE)
               if e.payload.get("ruling") == "suspension_granted"
               and e.payload.get("amparo_id") in state.facts.suspensions]
    return granted or last_of(events, ev.AmparoNoted.EVENT_TYPE)[-1:]


def _in_force(events: Sequence[RecordedEvent]) -> tuple[CaseState, list[RecordedEvent]]:
    """The case the events fold to, and those that may prove a rule: all but the facts noted
    after newer events of their source stream had set all they state (a dead letter re-driven
    late: on record, they changed no fact, so a re-driven grant never stands as the
    clearance last noted). One pass over the stream."""
    state, kept = CASE.initial(), []
    for e in events:
        if not overtaken(state.facts, e.event_type, e.payload):
            kept.append(e)
        state = CASE.evolve(state, e)
    return state, kept


def _evidence(rule: str, events: Sequence[RecordedEvent],
              state: CaseState) -> list[RecordedEvent]:
    if rule == rules.SURRENDER_NOT_ORDERED.id:
        return _surrender_evidence(events, state)
    if rule == rules.CLEARANCE_MISSING.id:
        # The last clearance noted, if any, is its withdrawal; absent one the rule fails for
        # want of a grant, which no event proves.
        return last_of(events, ev.ClearanceNoted.EVENT_TYPE)[-1:]
    if rule == rules.SUSPENSION_ACTIVE.id:
        return _suspension_evidence(events, state)
    if rule == rules.PICKUP_WINDOW_EXPIRED.id:
        return _standing_expiry(events) or _deadline_setters(events)[-1:]
    return last_of(events, ev.ReleaseNoted.EVENT_TYPE)


def _standing_expiry(events: Sequence[RecordedEvent]) -> list[RecordedEvent]:
    """Judicial's last expiry noted, unless judicial voided it since (an appeal filed in
    time, an earlier act entered late, the handover): a window that runs out again after the
    void is shown by what set its deadline."""
    noted = last_of(events, ev.PickupExpiryNoted.EVENT_TYPE, ev.PickupExpiryVoidNoted.EVENT_TYPE,
                    ev.PickupExpiryVoidByActNoted.EVENT_TYPE)
    return noted[-1:] if noted and noted[-1].event_type == ev.PickupExpiryNoted.EVENT_TYPE else []


def _deadline_setters(events: Sequence[RecordedEvent]) -> list[RecordedEvent]:
    """The noted facts that set the pickup deadline: the order, a placement at the US's
    disposal after it, and an amparo ruling that moved it (an order held, then freed)."""
    return [e for e in last_of(events, ev.SurrenderOrderNoted.EVENT_TYPE,
                               ev.PlacementNoted.EVENT_TYPE, ev.AmparoNoted.EVENT_TYPE)
            if e.event_type != ev.AmparoNoted.EVENT_TYPE or e.payload.get("pickup_deadline_on")]


# How transport notes each event that satisfies an eligibility rule (the rule's satisfied_by).
_NOTED_AS = {
    "judicial.surrender_ordered": "transport.surrender_order_noted of kind full or temporary",
    "judicial.national_security_transfer_authorized": "transport.transfer_authorization_noted",
    "assurance.death_penalty_clearance_granted": "transport.clearance_noted with cleared=true",
}


def _satisfied_by(rule: Rule[Any]) -> tuple[str, ...]:
    return tuple(f"{_NOTED_AS.get(source, source)} (from {source})"
                 for source in rule.satisfied_by)


def _missing(rule: str, state: CaseState) -> tuple[str, ...]:
    facts = state.facts
    if rule == rules.SUSPENSION_ACTIVE.id:
        [source] = rules.SUSPENSION_ACTIVE.satisfied_by
        return tuple(f"transport.amparo_noted lifting the suspension of amparo {amparo} "
                     f"(from {source})" for amparo in facts.suspensions)
    if rule == rules.PICKUP_WINDOW_EXPIRED.id:
        later = () if facts.pickup_expired else (
            "transport.surrender_order_noted, placement_noted or amparo_noted with a later "
            "pickup_deadline_on",)
        return (*later, "transport.transfer_authorization_noted (a national-security "
                        "transfer has no pickup window)")
    return _satisfied_by(rules.RULES[rule])  # none for a release: it is final


def _detail(rule: str, state: CaseState, today: date | None) -> str:
    """The book's statement of the rule, then what this case lacks."""
    detail = f"{rules.RULES[rule].statement}: {rules.explain(rule, state.facts)}"
    if rule == rules.PICKUP_WINDOW_EXPIRED.id and not state.facts.pickup_expired:
        detail += (f" (read on {today}, the legal date of the last event recorded: the audit "
                   "is not told the as-of instant)")
    return detail


def blockers(events: Sequence[RecordedEvent]) -> list[Blocker]:
    """One Blocker per eligibility rule failing on the case stream's facts, the pickup window
    read on the day of the last event given (see `_today`). With no events transport has
    heard nothing: the rules failing on no facts are named. Once the person has departed,
    eligibility holds nobody back any more; a person the US Marshals hold is judged on the
    handover's day, as the service judges them."""
    state, in_force = _in_force(events)
    if state.booking is not None and state.booking.departed_at is not None:
        return []
    today = _today(events)
    judged = None if today is None else state.judged_on(today)
    return [Blocker(rule, _detail(rule, state, today),
                    evidence=tuple(cite(e) for e in _evidence(rule, in_force, state)),
                    missing=_missing(rule, state))
            for rule in rules.failing_ids(state.facts, judged)]


AUDIT = CaseAudit(view=view, blockers=blockers)


# --- replay -----------------------------------------------------------------------------

def _appends(stream: Sequence[RecordedEvent]) -> list[list[RecordedEvent]]:
    """The stream cut into the appends that wrote it: one append's events share their
    recorded_at (one clock reading per append) and their context."""
    def append_of(e: RecordedEvent) -> tuple[Any, ...]:
        return (e.recorded_at, e.correlation_id, e.causation_id, e.actor)

    return [list(group) for _, group in groupby(stream, key=append_of)]


async def _rebuild_case(conn: AsyncConnection, stream: Sequence[RecordedEvent],
                        routes: RouteTable) -> None:
    # Append by append, as Session.commit projects them.
    state = CASE.initial()
    for batch in _appends(stream):
        state = CASE.after(state, batch)
        await read_model.project_case(conn, state, batch, routes, batch[-1].recorded_at)


async def _rebuild_flight(conn: AsyncConnection, stream: Sequence[RecordedEvent]) -> None:
    state = FLIGHT.after(FLIGHT.initial(), stream)
    await read_model.project_flight(conn, state, stream[-1].recorded_at)


async def rebuild(conn: AsyncConnection, data: ReplayInput) -> None:
    """All three tables, as the live projections write them (updated_at taken as the last
    append's recorded_at, which the live rows don't hold: see REPLAY)."""
    routes = _routes()
    for stream in data.streams.values():
        if stream[0].stream_type == ev.FLIGHT_STREAM:
            await _rebuild_flight(conn, stream)
        else:
            await _rebuild_case(conn, stream, routes)


# transport_manifest holds neither version nor event id; its rows are compared whole, so a
# row changed after the checkpoint shows as a difference: replay a quiet system for it.
REPLAY = ReadModelReplay(
    tables=[TableSpec("transport_cases", key=("case_id",), version="version"),
            TableSpec("transport_flights", key=("flight_id",), version="version",
                      case_column="flight_id"),
            TableSpec("transport_manifest", key=("flight_id", "case_id"))],
    rebuild=rebuild, migrations=("services.transport:migrations/versions",))
