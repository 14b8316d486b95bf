"""Random command sequences against the pure domain, checked against an independent model.

The model below knows nothing of the domain's code: it follows the product rule directly
(cleared ⇔ every capital charge covered by an accepted assurance given for it as it stands, or
national-security basis with a DOJ commitment, or no capital charge) and predicts which
commands must be refused. After every step the domain must agree with it, no clearance may be
granted while a capital charge is uncovered, and a refused command must change nothing.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.assurance import coverage, domain
from services.assurance import events as ev
from services.assurance.domain import AssuranceCase, ChargeFacts
from services.assurance.events import Scope
from shared import aggregate
from shared.errors import NotFound, RuleViolation
from shared.eventstore import NewEvent

from .helpers import CASE, NOW, POLICY, amended, recorded, submitted

CHARGE_IDS = ("c1", "c2", "c3", "c4")
ASSURANCE_IDS = ("A1", "A2", "A3", "A4", "A5")
BASES = ("treaty", "simplified", "national_security")
ISSUED = date(2025, 7, 1)
DECIDED = date(2025, 7, 15)


# --- commands ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Amend:
    charges: tuple[tuple[str, bool, int], ...]  # (charge id, capital, statute variant)


@dataclass(frozen=True)
class Request:
    charge_ids: tuple[str, ...]


@dataclass(frozen=True)
class Receive:
    assurance_id: str
    charge_ids: tuple[str, ...]
    scope: tuple[Scope, ...]


@dataclass(frozen=True)
class Decide:
    assurance_id: str
    accepted: bool


@dataclass(frozen=True)
class Withdraw:
    assurance_id: str


@dataclass(frozen=True)
class Doj:
    pass


@dataclass(frozen=True)
class Transfer:
    minutes_ago: int


@dataclass(frozen=True)
class Evaluate:
    pass


Command = Amend | Request | Receive | Decide | Withdraw | Doj | Transfer | Evaluate

charge_lists = st.dictionaries(
    st.sampled_from(CHARGE_IDS), st.tuples(st.booleans(), st.integers(0, 1)), max_size=4,
).map(lambda d: tuple((k, capital, variant) for k, (capital, variant) in sorted(d.items())))
scopes = st.lists(st.sampled_from(list(Scope)), min_size=1, max_size=3, unique=True).map(tuple)


def some_of(values: list[str], extra: tuple[str, ...]) -> st.SearchStrategy[tuple[str, ...]]:
    """Mostly ids that exist, sometimes strangers, so both outcomes of a rule get exercised."""
    pool = st.sampled_from(values) if values else st.sampled_from(extra)
    return st.lists(st.one_of(pool, pool, pool, st.sampled_from(extra)), max_size=3,
                    unique=True).map(tuple)


def commands(model: Model) -> st.SearchStrategy[Command]:
    """Commands drawn with the case in view: mostly about its real charges and assurances."""
    capital = sorted(model.capital)
    known = sorted(model.assurances)
    aid = st.one_of(st.sampled_from(known), st.sampled_from(ASSURANCE_IDS)) if known \
        else st.sampled_from(ASSURANCE_IDS)
    return st.one_of(
        charge_lists.map(Amend),
        some_of(capital, CHARGE_IDS).map(Request),
        st.builds(Receive, st.sampled_from(ASSURANCE_IDS), some_of(capital, CHARGE_IDS),
                  scopes),
        st.builds(Decide, aid, st.booleans()),
        st.builds(Decide, aid, st.booleans()),
        aid.map(Withdraw),
        st.just(Doj()),
        st.integers(0, 120).map(Transfer),
        st.just(Evaluate()),
    )


def facts(charges: tuple[tuple[str, bool, int], ...]) -> tuple[ChargeFacts, ...]:
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

    def take(self, charges: tuple[tuple[str, bool, int], ...]) -> None:
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

    def allows(self, command: Command) -> bool:
        """Whether the rules let this command through."""
        match command:
            case Request(ids):
                return bool(ids) and set(ids) <= set(self.capital)
            case Receive(aid, ids, _):
                return aid not in self.assurances and bool(ids) and set(ids) <= set(self.capital)
            case Decide(aid, accepted):
                found = self.assurances.get(aid)
                return found is not None and found.status == "received" and (
                    not accepted or found.scope_ok)
            case Withdraw(aid):
                found = self.assurances.get(aid)
                return found is not None and found.status != "withdrawn"
            case Doj():
                return self.basis == "national_security" and not self.doj
            case Evaluate():
                return self.cleared()
            case _:
                return True

    def apply(self, command: Command) -> None:
        match command:
            case Amend(charges):
                self.take(charges)
            case Receive(aid, ids, scope):
                self.assurances[aid] = ModelAssurance(
                    {(cid, self.capital[cid][1]) for cid in ids}, "received",
                    bool({Scope.NOT_IMPOSED, Scope.NOT_CARRIED_OUT} & set(scope)))
            case Decide(aid, accepted):
                self.assurances[aid].status = "accepted" if accepted else "rejected"
            case Withdraw(aid):
                self.assurances[aid].status = "withdrawn"
            case Doj():
                self.doj = True


# --- running a command against the domain -----------------------------------------------

def decide(state: AssuranceCase, command: Command, step: int) -> list[NewEvent]:
    now = NOW + timedelta(hours=step)
    match command:
        case Amend(charges):
            return domain.take_charges(state, amended(*facts(charges)), now)
        case Request(ids):
            return domain.request_assurance(state, ids, DECIDED, None, now)
        case Receive(aid, ids, scope):
            return domain.receive_assurance(state, domain.ReceivedAssurance(
                aid, scope, ev.DiplomaticNote(reference=f"DN-{aid}",
                                              issuing_authority="US Embassy", issued_on=ISSUED),
                ids), POLICY, now)
        case Decide(aid, accepted):
            return domain.decide_assurance(state, aid, accepted, DECIDED, "evaluated", POLICY,
                                           now)
        case Withdraw(aid):
            return domain.withdraw_assurance(state, aid, DECIDED, "retracted", now)
        case Doj():
            return domain.record_doj_commitment(state, "DOJ-1", DECIDED, "AG", "no death", now)
        case Transfer(minutes):
            return domain.note_transfer(state, CASE, now - timedelta(minutes=minutes),
                                        f"t-{step}", now)
        case Evaluate():
            return domain.evaluate(state, now)
    raise AssertionError(command)


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


def opening(basis: str, first: tuple[tuple[str, bool, int], ...]
            ) -> tuple[Model, list[NewEvent]]:
    """The model, and the new case's events, once intake's request with `first` arrives."""
    model = Model(basis)
    model.take(first)
    return model, domain.take_charges(domain.initial(), submitted(*facts(first), basis=basis),
                                      NOW)


@settings(max_examples=400, deadline=None)
@given(basis=st.sampled_from(BASES), first=charge_lists, steps=st.integers(0, 30),
       data=st.data())
def test_random_sequences_keep_clearance_equal_to_full_coverage(
    basis: str, first: tuple[tuple[str, bool, int], ...], steps: int, data: st.DataObject
) -> None:
    model, history = opening(basis, first)
    state = apply_checked(domain.initial(), history)
    assert state.clearance.cleared == model.cleared()

    for step in range(1, steps + 1):
        command = data.draw(commands(model), label=f"step {step}")
        before = copy.deepcopy(state)
        allowed = model.allows(command)
        try:
            events = decide(state, command, step)
        except (RuleViolation, NotFound):
            assert not allowed, f"{command} was refused but the rules allow it"
            assert state == before, "a refused command changed the case"
            continue
        assert allowed, f"{command} went through but the rules forbid it"
        state = apply_checked(state, events)
        history += events
        model.apply(command)

        assert set(state.capital) == set(model.capital)
        assert set(coverage.uncovered_charges(state)) == model.uncovered()
        assert state.clearance.cleared == model.cleared(), (
            f"after {command}: cleared={state.clearance.cleared}, "
            f"uncovered={sorted(model.uncovered())}")
        if state.clearance.cleared:
            assert state.clearance.charge_ids == tuple(state.capital)

    # Replaying the stored stream gives the same case.
    assert aggregate.fold(domain.initial, domain.evolve, recorded(history)) == state


@settings(max_examples=200, deadline=None)
@given(basis=st.sampled_from(BASES), first=charge_lists, steps=st.integers(0, 20),
       data=st.data())
def test_every_transfer_while_not_cleared_is_flagged(
    basis: str, first: tuple[tuple[str, bool, int], ...], steps: int, data: st.DataObject
) -> None:
    model, opened = opening(basis, first)
    state = domain.preview(domain.initial(), opened)
    for step in range(1, steps + 1):
        command = data.draw(commands(model), label=f"step {step}")
        try:
            events = decide(state, command, step)
        except (RuleViolation, NotFound):
            continue
        model.apply(command)
        if isinstance(command, Transfer) and events:
            flagged = ev.TRANSFER_WITHOUT_CLEARANCE_FLAGGED in [e.event_type for e in events]
            noted = events[0].payload
            assert noted["cleared_at_transfer"] is not flagged
            if not state.clearance.cleared:
                assert flagged
        state = domain.preview(state, events)
