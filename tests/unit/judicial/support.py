"""Building judicial cases in memory: open a case, run clerk commands, fire clocks."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from services.judicial import commands as cmd
from services.judicial.days import Policy
from services.judicial.domain import decide, decide_timer, open_case, replay
from services.judicial.events import CaseOpened, LegalBasis
from services.judicial.state import ClockKind, State, initial
from shared.errors import RuleViolation
from shared.legaltime import DEFAULT_LEGAL_TIMEZONE, zone

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
POLICY = Policy()


def at(day: str, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """An instant on a legal date, at that local time in the legal time zone (in UTC)."""
    local = datetime.combine(date.fromisoformat(day), time(hour, minute, second),
                             zone(DEFAULT_LEGAL_TIMEZONE))
    return local.astimezone(UTC)


def opened(basis: str = "treaty", case_id: str = "RWY-J1") -> State:
    event = CaseOpened(case_id=case_id, opened_at=at("2025-12-01"),
                       legal_basis=LegalBasis(basis), requesting_district="EDNY",
                       charge_ids=("c1", "c2"), intake_event_id="e-1")
    return replay(initial(), open_case(initial(), event))


def run(state: State, *commands: cmd.ClerkCommand, now: datetime = NOW,
        policy: Policy = POLICY) -> State:
    for command in commands:
        state = replay(state, decide(state, command, now, policy))
    return state


def rule_of(state: State, command: cmd.ClerkCommand, now: datetime = NOW,
            policy: Policy = POLICY) -> str:
    with pytest.raises(RuleViolation) as raised:
        decide(state, command, now, policy)
    return raised.value.rule


def fire(state: State, kind: ClockKind, now: datetime) -> State:
    outcome = decide_timer(state, kind, now)
    return replay(state, list(outcome.events))


d = date.fromisoformat


def formal(on: str = "2026-01-05") -> cmd.ReceiveFormalRequest:
    return cmd.ReceiveFormalRequest(received_on=d(on))


def hearing(on: str = "2026-01-10") -> cmd.HoldHearing:
    return cmd.HoldHearing(held_on=d(on))


def opinion(on: str = "2026-02-01", favorable: bool = True) -> cmd.IssueOpinion:
    return cmd.IssueOpinion(issued_on=d(on), favorable=favorable)


def sre(decision: str = "granted", on: str = "2026-02-05",
        notified: str = "2026-02-06") -> cmd.DecideExtradition:
    ground = {"ground": "other"} if decision == "refused" else {}
    return cmd.DecideExtradition.model_validate(
        {"decision": decision, "decided_on": on, "notified_on": notified, **ground})


def amparo(amparo_id: str = "A-1", on: str = "2026-02-10") -> cmd.FileAmparo:
    return cmd.FileAmparo(amparo_id=amparo_id, filed_on=d(on))


def suspension(amparo_id: str = "A-1", on: str = "2026-02-11") -> cmd.GrantAmparoSuspension:
    return cmd.GrantAmparoSuspension(amparo_id=amparo_id, granted_on=d(on))


def ruling(outcome: str = "denied", amparo_id: str = "A-1",
           on: str = "2026-04-01") -> cmd.RuleOnAmparo:
    return cmd.RuleOnAmparo.model_validate(
        {"amparo_id": amparo_id, "outcome": outcome, "ruled_on": on})


def surrender(on: str = "2026-04-10", kind: str = "full",
              reason: str | None = None) -> cmd.OrderSurrender:
    return cmd.OrderSurrender.model_validate({"ordered_on": on, "kind": kind, "reason": reason})


def granted_treaty_case() -> State:
    """A treaty case the SRE granted (notified 2026-02-06; window closes 2026-03-08)."""
    return run(opened(), formal(), hearing(), opinion(), sre())
