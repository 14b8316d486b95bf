"""Transport's audit hooks on events folded from real domain decisions: the view, and the
eligibility rules named as blockers with the noted events that prove them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.transport import audit
from services.transport.domain import Outcome
from services.transport.events import CASE_STREAM
from services.transport.facts import (
    AmparoDenied,
    ClearanceWithdrawn,
    Fact,
    PersonKnown,
    PickupExpired,
    PlacedAtDisposal,
    SuspensionGranted,
    TransferAuthorized,
)
from shared.eventstore import Actor, GlobalPosition, RecordedEvent
from shared.jsoncanon import canonical_json

from .helpers import NOW, TODAY, World, cleared, surrender

CASE = "RWY-T-AUDIT"


@dataclass
class Log:
    """A World whose case events are also kept as the store would hand them back."""

    world: World = field(default_factory=World)
    events: list[RecordedEvent] = field(default_factory=list)

    def note(self, *facts: Fact, at: datetime = NOW) -> list[RecordedEvent]:
        added = [self.record(self.world.note(CASE, fact), at) for fact in facts]
        return [e for batch in added for e in batch]

    def record(self, outcome: Outcome, at: datetime) -> list[RecordedEvent]:
        batch = [RecordedEvent(
            event_id=e.event_id, stream_id=CASE, stream_type=CASE_STREAM,
            version=len(self.events) + i + 1, event_type=e.event_type,
            schema_version=e.schema_version, payload_json=canonical_json(e.payload),
            occurred_at=e.occurred_at or at, recorded_at=at, actor=Actor("transport", "system"),
            correlation_id="c", causation_id=None, prev_hash="0" * 64, hash="0" * 64,
            position=GlobalPosition.START) for i, e in enumerate(outcome.case_events(CASE))]
        self.events += batch
        return batch


def rules_of(events: list[RecordedEvent]) -> list[str]:
    return [b.rule for b in audit.blockers(events)]


def test_an_eligible_case_has_no_blockers_and_shows_eligible() -> None:
    log = Log()
    log.note(PersonKnown("Ana", "treaty", "EDNY"), surrender(), cleared())

    assert audit.blockers(log.events) == []
    view = audit.view(log.events)
    assert view["status"] == "eligible"
    assert view["eligibility"] == {"eligible": True, "failing_rules": [], "explanations": {},
                                   "as_of": TODAY.isoformat()}
    assert view["destination"]["airport"] == "JFK"
    assert view["version"] == len(log.events)


def test_a_national_security_case_without_clearance_is_held_for_it() -> None:
    log = Log()
    log.note(PersonKnown("Ana", "national_security", "EDNY"),
             TransferAuthorized(NOW - timedelta(days=1), "EDNY"))

    [held] = audit.blockers(log.events)
    assert held.rule == "death_penalty_clearance_missing"
    assert held.evidence == ()
    assert any("transport.clearance_noted with cleared=true" in m for m in held.missing)
    assert audit.view(log.events)["eligibility"]["failing_rules"] == [
        "death_penalty_clearance_missing"]


def test_a_withdrawn_clearance_is_cited_as_the_evidence() -> None:
    log = Log()
    log.note(PersonKnown("Ana", "treaty", "EDNY"), surrender(), cleared())
    withdrawn = log.note(ClearanceWithdrawn("assurance_withdrawn", ("c1",)))
    noted = [e for e in withdrawn if e.event_type == "transport.clearance_noted"]

    [held] = audit.blockers(log.events)
    assert held.rule == "death_penalty_clearance_missing"
    assert held.evidence == (f"transport.clearance_noted {noted[0].event_id} "
                             f"(v{noted[0].version})",)
    assert "withdrawn (assurance_withdrawn)" in held.detail


def test_an_amparo_suspension_is_named_until_the_denial_is_final() -> None:
    log = Log()
    log.note(PersonKnown("Ana", "treaty", "EDNY"), surrender(), cleared())
    suspended = log.note(SuspensionGranted("A-7"))

    [held] = audit.blockers(log.events)
    assert held.rule == "amparo_suspension_active"
    [noted] = [e for e in suspended if e.event_type == "transport.amparo_noted"]
    assert held.evidence == (f"transport.amparo_noted {noted.event_id} (v{noted.version})",)
    assert held.missing == ("transport.amparo_noted lifting the suspension of amparo A-7 "
                            "(from judicial.amparo_suspension_lifted)",)

    log.note(AmparoDenied("A-7", ("A-7",)))  # at first instance: the suspension holds
    assert [b.rule for b in audit.blockers(log.events)] == ["amparo_suspension_active"]
    log.note(AmparoDenied("A-7", ()))  # the denial final: judicial lifts the suspension
    assert audit.blockers(log.events) == []


def test_the_pickup_window_is_read_on_the_day_of_the_last_event() -> None:
    log = Log()
    deadline = TODAY + timedelta(days=2)
    log.note(PersonKnown("Ana", "treaty", "EDNY"), surrender(deadline=deadline), cleared())
    assert audit.blockers(log.events) == []

    # Nothing but the date of the last event moves: a later fact recorded on the deadline.
    log.note(PersonKnown("Ana María", None, None), at=NOW + timedelta(days=2))
    [held] = audit.blockers(log.events)
    assert held.rule == "pickup_window_expired"
    assert str(deadline) in held.detail
    assert any(e.startswith("transport.surrender_order_noted") for e in held.evidence)
    view = audit.view(log.events)
    assert view["status"] == "not_eligible"
    assert view["eligibility"]["failing_rules"] == ["pickup_window_expired"]


def test_a_placement_after_the_order_is_cited_for_the_deadline_it_set() -> None:
    log = Log()
    log.note(PersonKnown("Ana", "treaty", "EDNY"), surrender(deadline=TODAY), cleared())
    placed = log.note(PlacedAtDisposal(TODAY - timedelta(days=58), TODAY + timedelta(days=2)))
    assert audit.blockers(log.events) == []
    log.note(PersonKnown("Ana María", None, None), at=NOW + timedelta(days=2))
    [held] = audit.blockers(log.events)
    assert held.rule == "pickup_window_expired"
    [noted] = [e for e in placed if e.event_type == "transport.placement_noted"]
    assert held.evidence == (f"transport.placement_noted {noted.event_id} (v{noted.version})",)


def test_a_person_in_us_custody_off_a_cancelled_flight_is_blocked_by_nothing() -> None:
    """Handed over on the window's last day, then the flight was cancelled: the audit judges
    the person on the handover's day, as the service does, so an expiry noted later and
    the days since block nothing."""
    log = Log()
    deadline = TODAY + timedelta(days=1)
    log.note(PersonKnown("Ana", "treaty", "EDNY"), surrender(deadline=deadline), cleared())
    flight_id = log.world.schedule(("JFK",))
    for outcome in (log.world.assign(CASE, flight_id), log.world.custody(CASE, flight_id),
                    log.world.cancel(flight_id)):
        log.record(outcome, NOW)
    log.note(PickupExpired(deadline), at=NOW + timedelta(days=3))

    assert audit.blockers(log.events) == []
    view = audit.view(log.events)
    assert view["eligibility"]["failing_rules"] == []
    assert view["us_custody"] is not None and view["current_flight"] is None


def test_a_case_transport_never_heard_of_lacks_an_order_and_a_clearance() -> None:
    assert rules_of([]) == ["surrender_not_ordered", "death_penalty_clearance_missing"]
    assert audit.view([]) == {}


def test_a_deferred_surrender_is_cited_for_surrender_not_ordered() -> None:
    log = Log()
    log.note(PersonKnown("Ana", "treaty", "EDNY"), surrender(kind="deferred"), cleared())
    [held] = audit.blockers(log.events)
    assert held.rule == "surrender_not_ordered"
    assert held.evidence[0].startswith("transport.surrender_order_noted")
    assert "deferred" in held.detail
