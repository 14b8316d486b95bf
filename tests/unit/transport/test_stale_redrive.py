"""A dead letter re-driven after later events of its stream (docs/operations.md, "Dead letters"):
transport reads each neighbour's event with its place in its stream, and an older fact noted
after a newer one is on record but changes none of the facts the newer one stated. Review s14,
F1: a re-driven grant, lift or order was taken as the newest fact and freed the person.

Events go through the real CloudEvents encoding and transport's readers (off_kafka), with the
neighbour's stream version; the stream transport records is folded again as a replay would."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any

from services.assurance import events as assurance
from services.judicial import events as judicial
from services.transport import audit, domain, rules
from services.transport import events as ev
from services.transport.domain import Outcome
from services.transport.events import CASE_STREAM
from services.transport.facts import PersonKnown
from services.transport.inputs import readers
from services.transport.state import CASE as CASE_FOLD
from services.transport.state import CaseState
from shared.audit.hooks import cite
from shared.eventstore import Actor, GlobalPosition, NewEvent, RecordedEvent
from shared.jsoncanon import canonical_json
from shared.legaltime import start_of_legal_day
from tests.support.service_app import off_kafka

from .helpers import NOW, World, cleared, ready_facts

CASE = "RWY-STALE"
DAY = date(2025, 7, 1)


class Log:
    """A World whose case events are also kept as transport records them, to fold again."""

    def __init__(self) -> None:
        self.world = World()
        self.recorded: list[NewEvent] = []

    def keep(self, outcome: Outcome) -> Outcome:
        self.recorded += outcome.case_events(CASE)
        return outcome

    def ready(self, *facts: Any) -> None:
        self.keep(self.world.note(CASE, *(facts or ready_facts("EDNY"))))

    def consume(self, source: str, payload: Any, version: int, at: datetime,
                event_type: str | None = None) -> Outcome:
        """The neighbour's event at `version` of its case stream, read and noted as the
        consumer does (a re-driven dead letter is read the same way)."""
        consumed = off_kafka(source, event_type or payload.EVENT_TYPE,
                             payload.model_dump(mode="json"), payload.case_id, at=at,
                             version=version)
        item = readers.read(consumed)
        case = self.world.case(CASE)
        flight = (self.world.flights[case.booking.flight_id]
                  if case.on_open_manifest and case.booking else None)
        return self.keep(self.world.apply(domain.note_input(case, flight, item, self.world.now,
                                                            self.world.routes)))

    @property
    def case(self) -> CaseState:
        return self.world.case(CASE)

    def replayed(self) -> CaseState:
        return CASE_FOLD.after(CASE_FOLD.initial(), self.recorded)

    def stored(self) -> list[RecordedEvent]:
        return [RecordedEvent(
            event_id=e.event_id, stream_id=CASE, stream_type=CASE_STREAM, version=i + 1,
            event_type=e.event_type, schema_version=e.schema_version,
            payload_json=canonical_json(e.payload), occurred_at=e.occurred_at or NOW,
            recorded_at=NOW, actor=Actor("transport", "system"), correlation_id="c",
            causation_id=None, prev_hash="0" * 64, hash="0" * 64,
            position=GlobalPosition.START) for i, e in enumerate(self.recorded)]


def failing(log: Log) -> tuple[str, ...]:
    return rules.failing_ids(log.case.facts, log.world.now.date())


def judicial_day(on: date) -> datetime:
    return start_of_legal_day(on)


def grant_and_withdrawal() -> tuple[assurance.ClearanceGranted, assurance.ClearanceWithdrawn]:
    granted_at, withdrawn_at = NOW - timedelta(days=3), NOW - timedelta(days=1)
    return (assurance.ClearanceGranted(
                case_id=CASE, basis=assurance.ClearanceBasis.NO_CAPITAL_CHARGES, charge_ids=(),
                assurance_ids=(), cleared_since=granted_at, granted_at=granted_at),
            assurance.ClearanceWithdrawn(
                case_id=CASE, reason="capital_charge_identified", charge_ids=("c-9",),
                withdrawn_at=withdrawn_at, cleared_since=granted_at))


def surrender_order(ordered_on: date) -> judicial.SurrenderOrdered:
    return judicial.SurrenderOrdered(
        case_id=CASE, legal_basis="treaty", requesting_district="EDNY", ordered_on=ordered_on,
        kind="full", pickup_days=60, pickup_deadline_on=ordered_on + timedelta(days=61),
        return_obligation=False, granted_charge_ids=("c1",))


# --- F1a, F1b, F1c: the stale fact no longer wins --------------------------------------------

def test_a_redriven_clearance_grant_does_not_undo_the_later_withdrawal() -> None:
    """Assurance's v2 grant was dead-lettered, its v3 withdrawal applied (a capital count was
    identified); the re-driven grant is recorded, and the clearance stays withdrawn, live and
    on replay."""
    log = Log()
    log.ready()
    grant, withdrawal = grant_and_withdrawal()
    log.consume("assurance", withdrawal, 3, withdrawal.withdrawn_at,
                assurance.CLEARANCE_WITHDRAWN)
    redriven = log.consume("assurance", grant, 2, grant.granted_at, assurance.CLEARANCE_GRANTED)

    assert "death_penalty_clearance_missing" in failing(log)
    assert log.case.facts.clearance_withdrawal == "capital_charge_identified"
    [noted] = redriven.case_events(CASE)  # on record; eligibility unchanged, nothing announced
    assert noted.event_type == ev.ClearanceNoted.EVENT_TYPE
    assert noted.payload["cleared"] is True
    assert noted.payload["source_stream"] == f"assurance_case:{CASE}"
    assert noted.payload["source_version"] == 2
    assert log.replayed() == log.case
    # The newest event delivered again changes nothing and records nothing.
    assert log.consume("assurance", withdrawal, 3, withdrawal.withdrawn_at,
                       assurance.CLEARANCE_WITHDRAWN).empty


def test_a_redriven_suspension_lift_does_not_end_a_reinstated_suspension() -> None:
    """Judicial's stream: v10 suspension in A-1, v11 first-instance denial (it holds until
    final), v12 lift (appeal period passed; dead-lettered), v13 reinstated (an appeal filed in
    time, entered late). Re-driving v12 leaves A-1's suspension in force."""
    log = Log()
    log.ready()
    events = {
        10: judicial.AmparoSuspensionGranted(
            case_id=CASE, amparo_id="A-1", granted_on=DAY, active_suspensions=("A-1",)),
        11: judicial.AmparoDenied(
            case_id=CASE, amparo_id="A-1", ruled_on=DAY + timedelta(days=19),
            suspension_lifted=False, active_suspensions=("A-1",), pending_amparos=(),
            surrender_blocked=True),
        12: judicial.AmparoSuspensionLifted(
            case_id=CASE, amparo_id="A-1", lifted_on=DAY + timedelta(days=34),
            cause="appeal_period_passed", active_suspensions=()),
        13: judicial.AmparoSuspensionReinstated(
            case_id=CASE, amparo_id="A-1", appeal_filed_on=DAY + timedelta(days=31),
            lifted_on=DAY + timedelta(days=34), active_suspensions=("A-1",),
            pickup_paused=False),
    }
    dated = {10: DAY, 11: DAY + timedelta(days=19), 12: DAY + timedelta(days=34),
             13: DAY + timedelta(days=31)}
    for version in (10, 11, 13, 12):  # 12 dead-lettered, re-driven after 13
        log.consume("judicial", events[version], version, judicial_day(dated[version]))

    assert log.case.facts.suspensions == ("A-1",)
    assert "amparo_suspension_active" in failing(log)
    assert [e.payload.get("source_version") for e in log.recorded
            if e.event_type == ev.AmparoNoted.EVENT_TYPE] == [10, 11, 13, 12]
    assert log.replayed() == log.case


def test_a_redriven_surrender_order_is_known_but_stays_annulled_by_the_later_grant() -> None:
    """Judicial's v20 order was dead-lettered, v21 amparo granted against its execution was
    applied. The re-driven order becomes known (transport heard of no other), and the grant
    that came after it still annuls it."""
    log = Log()
    log.ready(PersonKnown("P-1", "treaty", "EDNY"), cleared())
    ordered_on = date(2025, 7, 20)
    grant = judicial.AmparoGranted(case_id=CASE, amparo_id="A-7",
                                   ruled_on=ordered_on + timedelta(days=5))
    log.consume("judicial", grant, 21, judicial_day(grant.ruled_on))
    log.consume("judicial", surrender_order(ordered_on), 20, judicial_day(ordered_on))

    facts = log.case.facts
    assert (facts.surrender_kind, facts.surrender_ordered_on) == ("full", ordered_on)
    assert facts.pickup_deadline_on == ordered_on + timedelta(days=61)
    assert facts.annulments == ("A-7",)
    assert "surrender_not_ordered" in failing(log)
    assert log.replayed() == log.case


# --- what a stale fact still does, and what it leaves alone ---------------------------------

def test_a_redriven_order_does_not_move_back_the_deadline_a_later_placement_set() -> None:
    """v20 order (dead-lettered), v22 placement at the US's disposal moves the deadline on.
    The re-driven order's own deadline is older: the placement's stands."""
    log = Log()
    log.ready(PersonKnown("P-1", "treaty", "EDNY"), cleared())
    ordered_on = date(2025, 7, 20)
    moved = ordered_on + timedelta(days=90)
    placed = judicial.PlacedAtDisposal(case_id=CASE, placed_on=ordered_on + timedelta(days=30),
                                       pickup_deadline_on=moved)
    log.consume("judicial", placed, 22, judicial_day(placed.placed_on))
    log.consume("judicial", surrender_order(ordered_on), 20, judicial_day(ordered_on))

    assert log.case.facts.surrender_ordered_on == ordered_on
    assert log.case.facts.pickup_deadline_on == moved
    assert log.replayed() == log.case


def test_a_redriven_suspension_does_not_hold_the_person_once_its_lift_was_applied() -> None:
    """The reverse order failed closed: v10 suspension (dead-lettered), v12 its lift (judicial
    lists no suspension in force). Re-driving v10 no longer holds the person."""
    log = Log()
    log.ready()
    granted = judicial.AmparoSuspensionGranted(
        case_id=CASE, amparo_id="A-2", granted_on=DAY, active_suspensions=("A-2",))
    lifted = judicial.AmparoSuspensionLifted(
        case_id=CASE, amparo_id="A-2", lifted_on=DAY + timedelta(days=30),
        cause="appeal_period_passed", active_suspensions=())
    log.consume("judicial", lifted, 12, judicial_day(lifted.lifted_on))
    log.consume("judicial", granted, 10, judicial_day(DAY))

    assert log.case.facts.suspensions == ()
    assert failing(log) == ()
    assert log.replayed() == log.case


def test_a_redriven_release_that_nothing_newer_contradicts_still_releases() -> None:
    """A stale fact changes the facts no newer event of its stream stated: judicial's v5
    release (dead-lettered) re-driven after an unrelated v6 amparo act releases the person."""
    log = Log()
    log.ready()
    released = judicial.ReleasedFromCustody.model_validate({
        "case_id": CASE, "released_on": (DAY + timedelta(days=3)).isoformat(),
        "reason": "provisional_detention_lapsed"})
    suspended = judicial.AmparoSuspensionGranted(
        case_id=CASE, amparo_id="A-3", granted_on=DAY + timedelta(days=4),
        active_suspensions=("A-3",))
    log.consume("judicial", suspended, 6, judicial_day(suspended.granted_on))
    redriven = log.consume("judicial", released, 5, judicial_day(DAY + timedelta(days=3)))

    assert log.case.facts.released == (DAY + timedelta(days=3), "provisional_detention_lapsed")
    noted = redriven.case_events(CASE)[0]
    assert noted.payload["source_version"] == 5
    assert log.replayed() == log.case


def test_the_streams_of_different_services_are_not_ordered_with_each_other() -> None:
    """Assurance's v2 grant after judicial's v30 act is not older than it: each stream is
    compared with itself only."""
    log = Log()
    log.ready(PersonKnown("P-1", "treaty", "EDNY"))
    log.consume("judicial", surrender_order(date(2025, 7, 20)), 30,
                judicial_day(date(2025, 7, 20)))
    grant, _ = grant_and_withdrawal()
    log.consume("assurance", grant, 2, grant.granted_at, assurance.CLEARANCE_GRANTED)

    assert log.case.facts.cleared
    assert {(stream.split(":")[0], group, version)
            for stream, group, version in log.case.facts.set_by} >= {
        ("judicial_case", "order", 30), ("assurance_case", "clearance", 2)}


def test_facts_noted_before_versions_were_kept_fold_as_they_did() -> None:
    """A stored stream whose noted events carry no source version folds as before (the last
    one noted wins); versions count from the first event that carries one."""
    def clearance(cleared: bool, version: int | None) -> tuple[str, dict[str, Any]]:
        return ev.ClearanceNoted.EVENT_TYPE, {
            "case_id": CASE, "source_event_type": "assurance.x.v1", "source_event_id": "e",
            "noted_at": NOW.isoformat(), "cleared": cleared,
            **({} if version is None else {"source_stream": "assurance_case:C",
                                           "source_version": version})}

    state = CASE_FOLD.initial()
    for event_type, payload in (clearance(False, None), clearance(True, None)):
        state = CASE_FOLD.apply(state, event_type, payload)
    assert state.facts.cleared  # the old events: the last one noted wins
    for event_type, payload in (clearance(False, 3), clearance(True, 2)):
        state = CASE_FOLD.apply(state, event_type, payload)
    assert not state.facts.cleared


def test_the_audit_cites_the_withdrawal_not_the_redriven_grant() -> None:
    """The blocker's evidence is the fact in force: the withdrawal, not the re-driven grant
    that was noted after it and changed nothing."""
    log = Log()
    log.ready()
    grant, withdrawal = grant_and_withdrawal()
    log.consume("assurance", withdrawal, 3, withdrawal.withdrawn_at,
                assurance.CLEARANCE_WITHDRAWN)
    log.consume("assurance", grant, 2, grant.granted_at, assurance.CLEARANCE_GRANTED)

    stored = log.stored()
    [held] = [b for b in audit.blockers(stored) if b.rule == "death_penalty_clearance_missing"]
    [withdrawn] = [e for e in stored if e.event_type == ev.ClearanceNoted.EVENT_TYPE
                   and e.payload.get("source_version") == 3]
    assert held.evidence == (cite(withdrawn),)


def test_in_whatever_order_assurance_events_are_noted_the_newest_clearance_stands() -> None:
    """v1 grant, v2 withdrawal, v3 grant again: every order of noting them (dead letters
    re-driven at any point) leaves the person cleared, as assurance's v3 says."""
    grant, withdrawal = grant_and_withdrawal()
    stream = {1: (grant, assurance.CLEARANCE_GRANTED),
              2: (withdrawal, assurance.CLEARANCE_WITHDRAWN),
              3: (grant, assurance.CLEARANCE_GRANTED)}
    for order in itertools.permutations(stream):
        log = Log()
        log.ready(PersonKnown("P-1", "treaty", "EDNY"))
        for version in order:
            payload, event_type = stream[version]
            log.consume("assurance", payload, version, NOW - timedelta(days=4 - version),
                        event_type)
        assert log.case.facts.cleared, order
        assert log.case.facts.clearance_withdrawal is None, order
        assert log.replayed() == log.case, order


def test_a_redriven_suspension_that_paused_the_window_still_pauses_it() -> None:
    """v10 suspension in A-1 paused the pickup window (dead-lettered); v11 a suspension in A-2
    that says nothing of the window was applied. Re-driving v10 pauses the window: no newer
    act of judicial's said otherwise."""
    log = Log()
    log.ready()
    paused = judicial.AmparoSuspensionGranted(
        case_id=CASE, amparo_id="A-1", granted_on=DAY, active_suspensions=("A-1",),
        pickup_paused=True)
    other = judicial.AmparoSuspensionGranted(
        case_id=CASE, amparo_id="A-2", granted_on=DAY + timedelta(days=2),
        active_suspensions=("A-1", "A-2"))
    log.consume("judicial", other, 11, judicial_day(other.granted_on))
    redriven = log.consume("judicial", paused, 10, judicial_day(DAY))

    assert log.case.facts.pickup_paused
    assert redriven.case_events(CASE)[0].payload["source_version"] == 10
    assert log.replayed() == log.case
