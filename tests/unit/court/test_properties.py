"""Random command sequences against the pure domain, checked against an independent model.

The model below knows nothing of the domain's code: it follows the rules directly (steps in
order; on the treaty and simplified bases only charges Mexico granted or consented to may be
arraigned, superseding counts outside the grant are blocked until consent; on the
national-security basis nothing is blocked; a temporary surrender falls due for return when the
proceedings end) and predicts which commands must be refused. After every step the domain must
agree with it, and a refused command must change nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.court import arrival, domain, specialty
from services.court import events as ev
from services.court.domain import CourtCase
from services.court.events import LegalBasis, Plea
from shared import aggregate
from shared.errors import RuleViolation
from shared.eventstore import NewEvent
from shared.legaltime import legal_date

from .helpers import (
    LANDED,
    NOW,
    POLICY,
    landing,
    ns_authorization,
    recorded,
    request,
    sre_grant,
    surrender_order,
    text,
)

CHARGE_IDS = ("c1", "c2", "c3", "c4", "c5", "c6")
BASES = tuple(LegalBasis)


# --- commands ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Docket:
    pass


@dataclass(frozen=True)
class Appear:
    hours: int


@dataclass(frozen=True)
class Detain:
    released: bool


@dataclass(frozen=True)
class Arraign:
    charge_ids: tuple[str, ...]


@dataclass(frozen=True)
class Supersede:
    charge_ids: tuple[str, ...]


@dataclass(frozen=True)
class RequestConsent:
    charge_ids: tuple[str, ...]


@dataclass(frozen=True)
class DecideConsent:
    granted: bool
    charge_ids: tuple[str, ...]


@dataclass(frozen=True)
class End:
    pass


Command = (Docket | Appear | Detain | Arraign | Supersede | RequestConsent | DecideConsent
           | End)

def some_of(known: set[str]) -> st.SearchStrategy[tuple[str, ...]]:
    """Mostly charges the case has, sometimes strangers, rarely none: so that both outcomes
    of every rule get exercised."""
    pool = st.sampled_from(sorted(known)) if known else st.sampled_from(CHARGE_IDS)
    ids = st.one_of(pool, pool, pool, pool, pool, pool, pool, st.sampled_from(CHARGE_IDS))
    return st.one_of(st.lists(ids, min_size=1, max_size=3, unique=True),
                     st.lists(ids, max_size=1)).map(tuple)


# Ending the proceedings is rare, since nothing can follow it.
KINDS = ("docket", "appear", "detain", "arraign", "arraign", "arraign", "arraign",
         "supersede", "supersede", "request", "request", "decide", "decide", "decide",
         "docket", "appear", "detain", "arraign", "request", "decide", "end")


OPENINGS: tuple[tuple[Command, ...], ...] = (
    (), (Docket(), Appear(20)), (Docket(), Appear(30), Detain(False)),
    (Appear(50), Detain(True), Docket()), (Appear(50), Detain(True), Docket()))


def commands(model: Model, kind: str) -> st.SearchStrategy[Command]:
    """A command of this kind, drawn with the case in view."""
    awaiting = {c for c in model.charges if not model.may_try(c)}
    asked = {c for c, s in model.consent.items() if s == "requested"}
    match kind:
        case "docket":
            return st.just(Docket())
        case "appear":
            return st.integers(0, 60).map(Appear)
        case "detain":
            return st.booleans().map(Detain)
        case "arraign":
            return some_of(model.charges).map(Arraign)
        case "supersede":
            return some_of(set(CHARGE_IDS)).map(Supersede)
        case "request":
            return some_of(awaiting or model.charges).map(RequestConsent)
        case "decide":
            return st.builds(DecideConsent, st.booleans(), some_of(asked or model.charges))
    return st.just(End())


# --- the independent model --------------------------------------------------------------

@dataclass
class Model:
    basis: LegalBasis
    charges: set[str]
    granted: set[str]
    temporary: bool
    consent: dict[str, str] = field(default_factory=dict)
    flagged: set[str] = field(default_factory=set)
    arraigned: set[str] = field(default_factory=set)
    docket: bool = False
    appeared: bool = False
    detained: bool = False
    ended: bool = False

    @property
    def binding(self) -> bool:
        return self.basis is not LegalBasis.NATIONAL_SECURITY

    def may_try(self, charge_id: str) -> bool:
        return charge_id in self.charges and (
            not self.binding or charge_id in self.granted
            or self.consent.get(charge_id) == "granted")

    def allows(self, command: Command) -> bool:
        if self.ended:
            return False
        match command:
            case Docket():
                return not self.docket
            case Appear():
                return not self.appeared
            case Detain():
                return self.appeared and not self.detained
            case Arraign(ids):
                return (self.appeared and self.detained and self.docket and bool(ids)
                        and all(self.may_try(c) for c in ids)
                        and not set(ids) & self.arraigned)
            case Supersede(ids):
                return bool(ids)
            case RequestConsent(ids):
                return (bool(ids) and set(ids) <= self.charges and self.binding
                        and not any(self.may_try(c) for c in ids)
                        and all(self.consent.get(c) != "requested" for c in ids))
            case DecideConsent(_, ids):
                return bool(ids) and all(self.consent.get(c) == "requested" for c in ids)
        return True

    def apply(self, command: Command) -> None:
        match command:
            case Docket():
                self.docket = True
            case Appear():
                self.appeared = True
            case Detain():
                self.detained = True
            case Arraign(ids):
                self.arraigned |= set(ids)
            case Supersede(ids):
                self.charges |= set(ids)
                if self.binding:
                    self.flagged |= {c for c in ids if not self.may_try(c)}
            case RequestConsent(ids):
                self.consent.update(dict.fromkeys(ids, "requested"))
            case DecideConsent(granted, ids):
                self.consent.update(dict.fromkeys(ids, "granted" if granted else "refused"))
            case End():
                self.ended = True


# --- running a command against the domain -----------------------------------------------

def decide(state: CourtCase, command: Command, step: int) -> list[NewEvent]:
    now = NOW + timedelta(hours=step)
    today = legal_date(now)  # the day the domain judges "today" on
    match command:
        case Docket():
            return domain.assign_docket(state, f"1:25-cr-{step}", now)
        case Appear(hours):
            return domain.hold_initial_appearance(state, LANDED + timedelta(hours=hours),
                                                  "Judge", now, POLICY)
        case Detain(released):
            return domain.decide_detention(
                state, "released_on_conditions" if released else "detained", today,
                "GPS monitor" if released else None, now)
        case Arraign(ids):
            return domain.arraign(state, today, Plea.NOT_GUILTY, ids, now)
        case Supersede(ids):
            return domain.file_superseding_indictment(state, today, [text(c) for c in ids],
                                                      now)
        case RequestConsent(ids):
            return domain.request_consent(state, ids, today, None, now)
        case DecideConsent(granted, ids):
            return domain.decide_consent(state, granted, ids, today, "SRE note", now)
        case End():
            return domain.end_proceedings(state, today, "convicted", now, POLICY)
    raise AssertionError(command)


def landed_case(basis: LegalBasis, charges: tuple[str, ...], granted: tuple[str, ...],
                temporary: bool) -> tuple[CourtCase, list[NewEvent]]:
    state = domain.initial()
    history: list[NewEvent] = []
    inputs: list[Callable[[CourtCase], list[NewEvent]]] = [
        lambda s: arrival.note_request(s, request(*charges, basis=basis), NOW)]
    if basis is LegalBasis.NATIONAL_SECURITY:
        inputs.append(lambda s: arrival.note_terms(s, ns_authorization(), NOW))
    else:
        inputs.append(lambda s: arrival.note_terms(s, surrender_order(
            *granted, kind="temporary" if temporary else "full", basis=basis), NOW))
    inputs.append(lambda s: arrival.open_intake(s, landing()))
    for decision in inputs:
        events = decision(state)
        state = domain.preview(state, events)
        history += events
    return state, history


@settings(max_examples=400, deadline=None)
@given(basis=st.sampled_from(BASES),
       charges=st.lists(st.sampled_from(CHARGE_IDS[:4]), min_size=1, max_size=4, unique=True),
       temporary=st.booleans(), steps=st.integers(0, 30), data=st.data())
def test_random_sequences_never_try_a_charge_outside_the_grant_or_consent(
    basis: LegalBasis, charges: list[str], temporary: bool, steps: int, data: st.DataObject
) -> None:
    granted = tuple(data.draw(st.lists(st.sampled_from(charges), unique=True), label="granted"))
    temporary = temporary and basis is not LegalBasis.NATIONAL_SECURITY
    state, history = landed_case(basis, tuple(charges), granted, temporary)
    model = Model(basis, set(charges), set(granted if model_binding(basis) else charges),
                  temporary)
    assert state.intake is not None
    assert state.intake.specialty_defence_available is model.binding

    # Most cases get through the first steps, so that arraignments are exercised often.
    opening = data.draw(st.sampled_from(OPENINGS), label="opening")
    for step in range(1, len(opening) + steps + 1):
        if step <= len(opening):
            command = opening[step - 1]
        else:
            kind = data.draw(st.sampled_from(KINDS), label=f"step {step}")
            command = data.draw(commands(model, kind), label=f"step {step} command")
        before = copy.deepcopy(state)
        allowed = model.allows(command)
        try:
            events = decide(state, command, step)
        except RuleViolation as error:
            assert not allowed, f"{command} was refused ({error}) but the rules allow it"
            assert state == before, "a refused command changed the case"
            continue
        assert allowed, f"{command} went through but the rules forbid it"
        check_events(state, model, command, events)
        state = domain.preview(state, events)
        history += events
        model.apply(command)

        assert set(state.charges) == model.charges
        assert state.arraigned_charge_ids == model.arraigned
        assert set(specialty.blocked_charge_ids(state)) == \
            {c for c in model.charges if not model.may_try(c)}

    assert aggregate.fold(domain.initial, domain.evolve, recorded(history)) == state


def model_binding(basis: LegalBasis) -> bool:
    return basis is not LegalBasis.NATIONAL_SECURITY


def check_events(state: CourtCase, model: Model, command: Command,
                 events: list[NewEvent]) -> None:
    """The invariants, on the events a command decided (before the model applies it)."""
    for event in events:
        if event.event_type == ev.ARRAIGNED and model.binding:
            lawful = model.granted | {c for c, s in model.consent.items() if s == "granted"}
            assert set(event.payload["charge_ids"]) <= lawful, "tried outside the grant"
        if event.event_type == ev.SPECIALTY_VIOLATION_BLOCKED:
            assert model.binding, "a block on the national-security basis"
            assert not set(event.payload["charge_ids"]) & model.granted
    returned = ev.RETURN_TO_MEXICO_DUE in [e.event_type for e in events]
    if isinstance(command, End):
        assert returned is model.temporary, "return obligation not recorded iff temporary"
        assert state.intake is not None and state.intake.return_obligation is model.temporary
    else:
        assert not returned


@settings(max_examples=200, deadline=None)
@given(order=st.permutations(["request", "grant", "order", "authorization", "landing"]),
       basis=st.sampled_from(BASES))
def test_a_landing_opens_the_intake_only_once_the_court_knows_the_charges(
    order: list[str], basis: LegalBasis
) -> None:
    """Inputs from three topics arrive in any order; a refused landing is retried at the end
    (as the consumer would) and then opens the intake with the granted charges."""
    inputs = {
        "request": lambda s: arrival.note_request(s, request("c1", "c2", basis=basis), NOW),
        "grant": lambda s: [] if basis is LegalBasis.NATIONAL_SECURITY
        else arrival.note_terms(s, sre_grant("c1"), NOW),
        "order": lambda s: [] if basis is LegalBasis.NATIONAL_SECURITY
        else arrival.note_terms(s, surrender_order("c1", basis=basis), NOW),
        "authorization": lambda s: arrival.note_terms(s, ns_authorization(), NOW)
        if basis is LegalBasis.NATIONAL_SECURITY else [],
        "landing": lambda s: arrival.open_intake(s, landing()),
    }
    state = domain.initial()
    seen: set[str] = set()
    retry = False
    for name in order:
        before = copy.deepcopy(state)
        try:
            state = domain.preview(state, inputs[name](state))
        except RuleViolation as error:
            assert name == "landing"
            assert "request" not in seen or (
                basis is not LegalBasis.NATIONAL_SECURITY and "order" not in seen), error
            assert state == before
            retry = True
        seen.add(name)
    if retry:
        state = domain.preview(state, inputs["landing"](state))
    assert state.intake is not None
    expected = ("c1", "c2") if basis is LegalBasis.NATIONAL_SECURITY else ("c1",)
    assert state.intake.granted_charge_ids == expected
