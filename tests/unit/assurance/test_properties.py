"""Random command sequences against the pure domain, checked against an independent model.

The model below knows nothing of the domain's code: it follows the product rule directly
(cleared ⇔ every capital charge covered by an accepted assurance given for it as it stands, or
national-security basis with a DOJ commitment, or no capital charge) and predicts which
commands must be refused. Hypothesis drives one case through a state machine whose rules are
the commands; after every step the domain must agree with the model, no clearance may be
granted while a capital charge is uncovered, a refused command must change nothing, every
transfer while not cleared must be flagged, and replaying the stored stream must give the
same case.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from services.assurance import coverage, domain
from services.assurance import events as ev
from services.assurance.domain import AssuranceCase, ChargeFacts
from services.assurance.events import Scope
from shared import aggregate
from shared.errors import NotFound, RuleViolation
from shared.eventstore import NewEvent
from shared.legaltime import legal_date

from .helpers import CASE, NOW, POLICY, amended, recorded, submitted

CHARGE_IDS = ("c1", "c2", "c3", "c4")
ASSURANCE_IDS = ("A1", "A2", "A3", "A4", "A5")
BASES = ("treaty", "simplified", "national_security")


def dated(now: datetime) -> date:
    """Each step is its own legal day and its documents are dated that day: an assurance
    covers a charge as it stood on the note's date, so one received after an amendment is
    given for the charge as amended and one received before it is not (as the model binds
    them); acts of one day could not be ordered by their dates."""
    return legal_date(now)


Charges = tuple[tuple[str, bool, int], ...]  # (charge id, capital, statute variant)

charge_lists = st.dictionaries(
    st.sampled_from(CHARGE_IDS), st.tuples(st.booleans(), st.integers(0, 1)), max_size=4,
).map(lambda d: tuple((k, capital, variant) for k, (capital, variant) in sorted(d.items())))
scopes = st.lists(st.sampled_from(list(Scope)), min_size=1, max_size=3, unique=True).map(tuple)


def some_of(values: list[str], extra: tuple[str, ...]) -> st.SearchStrategy[tuple[str, ...]]:
    """Mostly ids that exist, sometimes strangers, so both outcomes of a rule get exercised."""
    pool = st.sampled_from(values) if values else st.sampled_from(extra)
    return st.lists(st.one_of(pool, pool, pool, st.sampled_from(extra)), max_size=3,
                    unique=True).map(tuple)


def facts(charges: Charges) -> tuple[ChargeFacts, ...]:
    return tuple(ChargeFacts(cid, f"statute-{cid}-{variant}", capital,
                             "18 U.S.C. § 3591" if capital else None)
                 for cid, capital, variant in charges)


# --- the independent model --------------------------------------------------------------

@dataclass
class ModelAssurance:
    covers: set[tuple[str, int]]
    status: str
    scope_ok: bool


@dataclass
class Model:
    basis: str
    capital: dict[str, tuple[str, int]] = field(default_factory=dict)  # id -> (statute, gen)
    generations: dict[str, int] = field(default_factory=dict)
    assurances: dict[str, ModelAssurance] = field(default_factory=dict)
    doj: bool = False

    def take(self, charges: Charges) -> None:
        wanted = {cid: f"statute-{cid}-{v}" for cid, capital, v in charges if capital}
        for cid, (statute, _) in list(self.capital.items()):
            if wanted.get(cid) != statute:
                del self.capital[cid]
        for cid, statute in wanted.items():
            if cid not in self.capital:
                self.generations[cid] = self.generations.get(cid, 0) + 1
                self.capital[cid] = (statute, self.generations[cid])

    def uncovered(self) -> set[str]:
        if self.basis == "national_security" and self.doj:
            return set()
        accepted = set().union(*(a.covers for a in self.assurances.values()
                                 if a.status == "accepted"))
        return {cid for cid, (_, gen) in self.capital.items() if (cid, gen) not in accepted}

    def cleared(self) -> bool:
        return not self.uncovered()

    def charges_known(self, ids: tuple[str, ...]) -> bool:
        return bool(ids) and set(ids) <= set(self.capital)


# --- checking what the domain records ---------------------------------------------------

def oracle_uncovered(state: AssuranceCase) -> set[str]:
    """Straight from the state's facts, without the coverage module."""
    if state.legal_basis == "national_security" and state.doj is not None:
        return set()
    accepted = set().union(*(a.covers for a in state.assurances.values()
                             if a.status == "accepted"))
    return {c.charge_id for c in state.capital.values()
            if (c.charge_id, c.generation) not in accepted}


def apply_checked(state: AssuranceCase, events: list[NewEvent]) -> AssuranceCase:
    for event in events:
        was_cleared = state.clearance.cleared
        state = domain.preview(state, [event])
        if event.event_type == ev.CLEARANCE_GRANTED:
            assert not oracle_uncovered(state), "clearance granted over an uncovered charge"
            assert set(event.payload["charge_ids"]) == set(state.capital)
        if event.event_type == ev.CLEARANCE_WITHDRAWN:
            assert was_cleared, "clearance withdrawn from a case that was not cleared"
            assert set(event.payload["charge_ids"]) == oracle_uncovered(state)
    return state


# --- one case, command by command -------------------------------------------------------

Decision = Callable[[AssuranceCase, datetime], list[NewEvent]]


class AssuranceCaseMachine(RuleBasedStateMachine):
    """Each rule is one command or input, drawn with the case in view (mostly about its real
    charges and assurances); the model says whether the rules let it through."""

    def __init__(self) -> None:
        super().__init__()
        self.model = Model("treaty")
        self.state = domain.initial()
        self.replayed = domain.initial()  # the stored stream, folded as a repository does
        self.version = 0
        self.step = 0

    def attempt(self, allowed: bool, decision: Decision) -> list[NewEvent] | None:
        """The events the command recorded, or None when it was refused (as the model
        predicted, and without changing the case)."""
        self.step += 1
        before = copy.deepcopy(self.state)
        try:
            events = decision(self.state, NOW + timedelta(days=self.step))
        except (RuleViolation, NotFound):
            assert not allowed, "refused, but the rules allow it"
            assert self.state == before, "a refused command changed the case"
            return None
        assert allowed, "went through, but the rules forbid it"
        self.state = apply_checked(self.state, events)
        self.store(events)
        return events

    def store(self, events: list[NewEvent]) -> None:
        """Fold the events as stored onto the replay so far (a fold is a left fold: the same
        as replaying the whole stream)."""
        self.replayed = aggregate.fold(lambda: self.replayed, domain.evolve,
                                       recorded(events, start_version=self.version + 1))
        self.version += len(events)

    def assurance_ids(self) -> st.SearchStrategy[str]:
        known = sorted(self.model.assurances)
        strangers = st.sampled_from(ASSURANCE_IDS)
        return st.one_of(st.sampled_from(known), strangers) if known else strangers

    def capital_ids(self) -> st.SearchStrategy[tuple[str, ...]]:
        return some_of(sorted(self.model.capital), CHARGE_IDS)

    @initialize(basis=st.sampled_from(BASES), first=charge_lists)
    def open_case(self, basis: str, first: Charges) -> None:
        self.model = Model(basis)
        self.model.take(first)
        opened = domain.take_charges(self.state, submitted(*facts(first), basis=basis), NOW)
        self.state = apply_checked(self.state, opened)
        self.store(opened)

    @rule(charges=charge_lists)
    def amend_charges(self, charges: Charges) -> None:
        self.attempt(True, lambda s, now: domain.take_charges(
            s, replace(amended(*facts(charges)), recorded_at=now), now))
        self.model.take(charges)

    @rule(data=st.data())
    def request_assurance(self, data: st.DataObject) -> None:
        ids = data.draw(self.capital_ids(), label="charge_ids")
        self.attempt(self.model.charges_known(ids),
                     lambda s, now: domain.request_assurance(s, ids, dated(now), None, now))

    @rule(assurance_id=st.sampled_from(ASSURANCE_IDS), scope=scopes, data=st.data())
    def receive_assurance(self, assurance_id: str, scope: tuple[Scope, ...],
                          data: st.DataObject) -> None:
        ids = data.draw(self.capital_ids(), label="charge_ids")
        def received(now: datetime) -> domain.ReceivedAssurance:
            return domain.ReceivedAssurance(assurance_id, scope, ev.DiplomaticNote(
                reference=f"DN-{assurance_id}", issuing_authority="US Embassy",
                issued_on=dated(now)), ids)

        allowed = assurance_id not in self.model.assurances and self.model.charges_known(ids)
        if self.attempt(allowed, lambda s, now: domain.receive_assurance(
                s, received(now), POLICY, now)) is not None:
            self.model.assurances[assurance_id] = ModelAssurance(
                {(cid, self.model.capital[cid][1]) for cid in ids}, "received",
                bool({Scope.NOT_IMPOSED, Scope.NOT_CARRIED_OUT} & set(scope)))

    @rule(accepted=st.booleans(), data=st.data())
    def decide_assurance(self, accepted: bool, data: st.DataObject) -> None:
        assurance_id = data.draw(self.assurance_ids(), label="assurance_id")
        found = self.model.assurances.get(assurance_id)
        allowed = found is not None and found.status == "received" and (
            not accepted or found.scope_ok)
        if self.attempt(allowed, lambda s, now: domain.decide_assurance(
                s, assurance_id, accepted, dated(now), "evaluated", POLICY, now)) is not None:
            assert found is not None
            found.status = "accepted" if accepted else "rejected"

    @rule(data=st.data())
    def withdraw_assurance(self, data: st.DataObject) -> None:
        assurance_id = data.draw(self.assurance_ids(), label="assurance_id")
        found = self.model.assurances.get(assurance_id)
        allowed = found is not None and found.status != "withdrawn"
        if self.attempt(allowed, lambda s, now: domain.withdraw_assurance(
                s, assurance_id, dated(now), "retracted", now)) is not None:
            assert found is not None
            found.status = "withdrawn"

    @rule()
    def record_doj_commitment(self) -> None:
        allowed = self.model.basis == "national_security" and not self.model.doj
        if self.attempt(allowed, lambda s, now: domain.record_doj_commitment(
                s, "DOJ-1", dated(now), "AG", "no death", now)) is not None:
            self.model.doj = True

    @rule(minutes_ago=st.integers(0, 120))
    def note_transfer(self, minutes_ago: int) -> None:
        cleared = self.state.clearance.cleared
        last = self.state.transfer
        at: list[datetime] = []

        def note(state: AssuranceCase, now: datetime) -> list[NewEvent]:
            at.append(now - timedelta(minutes=minutes_ago))
            return domain.note_transfer(state, CASE, at[0], f"t-{self.step}", now)

        events = self.attempt(True, note)
        if last is not None and last.transferred_at == at[0]:
            # The same handoff delivered again (transport's event redelivered): noted once.
            assert events == [], "a custody transfer noted again was recorded twice"
            return
        assert events, "a custody transfer was noted with no event"
        flagged = ev.TRANSFER_WITHOUT_CLEARANCE_FLAGGED in [e.event_type for e in events]
        assert events[0].payload["cleared_at_transfer"] is not flagged
        assert cleared or flagged, "a transfer while not cleared went unflagged"

    @rule()
    def evaluate(self) -> None:
        self.attempt(self.model.cleared(), domain.evaluate)

    @invariant()
    def clearance_is_full_coverage(self) -> None:
        assert set(self.state.capital) == set(self.model.capital)
        assert set(coverage.uncovered_charges(self.state)) == self.model.uncovered()
        assert self.state.clearance.cleared == self.model.cleared(), (
            f"cleared={self.state.clearance.cleared}, "
            f"uncovered={sorted(self.model.uncovered())}")
        if self.state.clearance.cleared:
            assert self.state.clearance.charge_ids == tuple(self.state.capital)

    @invariant()
    def replaying_the_stored_stream_gives_the_same_case(self) -> None:
        assert self.replayed == self.state


# Opening the case is a step too: up to 30 random commands follow it. 600 sequences: the
# 400 + 200 the clearance and the transfer properties ran as two tests before they were one
# machine.
AssuranceCaseMachine.TestCase.settings = settings(max_examples=600, stateful_step_count=31,
                                                  deadline=None)
TestRandomSequencesKeepClearanceEqualToFullCoverage = AssuranceCaseMachine.TestCase
