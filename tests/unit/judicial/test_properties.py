"""Random sequences of clerk commands, clock ticks and time jumps against the pure domain.

Whatever the order, no sequence may break the judicial rules. The invariants are checked on
the recorded history by an independent walk, not by asking the domain itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from services.judicial import commands as cmd
from services.judicial.days import DayCounting, Policy
from services.judicial.domain import TimerAction, decide, decide_timer, note_charges, open_case
from services.judicial.events import CaseOpened, LegalBasis
from services.judicial.state import ClockKind, State, Status, apply, initial
from services.judicial.view import case_view
from shared.errors import RuleViolation

from .support import at

AMEND = "amend"  # intake's charge amendment (a fact, not a clerk's command)
COMMANDS = ("provisional", "formal", "hearing", "extend", "objections", "consent", "opinion",
            "sre", "amparo", "suspension", "ruling", "appeal", "appeal_ruling", "surrender",
            "placement", "temporary", "ns")
# The step a case on the ordinary path would see next, so that sequences get deep.
NEXT_STEP = {
    Status.OPENED: "formal", Status.PROVISIONAL_DETENTION: "formal",
    Status.FORMAL_REQUEST_RECEIVED: "hearing", Status.HEARING: "opinion",
    Status.CONSENT_GIVEN: "opinion", Status.OPINION_ISSUED: "sre",
    Status.EXTRADITION_GRANTED: "surrender", Status.AMPARO_PENDING: "ruling",
    Status.SURRENDER_DEFERRED: "surrender", Status.SURRENDER_ORDERED: "tick",
}

Action = tuple[str, int, int]  # (what, days back for the act's date, a free choice)

_next = st.tuples(st.just("next"), st.integers(0, 3), st.integers(0, 11))
# The amparo steps in their order, drawn often enough that suits are ruled, appealed and
# decided, before and after a surrender order.
_amparo_steps = st.tuples(st.sampled_from(["amparo", "suspension", "ruling", "appeal",
                                           "appeal_ruling"]),
                          st.integers(0, 3), st.integers(0, 11))
actions = st.one_of(
    st.tuples(st.sampled_from(COMMANDS), st.integers(0, 3), st.integers(0, 11)),
    _next, _next, _amparo_steps,
    st.tuples(st.just("advance"), st.integers(1, 45), st.just(0)),
    st.tuples(st.just("tick"), st.just(0), st.just(0)),
    st.tuples(st.just(AMEND), st.just(0), st.integers(0, 11)),
)

policies = st.builds(
    Policy,
    provisional_clock_stopped_by=st.sets(
        st.sampled_from(["formal_request_received", "hearing_held", "consent_given"]),
        min_size=1).map(frozenset),
    amparo_window_days=st.sampled_from([15, 30]),
    day_counting=st.sampled_from(list(DayCounting)),
)


def build(name: str, back: int, choice: int, now: datetime) -> cmd.ClerkCommand:
    day = now.date() - timedelta(days=back)
    amparo_id = f"A-{choice % 2}"
    kind = ("full", "deferred", "temporary")[choice % 3]
    built: dict[str, Any] = {
        "provisional": lambda: cmd.OrderProvisionalDetention(ordered_on=day),
        "formal": lambda: cmd.ReceiveFormalRequest(received_on=day),
        "hearing": lambda: cmd.HoldHearing(held_on=day),
        "extend": lambda: cmd.ExtendEvidencePeriod(extended_on=day,
                                                   additional_days=choice + 1, reason="r"),
        "objections": lambda: cmd.FileObjections(filed_on=day, summary="s"),
        "consent": lambda: cmd.GiveConsent(given_on=day),
        "opinion": lambda: cmd.IssueOpinion(issued_on=day, favorable=choice % 3 != 0),
        "sre": lambda: cmd.DecideExtradition(decision="refused" if choice == 0 else "granted",
                                             decided_on=day, notified_on=day,
                                             ground="lapse_of_time" if choice == 0 else None),
        "amparo": lambda: cmd.FileAmparo(amparo_id=amparo_id, filed_on=day),
        "suspension": lambda: cmd.GrantAmparoSuspension(amparo_id=amparo_id, granted_on=day),
        "ruling": lambda: cmd.RuleOnAmparo(amparo_id=amparo_id, ruled_on=day,
                                           outcome="granted" if choice % 3 == 0 else "denied"),
        "appeal": lambda: cmd.FileAmparoAppeal(
            amparo_id=amparo_id, filed_on=day,
            appellant="authority" if choice % 4 == 0 else "complainant"),
        "appeal_ruling": lambda: cmd.DecideAmparoAppeal(
            amparo_id=amparo_id, decided_on=day,
            outcome="granted" if choice % 3 == 0 else "denied"),
        "surrender": lambda: cmd.OrderSurrender(
            ordered_on=day, kind=kind, reason="Mexican trial",
            # some orders give the day the person was placed at the US's disposal (the
            # order's or the next); the others may record it later ("placement")
            placed_at_disposal_on=day + timedelta(days=min(choice % 3, back))
            if kind != "deferred" and choice % 4 == 1 else None),
        # odd choices give a reason: a correction when a day is recorded already
        "placement": lambda: cmd.RecordPlacementAtDisposal(
            placed_on=day, correction_reason="misread" if choice % 2 else None),
        "temporary": lambda: cmd.AgreeTemporarySurrender(agreed_on=day,
                                                         return_conditions="after trial"),
        "ns": lambda: cmd.AuthorizeNationalSecurityTransfer(
            authorized_at=now - timedelta(hours=back), us_request_reference="R",
            authority="SSPC"),
    }
    command: cmd.ClerkCommand = built[name]()
    return command


@dataclass
class Run:
    state: State
    now: datetime
    policy: Policy
    history: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    rejected: int = 0

    def record(self, events: Any) -> None:
        for new in events:
            self.state = apply(self.state, new.event_type, new.payload)
            self.history.append((new.event_type.removeprefix("judicial."), new.payload))

    def tick(self) -> None:
        for kind in ClockKind:
            outcome = decide_timer(self.state, kind, self.now)
            if outcome.action is TimerAction.FIRE:
                self.record(outcome.events)

    def step(self, action: Action) -> None:
        what, back, choice = action
        if what == "advance":
            self.now += timedelta(days=back)
            return
        if what == "next":
            what = NEXT_STEP.get(self.state.status, "tick")
        if what == "tick":
            self.tick()
            return
        if what == AMEND:  # drop or keep c1, and add a new count
            kept = ("c1",) if choice % 2 else ()
            self.record(note_charges(self.state, (*kept, f"c{choice + 2}"), "superseding",
                                     self.now))
            return
        before = self.state
        try:
            events = decide(self.state, build(what, back, choice, self.now), self.now,
                            self.policy)
        except RuleViolation:
            self.rejected += 1
            assert self.state is before and self.state == before
            return
        self.record(events)


def play(basis: str, policy: Policy, steps: list[Action]) -> Run:
    run = Run(initial(), at("2026-01-01", 9), policy)
    run.record(open_case(initial(), CaseOpened(
        case_id="RWY-P1", opened_at=at("2025-12-01"), legal_basis=LegalBasis(basis),
        requesting_district="SDCA", charge_ids=("c1",), intake_event_id="e-1")))
    for action in steps:
        run.step(action)
    return run


# --- invariants, on the history ---------------------------------------------------------------

def check_decision_order(basis: str, history: list[tuple[str, dict[str, Any]]]) -> None:
    seen: set[str] = set()
    for name, _ in history:
        if name.startswith("sre_extradition"):
            if basis == "treaty":
                assert "judge_opinion_issued" in seen, "SRE decided before the opinion"
            else:
                assert seen & {"judge_opinion_issued", "consent_given"}
        seen.add(name)


def holding(history: list[tuple[str, dict[str, Any]]]) -> tuple[dict[str, str], dict[str, str]]:
    """The suits whose suspension is recorded as holding the person, and those whose grant
    holds the order, each with the day its hold began, after `history`: a suspension holds
    until the suit is granted (the act annulled instead) or its end is recorded
    (`amparo_suspension_lifted`: the denial final); a grant holds until reversed on appeal
    or the SRE decides again."""
    suspended: dict[str, str] = {}
    granted: dict[str, str] = {}
    for name, payload in history:
        amparo = payload.get("amparo_id", "")
        if name == "sre_extradition_granted":
            suspended, granted = {}, {}
        elif name == "amparo_suspension_granted":
            suspended[amparo] = payload["granted_on"]
        elif name == "amparo_suspension_reinstated":
            suspended[amparo] = payload["lifted_on"]  # it never ended
        elif name == "amparo_suspension_lifted" or name == "amparo_granted" or (
                name == "amparo_appeal_decided" and payload["outcome"] == "granted"):
            suspended.pop(amparo, None)
            if name != "amparo_suspension_lifted":
                granted[amparo] = payload.get("ruled_on") or payload["decided_on"]
        elif name == "amparo_appeal_decided":
            granted.pop(amparo, None)
        elif name == "basis_changed":
            suspended = {}
    return suspended, granted


def check_amparo_block(history: list[tuple[str, dict[str, Any]]]) -> None:
    pending: set[str] = set()
    window_over = False
    for i, (name, payload) in enumerate(history):
        if name == "sre_extradition_granted":
            # A new decision (after a final grant annulled the first) opens its own window;
            # suits against the first lost their object, as `holding` reads their holds.
            pending, window_over = set(), False
        elif name == "amparo_filed":
            pending.add(payload["amparo_id"])  # the window stays open until its due date
        elif name in ("amparo_denied", "amparo_granted"):
            pending.discard(payload["amparo_id"])
        elif name == "amparo_window_closed":
            window_over = True
        elif name == "surrender_ordered":
            # As recorded: the order records first the end of a suspension whose denial is
            # final by its date, so none is recorded as holding.
            suspended, granted = holding(history[:i])
            assert not suspended, "surrender ordered while a suspension is active"
            assert not granted, "surrender ordered while a grant annuls it"
            assert not pending, "surrender ordered while an amparo is pending"
            assert window_over, "surrender ordered while the amparo window is open"


def check_specialty(history: list[tuple[str, dict[str, Any]]]) -> None:
    """Surrender (and the bar after an expired pickup) covers exactly what the SRE granted,
    whatever intake amended after the grant."""
    granted: list[str] | None = None
    for name, payload in history:
        if name == "sre_extradition_granted":
            granted = payload["granted_charge_ids"]
        elif name == "surrender_ordered":
            assert payload["granted_charge_ids"] == granted, "surrender widened the grant"
        elif name == "pickup_window_expired":
            assert payload["barred_charge_ids"] == granted


def check_pickup_pause(history: list[tuple[str, dict[str, Any]]]) -> None:
    """The pickup window never runs out while a suspension or a grant dated before it ran
    out holds the order (a later one comes too late: a placement day corrected to an earlier
    one can close the window before a hold began)."""
    for i, (name, payload) in enumerate(history):
        if name == "pickup_window_expired":
            suspended, granted = holding(history[:i])
            assert all(day >= payload["deadline_on"] for day in suspended.values()), \
                "pickup window expired during an amparo suspension"
            assert all(day >= payload["deadline_on"] for day in granted.values()), \
                "pickup window expired while a grant held the order"


EXPIRY_VOIDS = {"pickup_expiry_voided", "pickup_expiry_voided_by_appeal",
                "pickup_expiry_voided_by_earlier_act"}


def check_shape(basis: str, history: list[tuple[str, dict[str, Any]]]) -> None:
    # Intake's amendments are facts noted whatever the case's state (even after release).
    names = [name for name, _ in history if name != "charges_amendment_noted"]
    if basis == "national_security":
        assert set(names) <= {"case_opened", "national_security_transfer_authorized"}
    # A release closes the case, except the release from a lapsed provisional detention, and
    # one a later act entered late showed void (its expiry did not hold in law).
    acts = [(n, p) for n, p in history if n != "charges_amendment_noted"]
    closing = [i for i, (name, payload) in enumerate(acts)
               if name == "released_from_custody"
               and payload["reason"] != "provisional_detention_lapsed"
               and not any(later in EXPIRY_VOIDS for later, _ in acts[i + 1:])]
    if closing:
        assert closing[0] == len(names) - 1, "something happened after release"
    for once in ("judge_opinion_issued", "hearing_held", "formal_request_received"):
        assert names.count(once) <= 1
    # The SRE decides again only after an amparo against its decision was granted (at first
    # instance or on appeal), and each of its grants leads to one surrender order at most.
    decisions = [n for n in names if n.startswith("sre_extradition_")]
    reversals = sum(1 for name, payload in history
                    if name == "amparo_appeal_decided" and payload["outcome"] == "granted")
    assert len(decisions) <= 1 + names.count("amparo_granted") + reversals
    assert names.count("surrender_ordered") <= max(names.count("sre_extradition_granted"), 1)
    if "pickup_window_expired" in names:
        assert names.index("surrender_ordered") < names.index("pickup_window_expired")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(basis=st.sampled_from(["treaty", "simplified", "national_security"]),
       policy=policies, steps=st.lists(actions, min_size=25, max_size=100))
def test_no_sequence_breaks_the_judicial_rules(basis: str, policy: Policy,
                                               steps: list[Action]) -> None:
    run = play(basis, policy, steps)
    event(f"{basis}: {run.state.status.value}")
    check_decision_order(basis, run.history)
    check_amparo_block(run.history)
    check_specialty(run.history)
    check_pickup_pause(run.history)
    check_shape(basis, run.history)
    # The fold is deterministic: replaying the history gives the same case.
    replayed = initial()
    for name, payload in run.history:
        replayed = apply(replayed, f"judicial.{name}", payload)
    assert replayed == run.state
    json.dumps(case_view(run.state))


@settings(max_examples=200, deadline=None)
@given(basis=st.sampled_from(["treaty", "simplified", "national_security"]),
       steps=st.lists(actions, max_size=40), probe=actions)
def test_a_rejected_command_leaves_the_case_unchanged(basis: str, steps: list[Action],
                                                      probe: Action) -> None:
    run = play(basis, Policy(), steps)
    what, back, choice = probe
    if what not in COMMANDS:
        return
    before, snapshot = run.state, case_view(run.state)
    try:
        decide(run.state, build(what, back, choice, run.now), run.now, run.policy)
    except RuleViolation:
        assert run.state is before and case_view(run.state) == snapshot


# Suits against a surrender order's execution: from an order, any mix of suits (filed, most
# with a suspension, ruled), appeals (filed, decided), clock ticks, time passing, the SRE
# deciding again and a new order. Choices 1, 3, 5, 7 name suit A-1; 3 rules it granted.
ORDERED = [("next", 0, 1)] * 4 + [("advance", 50, 0), ("tick", 0, 0), ("surrender", 0, 0)]
_after_order = st.tuples(st.sampled_from(["suit", "appealed", "advance", "tick", "sre",
                                          "surrender", "placement"]),
                         st.integers(0, 3), st.sampled_from([1, 3, 5, 7]))


def unfold(action: Action) -> list[Action]:
    what, back, choice = action
    if what == "suit":
        held = [("suspension", back, choice)] if choice > 3 else []  # 3: granted, unsuspended
        return [("amparo", back, choice), *held, ("advance", choice, 0), ("ruling", 0, choice)]
    if what == "appealed":
        return [("appeal", back, choice), ("advance", 2 * choice, 0), ("appeal_ruling", 0, choice)]
    return [("advance", 5 * choice, 0)] if what == "advance" else [action]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(_after_order, min_size=3, max_size=25))
def test_suits_against_an_order_never_let_its_window_run_out_while_they_hold(
    steps: list[Action]
) -> None:
    run = play("treaty", Policy(), [*ORDERED, *(step for a in steps for step in unfold(a))])
    names = [name for name, _ in run.history]
    assert "surrender_ordered" in names
    event("appeal decided" if "amparo_appeal_decided" in names else "no appeal decided")
    event("ordered again" if names.count("surrender_ordered") > 1 else "one order")
    event("expired" if "pickup_window_expired" in names else "not expired")
    check_amparo_block(run.history)
    check_pickup_pause(run.history)
    check_shape("treaty", run.history)
    replayed = initial()
    for name, payload in run.history:
        replayed = apply(replayed, f"judicial.{name}", payload)
    assert replayed == run.state
    json.dumps(case_view(run.state))
