"""Court's answers to auditors: the US case as it stood, and what held prosecution back.

Holds named: `intake_not_opened` (nobody has landed yet: the court only holds what others
told it), and `specialty_consent_required`, one per count the rule of specialty (treaty
art. 17) blocks until Mexico consents (a flagged superseding count, or one consent was asked
for, not yet consented to). Charges simply outside Mexico's grant are not holds: nothing is
pending on them unless consent is sought. A third state's request for the person not yet
surrendered on is held by the onward-surrender gate's rules (`reextradition_consent_missing`
until Mexico consents or a whole-case exception of art. 17 is recorded), also after the US
proceedings ended, until the person is surrendered on to one of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.aggregate import fold as fold_stream
from shared.audit.hooks import Blocker, CaseAudit, cite, last_of
from shared.audit.replay import ReadModelReplay, ReplayInput, TableSpec
from shared.eventstore import RecordedEvent

from . import events as ev
from . import read_model, specialty
from . import rules as R  # noqa: N812 (the rule book: R.X)
from .settings import CourtSettings
from .state import CourtCase, evolve, initial
from .view import as_of, case_view

# The consumed event each of the court's own events is decided on (an auditor's next lead).
_DECIDED_ON = {ev.INTAKE_OPENED: "transport.person_landed"}


def fold(events: Sequence[RecordedEvent]) -> CourtCase:
    return fold_stream(initial, evolve, events)


def _missing(satisfied_by: Sequence[str], suffix: str = "") -> tuple[str, ...]:
    return tuple(f"{e} (on {_DECIDED_ON[e]})" if e in _DECIDED_ON else f"{e}{suffix}"
                 for e in satisfied_by)


def view(events: Sequence[RecordedEvent]) -> dict[str, Any]:
    """The case as GET /cases/{id} showed it at the last event's recorded_at (the hooks are
    not told the as-of instant), with the Rule 5 limit of the auditor's environment
    (INITIAL_APPEARANCE_LIMIT_HOURS). The service answers 404 before the landing; the audit
    shows what the court held then."""
    if not events:
        return {}
    limit = CourtSettings().initial_appearance_limit_hours
    return as_of(case_view(fold(events)), events[-1].recorded_at, limit)


_ABOUT_A_COUNT = (ev.SUPERSEDING_INDICTMENT_FILED, ev.SPECIALTY_VIOLATION_BLOCKED,
                  ev.SPECIALTY_CONSENT_REQUESTED, ev.SPECIALTY_CONSENT_REFUSED)


def _names(event: RecordedEvent, charge_id: str) -> bool:
    payload = event.payload
    if event.event_type == ev.SUPERSEDING_INDICTMENT_FILED:
        return charge_id in payload.get("added_charge_ids", ())
    return charge_id in payload.get("charge_ids", ())


def _consent_blocker(events: Sequence[RecordedEvent], state: CourtCase,
                     charge_id: str) -> Blocker:
    rule = R.SPECIALTY_CONSENT_REQUIRED
    status = specialty.charge_status(state, charge_id)
    # Once consent was asked for, only Mexico's answer is missing.
    wanted = [e for e in rule.satisfied_by if not (
        status == specialty.CONSENT_REQUESTED and e == ev.SPECIALTY_CONSENT_REQUESTED)]
    return Blocker(
        rule.id, f"charge {charge_id} ({status}): {rule.statement} ({rule.source})",
        evidence=tuple(cite(e) for e in last_of(events, *_ABOUT_A_COUNT)
                       if _names(e, charge_id)),
        missing=_missing(wanted, f" for charge {charge_id}"))


def blockers(events: Sequence[RecordedEvent]) -> list[Blocker]:
    state = fold(events)
    if R.INTAKE_NOT_OPENED.blocking(state):
        rule = R.INTAKE_NOT_OPENED
        return [Blocker(rule.id, rule.statement, missing=_missing(rule.satisfied_by))]
    onward = _onward_blockers(events, state)
    if R.PROCEEDINGS_ENDED.blocking(state):
        return onward
    # Only counts waiting for Mexico are holds; a charge merely outside the grant is not
    # pending on anything until consent is sought.
    return [_consent_blocker(events, state, charge_id) for charge_id in state.charges
            if R.SPECIALTY_CONSENT_REQUIRED.blocking(specialty.Count(state, charge_id))] + onward


_ABOUT_A_STATE = (ev.REEXTRADITION_REQUESTED, ev.REEXTRADITION_CONSENT_REFUSED)


def _onward_blockers(events: Sequence[RecordedEvent], state: CourtCase) -> list[Blocker]:
    """Each third state's pending request, held by the onward-surrender gate's rules. Once
    the person was surrendered on, no request is pending any more: the person is no longer in
    US hands (the case view still shows why each other one cannot be met)."""
    held: list[Blocker] = []
    if specialty.surrendered_on(state) is not None:
        return held
    for name, request in state.reextraditions.items():
        if request.surrendered_on is not None:
            continue
        for rule in R.ONWARD_SURRENDER_GATE.failing(specialty.Onward(state, name)):
            held.append(Blocker(
                rule.id, f"surrender to {name} ({request.consent}): {rule.statement} "
                         f"({rule.source})",
                evidence=tuple(cite(e) for e in last_of(events, *_ABOUT_A_STATE)
                               if e.payload.get("requesting_state") == name),
                missing=_missing(rule.satisfied_by, f" for {name}")))
    return held


AUDIT = CaseAudit(view=view, blockers=blockers)


async def rebuild(conn: AsyncConnection, data: ReplayInput) -> None:
    """court_cases as the live projection writes it, but with updated_at = the last event's
    recorded_at (the live value is a later clock reading: see REPLAY)."""
    for stream in data.streams.values():
        await read_model.project(conn, fold(stream), stream[-1].recorded_at)


REPLAY = ReadModelReplay(tables=[TableSpec("court_cases", key=("case_id",), version="version")],
                         rebuild=rebuild,
                         migrations=("services.court:migrations/versions",))
