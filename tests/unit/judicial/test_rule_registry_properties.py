"""The case view's `surrender_blocked_by` and the domain's refusal of a surrender order are the
same rules, in every reachable state, and both agree with the law read off the recorded
history by an independent walk (so dropping a rule from the gate fails here: the view and
the domain would still agree with each other, but not with the history).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from services.judicial import commands as cmd
from services.judicial.days import Policy
from services.judicial.domain import decide, open_case
from services.judicial.events import CaseOpened, LegalBasis
from services.judicial.rules import SURRENDER
from services.judicial.state import initial
from services.judicial.view import case_view
from shared.errors import RuleViolation

from .support import at
from .test_properties import Action, Run, actions, policies

GATE_IDS = {rule.id for rule in SURRENDER.rules}
# The ordinary path gets deep through "next"; amparo suits are drawn often (two file
# numbers), most with a suspension, so suspensions, pending suits and rulings inside and after
# the window are common.
_next = st.tuples(st.just("next"), st.integers(0, 1), st.integers(1, 11))
_amparo = st.tuples(st.sampled_from(["suit", "suit", "suspension", "ruling", "appeal",
                                     "appeal_ruling"]), st.just(0),
                    st.integers(0, 5))
steps_strategy = st.one_of(actions, _next, _amparo, _amparo,
                           st.tuples(st.just("advance"), st.integers(1, 8), st.just(0)))


def expand(action: Action) -> list[Action]:
    """A "suit" is an amparo filed, then (for most choices) its suspension granted."""
    what, back, choice = action
    if what != "suit":
        return [action]
    return [("amparo", back, choice)] + ([("suspension", back, choice)] if choice > 1 else [])


History = list[tuple[str, dict[str, Any]]]


def surrender_refusal(run: Run, today: date) -> RuleViolation | None:
    order = cmd.OrderSurrender(ordered_on=today, kind="full")
    try:
        decide(run.state, order, run.now, run.policy)
    except RuleViolation as refused:
        return refused
    return None


def refused_with(refusal: RuleViolation) -> set[str]:
    """The rules a refusal names: the one it is refused under and those it says also hold."""
    also = re.search(r"\(also held back by: ([a-z_, ]+)\)$", refusal.message)
    return {refusal.rule, *(also.group(1).split(", ") if also else ())}


def amparo_holds(history: History, today: date) -> set[str]:
    """The amparo rules holding a surrender back on `today`, read from the events alone."""
    window_due: date | None = None
    pending: set[str] = set()
    # Suspensions in force: until the day the denial is final (None: no denial yet).
    suspended: dict[str, date | None] = {}
    appealable: dict[str, date | None] = {}  # ruled suits: the day their ruling is final
    granted: set[str] = set()
    for name, payload in history:
        amparo = payload.get("amparo_id", "")
        if name == "sre_extradition_granted":  # a (new) decision: its own window and suits
            window_due = date.fromisoformat(payload["amparo_window_closes_on"])
            pending, suspended, appealable, granted = set(), {}, {}, set()
        elif name == "sre_extradition_refused":  # decided again after a final grant: the
            # suits against the annulled grant lost their object, and the case is closed
            window_due, pending, suspended, appealable, granted = None, set(), {}, {}, set()
        elif name == "amparo_filed":
            pending.add(amparo)
        elif name == "amparo_suspension_granted":
            suspended[amparo] = None
        elif name == "amparo_suspension_lifted":
            suspended.pop(amparo, None)
        elif name in ("amparo_denied", "amparo_granted"):
            pending.discard(amparo)
            closes = payload.get("appeal_period_closes_on")
            appealable[amparo] = None if closes is None else date.fromisoformat(closes)
            if name == "amparo_granted":  # the act it suspended is annulled instead
                suspended.pop(amparo, None)
                granted.add(amparo)
            elif amparo in suspended:  # held until the denial is final
                suspended[amparo] = appealable[amparo]
        elif name == "amparo_appeal_filed":  # final only once decided
            appealable[amparo] = date.max
            if amparo in suspended:
                suspended[amparo] = date.max
        elif name == "amparo_appeal_decided":
            appealable[amparo] = date.fromisoformat(payload["decided_on"])
            if payload["outcome"] == "granted":
                suspended.pop(amparo, None)
                granted.add(amparo)
            else:
                granted.discard(amparo)
    holds = {"amparo_suspension_active": any(final is None or today < final
                                             for final in suspended.values()),
             "amparo_pending": bool(pending),
             "amparo_window_open": window_due is not None and today < window_due,
             "amparo_not_final": any(final is not None and today < final
                                     for final in appealable.values()),
             "amparo_granted": bool(granted)}
    return {rule for rule, held in holds.items() if held}


def lawful_surrender(basis: str, history: History, today: date) -> bool:
    """May a full surrender be ordered on `today`? Read from the events alone: the SRE granted,
    no amparo rule holds it, nobody was released (a release from a lapsed provisional
    detention leaves the case open), no order was made yet."""
    names = {name for name, _ in history}
    closed = any(name == "released_from_custody"
                 and payload["reason"] != "provisional_detention_lapsed"
                 for name, payload in history)
    return (basis != "national_security" and "sre_extradition_granted" in names
            and not closed and "surrender_ordered" not in names
            and not amparo_holds(history, today))


def check(run: Run, basis: str) -> str:
    today = run.now.date()
    blocked = case_view(run.state, today)["surrender_blocked_by"]
    assert blocked == [r for r in blocked if r in GATE_IDS] and len(set(blocked)) == len(blocked)
    refusal = surrender_refusal(run, today)
    lawful = lawful_surrender(basis, run.history, today)
    assert {r for r in blocked if r.startswith("amparo_")} == amparo_holds(run.history, today)
    if blocked:
        assert refusal is not None, f"view says {blocked} but the domain accepts the order"
        assert refusal.rule == blocked[0]
        assert refused_with(refusal) == set(blocked), (refusal.message, blocked)
        assert not lawful, f"the history allows surrender on {today}, the gate says {blocked}"
        return "blocked"
    # Nothing in the gate holds it: accepted, or refused only by a rule of the command itself
    # (its date), never by a state rule the view failed to list.
    assert refusal is None or refusal.rule not in GATE_IDS, refusal
    assert lawful, f"the gate lets a surrender through on {today} that the history forbids"
    return "accepted" if refusal is None else f"refused by {refusal.rule}"


def start(basis: str, policy: Policy) -> Run:
    run = Run(initial(), at("2026-01-01", 9), policy)
    run.record(open_case(initial(), CaseOpened(
        case_id="RWY-G1", opened_at=at("2025-12-01"), legal_basis=LegalBasis(basis),
        requesting_district="SDCA", charge_ids=("c1",), intake_event_id="e-1")))
    return run


GRANT = [("formal", 0, 1), ("advance", 1, 0), ("hearing", 0, 1), ("advance", 1, 0),
         ("opinion", 0, 1), ("advance", 1, 0), ("sre", 0, 1)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(basis=st.sampled_from(["treaty", "treaty", "simplified", "national_security"]),
       policy=policies, granted_first=st.booleans(),
       steps=st.lists(steps_strategy, min_size=10, max_size=80), hour=st.integers(0, 23))
def test_the_view_lists_exactly_the_rules_the_domain_refuses_a_surrender_with(
        basis: str, policy: Policy, granted_first: bool, steps: list[Action],
        hour: int) -> None:
    run = start(basis, policy)
    run.now = run.now.replace(hour=hour)
    outcomes = {check(run, basis)}
    for action in (GRANT if granted_first else []) + steps:
        for step in expand(action):
            run.step(step)
            outcomes.add(check(run, basis))
    for outcome in sorted(outcomes):
        event(outcome)
    event(f"suspension seen: {any(name == 'amparo_suspension_granted' for name, _ in run.history)}")


def test_the_window_reads_the_calendar_not_the_scheduler() -> None:
    """On the window's due date, before the scheduler has recorded the closing, the view and
    the domain both say the window is closed; the day before, both say it is open."""
    run = start("treaty", Policy())
    for what in ("formal", "hearing", "opinion"):
        run.step((what, 0, 1))
        run.now += timedelta(days=1)
    run.step(("sre", 0, 1))
    due = date.fromisoformat(run.history[-1][1]["amparo_window_closes_on"])
    run.now = datetime.combine(due - timedelta(days=1), run.now.timetz())
    assert check(run, "treaty") == "blocked"
    assert case_view(run.state, run.now.date())["surrender_blocked_by"] == ["amparo_window_open"]
    run.now += timedelta(days=1)
    assert run.state.amparo_window_closed is False  # the scheduler has not run
    assert check(run, "treaty") == "accepted"


def test_a_provisional_release_leaves_a_surrender_lawful() -> None:
    """Found by the property above (review s14): the provisional clock stopped only by
    consent, so a later step records the lapse and its release; the case stays open, and
    once the amparo window has closed the view, the domain and the history agree that a
    surrender may be ordered."""
    policy = Policy(provisional_clock_stopped_by=frozenset({"consent_given"}),
                    amparo_window_days=15)
    run = start("treaty", policy)
    run.now = run.now.replace(hour=6)
    outcomes = set()
    for step in [("provisional", 0, 0), ("next", 0, 0), ("next", 0, 0), ("next", 0, 0),
                 ("advance", 19, 0), ("next", 0, 1), ("next", 0, 0), ("next", 0, 0),
                 ("advance", 41, 0), ("temporary", 0, 0)]:
        run.step(step)
        outcomes.add(check(run, "treaty"))
    assert any(name == "released_from_custody" for name, _ in run.history)
    assert "accepted" in outcomes
