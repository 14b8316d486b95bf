"""An amparo against a surrender order's execution that is granted (Amparo Law arts. 77, 81,
86; domain brief, corrections: "a granted amparo sends the matter back"): the grant holds the
order while it can be reversed (the pickup window pauses), a reversal on appeal resumes the
window, and a final grant sends the matter back to the SRE, whose new grant leads to a new
order with its own window."""

from __future__ import annotations

from services.judicial import commands as cmd
from services.judicial.domain import TimerAction, decide, decide_timer
from services.judicial.state import ClockKind, State, Status

from .support import (
    POLICY,
    amparo,
    at,
    d,
    fire,
    granted_treaty_case,
    rule_of,
    ruling,
    run,
    sre,
    surrender,
    suspension,
)

LATE = at("2026-12-01", 12)


def ordered() -> State:
    """Surrender ordered Fri 10 Apr 2026: the pickup window's first closed day is 10 Jun."""
    return run(fire(granted_treaty_case(), ClockKind.AMPARO_WINDOW, at("2026-03-24")),
               surrender("2026-04-10"), now=LATE)


def appeal(on: str = "2026-05-05") -> cmd.FileAmparoAppeal:
    return cmd.FileAmparoAppeal.model_validate(
        {"amparo_id": "X-1", "filed_on": on, "appellant": "authority"})


def appeal_ruling(outcome: str, on: str = "2026-05-20") -> cmd.DecideAmparoAppeal:
    return cmd.DecideAmparoAppeal.model_validate(
        {"amparo_id": "X-1", "decided_on": on, "outcome": outcome})


def granted_against_execution(*before: cmd.ClerkCommand) -> State:
    """X-1 filed 15 Apr against the order's execution, granted Fri 1 May."""
    return run(ordered(), amparo("X-1", "2026-04-15"), *before,
               ruling("granted", "X-1", "2026-05-01"), appeal(), now=LATE)


def test_a_grant_pauses_the_pickup_window_so_no_release_runs_while_it_can_be_reversed() -> None:
    case = granted_against_execution()
    assert case.pickup_paused_on == d("2026-05-01")
    assert decide_timer(case, ClockKind.PICKUP_WINDOW, at("2026-06-10")).action \
        is TimerAction.CANCEL
    assert case.released is None and rule_of(case, surrender("2026-05-10"), now=LATE) \
        == "surrender_already_ordered"


def test_a_grant_reversed_on_appeal_resumes_the_window_moved_by_the_days_it_held() -> None:
    [decided] = decide(granted_against_execution(), appeal_ruling("denied"), LATE, POLICY)
    # Paused 1 May, reversed 20 May: 19 days, so the 10 Jun closing moves to 29 Jun.
    assert decided.payload["pickup_deadline_on"] == "2026-06-29"
    resumed = run(granted_against_execution(), appeal_ruling("denied"), now=LATE)
    assert resumed.pickup_paused_on is None
    assert resumed.pickup is not None and resumed.pickup.due_on == d("2026-06-29")
    assert resumed.running_clocks()[0].kind is ClockKind.PICKUP_WINDOW
    expired = fire(resumed, ClockKind.PICKUP_WINDOW, at("2026-06-29"))
    assert expired.released == (d("2026-06-29"), "pickup_window_expired")


def test_a_suspension_the_grant_ended_keeps_the_window_paused_from_its_own_day() -> None:
    held = granted_against_execution(suspension("X-1", "2026-04-16"))
    assert held.active_suspensions == () and held.pickup_paused_on == d("2026-04-16")
    resumed = run(held, appeal_ruling("denied"), now=LATE)
    # Paused 16 Apr, freed 20 May: 34 days, so the window now closes on 14 Jul.
    assert resumed.pickup is not None and resumed.pickup.due_on == d("2026-07-14")


def test_a_final_grant_lets_the_sre_decide_again_and_order_surrender_anew() -> None:
    upheld = run(granted_against_execution(), appeal_ruling("granted"), now=LATE)
    assert rule_of(upheld, surrender("2026-05-21"), now=LATE) == "surrender_already_ordered"
    again = run(upheld, sre(on="2026-05-25", notified="2026-05-25"), now=LATE)
    assert again.status is Status.EXTRADITION_GRANTED
    assert again.surrender is None and again.pickup is None
    # The new grant's amparo window (30 business days from 26 May) closes on 7 Jul.
    window = again.amparo_window
    assert window is not None and window.due_on == d("2026-07-07")
    closed = fire(again, ClockKind.AMPARO_WINDOW, at("2026-07-07"))
    reordered = run(closed, surrender("2026-07-08"), now=LATE)
    assert reordered.status is Status.SURRENDER_ORDERED
    assert reordered.pickup is not None and reordered.pickup.due_on == d("2026-09-07")
