"""A treaty case overtaken by a national-security transfer (issue 14; Rafael Caro Quintero,
27 Feb 2025, with amparo proceedings pending): an explicit, attributed act that keeps the
earlier proceedings, stops every clock and records the suspensions in force as overtaken."""

from __future__ import annotations

from datetime import UTC, datetime

from services.judicial import commands as cmd
from services.judicial.days import Policy
from services.judicial.domain import TimerAction, decide, decide_timer
from services.judicial.state import ClockKind, State, Status
from services.judicial.view import case_view

from .support import amparo, at, d, granted_treaty_case, rule_of, run, suspension

LATE = at("2026-12-01", 12)


def change(on: str = "2026-02-20") -> cmd.ChangeBasis:
    return cmd.ChangeBasis(changed_on=d(on), to_basis="national_security",
                           reason="transfer under the National Security Law",
                           authority="Security Cabinet")


def suspended() -> State:
    return run(granted_treaty_case(), amparo(), suspension(), now=LATE)


def test_the_change_is_recorded_with_what_it_stopped_and_overtook() -> None:
    [changed] = decide(suspended(), change(), LATE, Policy())
    assert changed.event_type == "judicial.basis_changed"
    assert changed.payload["from_basis"] == "treaty"
    assert changed.payload["to_basis"] == "national_security"
    assert changed.payload["stopped_clocks"] == ["amparo_window"]
    assert changed.payload["overtaken_suspensions"] == ["A-1"]
    assert changed.payload["authority"] == "Security Cabinet"


def test_after_the_change_no_clock_runs_and_the_transfer_may_be_authorized() -> None:
    case = run(suspended(), change(), now=LATE)
    assert case.national_security and case.running_clocks() == ()
    assert case.active_suspensions == ()
    assert decide_timer(case, ClockKind.AMPARO_WINDOW, at("2026-06-01")).action \
        is TimerAction.CANCEL
    # The earlier proceedings stay in the record.
    assert [a.amparo_id for a in case.amparos] == ["A-1"] and case.sre is not None
    view = case_view(case)
    assert "amparo_filed" in [s["step"] for s in view["steps"]]
    assert view["legal_basis"] == "national_security"
    authorized = run(case, cmd.AuthorizeNationalSecurityTransfer(
        authorized_at=datetime(2026, 2, 27, 9, tzinfo=UTC), us_request_reference="DOJ-1",
        authority="SSPC"), now=LATE)
    assert authorized.status is Status.TRANSFER_AUTHORIZED
    # Judicial steps are now the national-security path's: none.
    assert rule_of(case, amparo("A-2", "2026-02-21"), now=LATE) \
        == "national_security_has_no_judicial_steps"


def test_the_change_happens_once_and_not_after_a_surrender_order() -> None:
    case = run(suspended(), change(), now=LATE)
    assert rule_of(case, change("2026-02-21"), now=LATE) == "basis_change_not_allowed"
    assert rule_of(granted_treaty_case(), change("2026-02-01"), now=LATE) == "date_out_of_order"
