"""Who did what to a case: every event of the case in every service's log, with the
authenticated actor (token subject, and the role the permission matrix let them act under)
that each event records. Read from the stores, so it is the record, not a service's view."""

from __future__ import annotations

from dataclasses import dataclass

from shared.clock import iso_utc
from shared.eventstore import RecordedEvent
from shared.legaltime import legal_date

from .export import case_events
from .sources import AuditTarget


@dataclass(frozen=True, slots=True)
class Action:
    recorded_at: str
    occurred_at: str
    legal_date: str     # occurred_at's day in LEGAL_TIMEZONE
    service: str
    version: int
    event_type: str
    subject: str
    role: str
    correlation_id: str

    @classmethod
    def of(cls, service: str, event: RecordedEvent,
           zone: str | None = None) -> Action:
        return cls(recorded_at=iso_utc(event.recorded_at), occurred_at=iso_utc(event.occurred_at),
                   legal_date=legal_date(event.occurred_at, zone).isoformat(),
                   service=service, version=event.version,
                   event_type=f"{event.event_type}.v{event.schema_version}",
                   subject=event.actor.subject, role=event.actor.role,
                   correlation_id=event.correlation_id)


async def case_actions(target: AuditTarget, case_id: str) -> list[Action]:
    """The case's events in the order they were recorded, with who recorded each."""
    events = await case_events(target, case_id)
    if not events:
        raise LookupError(f"no events for case {case_id}")
    ordered = sorted(events, key=lambda pair: (pair[1].recorded_at, pair[0], pair[1].version))
    return [Action.of(service, event) for service, event in ordered]


def actions_text(case_id: str, actions: list[Action]) -> str:
    lines = [f"Who did what to {case_id} ({len(actions)} events):", "",
             f"  {'recorded':<20} {'legal date':<11} {'service':<10} {'subject':<24} "
             f"{'role':<18} event"]
    lines += [f"  {a.recorded_at[:19]:<20} {a.legal_date:<11} {a.service:<10} "
              f"{a.subject[:23]:<24} {a.role:<18} {a.event_type}" for a in actions]
    people = sorted({(a.subject, a.role) for a in actions})
    lines += ["", "Actors:"] + [
        f"  {subject} ({role}): {sum(1 for a in actions if (a.subject, a.role) == (subject, role))}"
        f" event(s)" for subject, role in people]
    return "\n".join(lines) + "\n"
