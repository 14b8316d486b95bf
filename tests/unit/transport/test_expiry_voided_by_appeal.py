"""Judicial's real decisions, read by transport's real readers: an appeal filed in time but
typed in after the scheduler had ended the suspension and let the resumed pickup window run
out. Transport had the person released; once judicial voids the expiry, the person is held
by the suspension (never free in between), and may fly again once the appeal is decided."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from services.judicial import commands as cmd
from services.judicial.domain import decide, decide_timer, replay
from services.judicial.state import ClockKind, State
from services.transport import audit as transport_audit
from services.transport import rules
from services.transport.facts import (
    AmparoDenied,
    ExpiryVoided,
    PersonKnown,
    PickupExpired,
    Released,
    SuspensionGranted,
)
from services.transport.inputs import readers
from shared.eventstore import NewEvent
from tests.support.service_app import off_kafka
from tests.unit.judicial.support import (
    POLICY,
    amparo,
    at,
    d,
    formal,
    granted_treaty_case,
    opened,
    ruling,
    surrender,
    suspension,
)

from .helpers import NOW, TODAY, World, cleared
from .helpers import surrender as surrender_fact
from .test_audit import Log

CASE = "RWY-J1"  # judicial's test case
LATER = at("2026-09-01", 12)


class Judicial:
    """Judicial's case, with every event it records kept in order."""

    def __init__(self, state: State) -> None:
        self.state, self.events = state, list[NewEvent]()

    def step(self, *commands: cmd.ClerkCommand) -> list[NewEvent]:
        return [e for c in commands for e in self._record(decide(self.state, c, LATER, POLICY))]

    def fire(self, kind: ClockKind, now: datetime) -> list[NewEvent]:
        return self._record(list(decide_timer(self.state, kind, now).events))

    def _record(self, events: list[NewEvent]) -> list[NewEvent]:
        self.state = replay(self.state, events)
        self.events.extend(events)
        return events


def noted(world: World, events: list[NewEvent]) -> None:
    """Each event through the CloudEvents encoding and transport's reader, as off Kafka."""
    for event in events:
        assert event.occurred_at is not None  # judicial dates every event by its act
        consumed = off_kafka("judicial", event.event_type, event.payload, CASE,
                             at=event.occurred_at)
        if consumed.ce_type in readers.types():
            world.note(CASE, readers.read(consumed).fact)


def failing(world: World, on: str) -> tuple[str, ...]:
    return rules.failing_ids(world.case(CASE).facts, d(on))


def test_transport_holds_the_person_by_the_suspension_and_frees_them_with_the_appeal() -> None:
    judicial = Judicial(replay(granted_treaty_case(), list(decide_timer(
        granted_treaty_case(), ClockKind.AMPARO_WINDOW, at("2026-03-24")).events)))
    world = World(now=LATER)
    world.note(CASE, cleared())
    noted(world, judicial.step(surrender("2026-04-10"), amparo("A-9", "2026-05-01"),
                               suspension("A-9", "2026-05-05"),
                               ruling("denied", "A-9", "2026-06-04")))
    noted(world, judicial.fire(ClockKind.AMPARO_APPEAL_PERIOD, at("2026-06-19")))
    noted(world, judicial.fire(ClockKind.PICKUP_WINDOW, at("2026-07-25", 1)))
    assert failing(world, "2026-09-01") == ("pickup_window_expired", "released_from_custody")

    appeal = judicial.step(cmd.FileAmparoAppeal.model_validate(
        {"amparo_id": "A-9", "filed_on": "2026-06-18", "appellant": "complainant"}))
    for seen in range(1, len(appeal) + 1):  # after each event in turn: never free to fly
        part_read = World(cases=dict(world.cases), now=LATER)
        noted(part_read, appeal[:seen])
        assert failing(part_read, "2026-09-01") != ()
    noted(world, appeal)
    assert failing(world, "2026-09-01") == ("amparo_suspension_active",)
    assert world.case(CASE).facts.released is None

    noted(world, judicial.step(cmd.DecideAmparoAppeal.model_validate(
        {"amparo_id": "A-9", "decided_on": "2026-09-01", "outcome": "denied"})))
    assert world.case(CASE).facts.pickup_deadline_on == date(2026, 10, 7)
    assert failing(world, "2026-09-02") == ()
    assert failing(world, "2026-10-07") == ("pickup_window_expired",)


def test_explain_does_not_cite_a_voided_expiry_once_the_resumed_window_runs_out() -> None:
    """Judicial voided the expiry of D1; the appeal's decision moved the window to D2, which
    ran out in turn: the evidence is what set D2, not the voided expiry."""
    d1, d2 = TODAY + timedelta(days=40), TODAY + timedelta(days=70)
    log = Log()
    log.note(PersonKnown("Ana", "treaty", "EDNY"), surrender_fact(), cleared(),
             SuspensionGranted("A-9", pickup_paused=True),
             AmparoDenied("A-9", (), pickup_deadline_on=d1),  # the scheduler's lift
             PickupExpired(d1), Released(d1, "pickup_window_expired"),
             SuspensionGranted("A-9", pickup_paused=True),    # reinstated by the appeal
             ExpiryVoided(d1, True, TODAY + timedelta(days=5)))
    log.note(AmparoDenied("A-9", (), pickup_deadline_on=d2), at=NOW + timedelta(days=71))
    [blocker] = [b for b in transport_audit.blockers(log.events)
                 if b.rule == "pickup_window_expired"]
    assert not any(e.startswith("transport.pickup_expiry_noted") for e in blocker.evidence)
    assert any(e.startswith("transport.amparo_noted") for e in blocker.evidence)


def test_transport_reads_an_expiry_voided_by_a_suspension_entered_late() -> None:
    """Judicial's late-entered suspension (review s14): granted on the window's last day,
    typed in after the expiry and release were recorded. Transport had the person released;
    it reads the suspension and the void, and holds them by the suspension alone, never
    free to fly in between."""
    judicial = Judicial(replay(granted_treaty_case(), list(decide_timer(
        granted_treaty_case(), ClockKind.AMPARO_WINDOW, at("2026-03-24")).events)))
    world = World(now=LATER)
    world.note(CASE, cleared())
    noted(world, judicial.step(surrender("2026-04-10"), amparo("A-9", "2026-06-01")))
    noted(world, judicial.fire(ClockKind.PICKUP_WINDOW, at("2026-06-10", 0, 0, 1)))
    assert failing(world, "2026-09-01") == ("pickup_window_expired", "released_from_custody")

    late = judicial.step(suspension("A-9", "2026-06-09"))
    assert [e.event_type for e in late][-1] == "judicial.pickup_expiry_voided_by_earlier_act"
    for seen in range(1, len(late) + 1):
        part_read = World(cases=dict(world.cases), now=LATER)
        noted(part_read, late[:seen])
        assert failing(part_read, "2026-09-01") != ()
    noted(world, late)
    assert failing(world, "2026-09-01") == ("amparo_suspension_active",)
    facts = world.case(CASE).facts
    assert facts.released is None and not facts.pickup_expired


def test_transport_reads_a_provisional_lapse_judicial_showed_void() -> None:
    """The formal request received on the last day of the provisional detention, typed in the
    morning after the lapse and release were recorded: judicial voids them, and transport no
    longer names the release as holding the person (review of the change, F7)."""
    judicial = Judicial(replay(opened(), decide(
        opened(), cmd.OrderProvisionalDetention(ordered_on=d("2026-01-05")),
        at("2026-01-05", 12), POLICY)))
    world = World(now=at("2026-03-06", 12))
    world.note(CASE, PersonKnown("P-1", "treaty", "EDNY"), cleared())
    noted(world, judicial.fire(ClockKind.PROVISIONAL_DETENTION, at("2026-03-06", 0, 0, 1)))
    assert rules.RELEASED.id in failing(world, "2026-03-06")
    voided = judicial.step(formal("2026-03-05"))
    assert [e.event_type for e in voided][-1] == "judicial.provisional_lapse_voided"
    noted(world, voided)
    assert rules.RELEASED.id not in failing(world, "2026-03-06")
    assert world.case(CASE).facts.released is None
