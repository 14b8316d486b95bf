"""Acts dated before something the scheduler recorded, but typed in after it (review s14).

The same acts with the same dates must give the same case whatever order they are typed in:
- a suspension's end that was due in law but not yet recorded is recorded before the step
  that comes after it (F1), so a hold dated after that end starts its own pause and a grant
  reversed after it finds no stale suspension keeping the window paused;
- a suspension, a grant against the order's execution or a placement dated before the pickup
  window's expiry shows that expiry, and its release, void (F2);
- the formal request received before the provisional deadline shows the lapse, and its
  release, void (F3).
"""

from __future__ import annotations

import typing
from datetime import date, timedelta

import pytest

from services.judicial import commands as cmd
from services.judicial.commands import ACT_DATE, ClerkCommand
from services.judicial.domain import decide
from services.judicial.events import ReleaseReason
from services.judicial.state import ClockKind, State
from services.judicial.view import case_view

from .support import (
    POLICY,
    amparo,
    at,
    d,
    fire,
    formal,
    granted_treaty_case,
    opened,
    rule_of,
    ruling,
    run,
    surrender,
    suspension,
)


def counted_over(placed_on: date, holds: list[tuple[date, date]], days: int = 60) -> date:
    """LEI art. 35 counted day by day: the first closed day of a window of `days` calendar
    days after the placement, a hold taking the days from the one it began to the one before
    it ended (overlapping holds take a day once). The oracle the domain is checked against."""
    day, counted = placed_on, 0
    while counted < days:
        day += timedelta(days=1)
        if not any(began <= day < ended for began, ended in holds):
            counted += 1
    return day + timedelta(days=1)


def window_closed() -> State:
    """The support's treaty case (grant notified 6 Feb 2026), its amparo window closed 24 Mar."""
    return fire(granted_treaty_case(), ClockKind.AMPARO_WINDOW, at("2026-03-24"))


def appeal(amparo_id: str, on: str) -> cmd.FileAmparoAppeal:
    return cmd.FileAmparoAppeal.model_validate(
        {"amparo_id": amparo_id, "filed_on": on, "appellant": "authority"})


def appeal_decided(amparo_id: str, on: str, outcome: str) -> cmd.DecideAmparoAppeal:
    return cmd.DecideAmparoAppeal.model_validate(
        {"amparo_id": amparo_id, "decided_on": on, "outcome": outcome})


def fire_appeal_periods(state: State, now_day: str) -> State:
    """The scheduler, on `now_day`, records every appeal-period end that is due."""
    for _ in range(5):
        if not any(c.kind is ClockKind.AMPARO_APPEAL_PERIOD for c in state.running_clocks()):
            break
        state = fire(state, ClockKind.AMPARO_APPEAL_PERIOD, at(now_day, 12))
    return state


def types(state: State, command: cmd.ClerkCommand, now_day: str) -> list[str]:
    return [e.event_type for e in decide(state, command, at(now_day, 9), POLICY)]


# --- F1: a suspension's end due in law is recorded before a later step -----------------------

def held_from_5_may(amparo_id: str) -> State:
    """Ordered 10 Apr; the suit's suspension holds the pickup window from 5 May."""
    ordered = run(window_closed(), surrender("2026-04-10"), now=at("2026-04-10", 12))
    return run(ordered, amparo(amparo_id, "2026-05-01"), suspension(amparo_id, "2026-05-05"),
               now=at("2026-05-05", 12))


@pytest.mark.parametrize("denial_first", [True, False], ids=["denial-first", "b1-first"])
def test_a_suspension_dated_after_another_ended_starts_its_own_pause(
        denial_first: bool) -> None:
    """A-9's suspension holds from 5 May; denied 20 May, unappealed, so it ends in law on
    4 Jun. The denial is typed in late (the scheduler then waits a grace before recording
    the end), on 16 Jun, before or after B-1's suit and its suspension of 15 Jun. B-1 is
    denied 22 Jun; its suspension ends 7 Jul. Held 5 May-3 Jun and 15 Jun-6 Jul: the window
    closes 1 Aug in either typing order (it used to close 12 Aug, one pause running on from
    5 May)."""
    denial = ruling("denied", "A-9", "2026-05-20")
    b1 = (amparo("B-1", "2026-06-10"), suspension("B-1", "2026-06-15"))
    typed = (denial, *b1) if denial_first else (*b1, denial)
    typed_in_late = run(held_from_5_may("A-9"), *typed, now=at("2026-06-16", 12))
    denied = run(fire_appeal_periods(typed_in_late, "2026-06-19"),
                 ruling("denied", "B-1", "2026-06-22"), now=at("2026-06-22", 12))
    ended = fire_appeal_periods(denied, "2026-07-07")
    law = counted_over(d("2026-04-10"), [(d("2026-05-05"), d("2026-06-04")),
                                         (d("2026-06-15"), d("2026-07-07"))])
    assert law == d("2026-08-01")
    assert ended.pickup is not None and ended.pickup_paused_on is None
    assert ended.pickup.due_on == law


@pytest.mark.parametrize("reversal_first", [True, False],
                         ids=["reversal-first", "denial-first"])
def test_a_grant_reversed_after_a_suspension_ended_held_the_window_until_reversed(
        reversal_first: bool) -> None:
    """B-1's suspension holds from 5 May; B-1 is denied 20 May (final 4 Jun). X-1 is granted
    against the order's execution on 1 Jun and the authority appeals. On 2 Jul the clerk
    types in B-1's denial and X-1's reversal of 1 Jul, in either order. Held from 5 May to
    the reversal: the window closes 6 Aug (it used to close 10 Jul, releasing the person
    while the US still had until 5 Aug)."""
    granted = run(held_from_5_may("B-1"), amparo("X-1", "2026-05-25"),
                  ruling("granted", "X-1", "2026-06-01"), appeal("X-1", "2026-06-02"),
                  now=at("2026-06-02", 12))
    acts = [ruling("denied", "B-1", "2026-05-20"), appeal_decided("X-1", "2026-07-01", "denied")]
    typed_in_late = run(granted, *(reversed(acts) if reversal_first else acts),
                        now=at("2026-07-02", 12))
    after_grace = fire_appeal_periods(typed_in_late, "2026-07-05")
    law = counted_over(d("2026-04-10"), [(d("2026-05-05"), d("2026-07-01"))])
    assert law == d("2026-08-06")
    assert after_grace.pickup is not None and after_grace.pickup.due_on == law
    assert fire(after_grace, ClockKind.PICKUP_WINDOW, at("2026-07-10", 12)).released is None


# --- F2: an act dated before the pickup expiry, entered after it -----------------------------

def expired_on_10_jun() -> State:
    """Ordered 10 Apr (first closed day 10 Jun); a suit against its execution filed 1 Jun;
    the scheduler records the expiry and the release at midnight on 10 Jun."""
    ordered = run(window_closed(), surrender("2026-04-10"), now=at("2026-04-10", 12))
    sued = run(ordered, amparo("A-9", "2026-06-01"), now=at("2026-06-01", 12))
    expired = fire(sued, ClockKind.PICKUP_WINDOW, at("2026-06-10", 0, 0, 1))
    assert expired.released == (d("2026-06-10"), ReleaseReason.PICKUP_WINDOW_EXPIRED)
    return expired


def test_a_suspension_granted_on_day_60_and_typed_in_next_morning_voids_the_expiry() -> None:
    expired = expired_on_10_jun()
    late = suspension("A-9", "2026-06-09")
    assert types(expired, late, "2026-06-10") == [
        "judicial.amparo_suspension_granted", "judicial.pickup_expiry_voided_by_earlier_act"]
    held = run(expired, late, now=at("2026-06-10", 9))
    assert held.released is None and not held.pickup_expired
    assert held.pickup_paused_on == d("2026-06-09")
    shown = case_view(held, d("2026-06-10"))
    assert (shown["release_voided_on"], shown["release_voided_cause"]) == \
        ("2026-06-10", "act_in_time")
    assert "amparo_suspension_active" in shown["surrender_blocked_by"]


def test_a_suspension_dated_on_the_expiry_day_still_finds_the_case_closed() -> None:
    assert rule_of(expired_on_10_jun(), suspension("A-9", "2026-06-10"),
                   now=at("2026-06-10", 9)) == "case_closed"


def test_a_grant_against_the_orders_execution_dated_before_the_expiry_voids_it() -> None:
    expired = expired_on_10_jun()
    granted = run(expired, ruling("granted", "A-9", "2026-06-08"), now=at("2026-06-11", 9))
    assert granted.released is None and granted.pickup_paused_on == d("2026-06-08")
    assert granted.granted_amparos == ("A-9",)


def test_a_placement_that_moves_the_window_past_the_expiry_voids_it() -> None:
    """Ordered 10 Apr with no placement day: the window counted from the order. The person
    was placed at the US's disposal on 20 Apr (window to 19 Jun), typed in on 10 Jun after
    the expiry; a placement leaving the expiry where it was changes nothing of it."""
    expired = expired_on_10_jun()
    moved = run(expired, cmd.RecordPlacementAtDisposal(placed_on=d("2026-04-20")),
                now=at("2026-06-10", 9))
    assert moved.released is None and not moved.pickup_expired
    assert moved.pickup is not None and moved.pickup.due_on == d("2026-06-20")
    assert rule_of(expired, cmd.RecordPlacementAtDisposal(placed_on=d("2026-04-10")),
                   now=at("2026-06-10", 9)) == "case_closed"


def test_a_suit_and_its_suspension_dated_before_the_expiry_are_recorded_after_it() -> None:
    """The suit filed 8 Jun, its suspension granted 9 Jun (with the admission, as in
    extradition), both typed in on 10 Jun after the midnight expiry: the filing is recorded
    on the closed case (it holds nothing), and the suspension voids the expiry."""
    ordered = run(window_closed(), surrender("2026-04-10"), now=at("2026-04-10", 12))
    expired = fire(ordered, ClockKind.PICKUP_WINDOW, at("2026-06-10", 0, 0, 1))
    held = run(expired, amparo("A-9", "2026-06-08"), suspension("A-9", "2026-06-09"),
               now=at("2026-06-10", 9))
    assert held.released is None and held.pickup_paused_on == d("2026-06-09")
    assert rule_of(expired, amparo("A-9", "2026-06-10"), now=at("2026-06-10", 9)) \
        == "case_closed"


def test_a_placement_dated_on_or_after_the_expiry_finds_the_case_closed() -> None:
    """Only a placement made while the window ran can show its expiry void: one dated after
    the release (days or months later) reopens nothing."""
    expired = expired_on_10_jun()
    for placed_on, typed_on in (("2026-06-10", "2026-06-11"), ("2026-11-30", "2026-12-01")):
        late = cmd.RecordPlacementAtDisposal(placed_on=d(placed_on))
        assert rule_of(expired, late, now=at(typed_on, 9)) == "case_closed"


# --- F3: the formal request received before the provisional deadline, entered after it -------

def test_a_formal_request_received_on_the_last_day_and_entered_next_day_voids_the_lapse(
) -> None:
    """Provisional detention ordered 5 Jan 2026: last day 5 Mar, lapse recorded at midnight on
    6 Mar with the release. The SRE received the formal request on 5 Mar; the clerk enters it
    at 11:00 on 6 Mar. The detention never lapsed: the request stops the clock and the lapse
    and its release are recorded void."""
    detained = run(opened(), cmd.OrderProvisionalDetention(ordered_on=d("2026-01-05")),
                   now=at("2026-01-05", 12))
    lapsed = fire(detained, ClockKind.PROVISIONAL_DETENTION, at("2026-03-06", 0, 0, 1))
    assert lapsed.provisional_lapsed
    made = decide(lapsed, formal("2026-03-05"), at("2026-03-06", 11), POLICY)
    assert [e.event_type for e in made] == [
        "judicial.formal_request_received", "judicial.provisional_lapse_voided"]
    assert made[0].payload["provisional_clock_stopped"] is True
    assert made[1].payload["released_on"] == "2026-03-06"
    received = run(lapsed, formal("2026-03-05"), now=at("2026-03-06", 11))
    assert received.provisional_stopped_on == d("2026-03-05")
    shown = case_view(received, d("2026-03-06"))
    assert shown["provisional_detention_lapsed"] is False
    assert shown["release_voided_cause"] == "provisional_stopped_in_time"
    late = run(lapsed, formal("2026-03-06"), now=at("2026-03-06", 11))
    assert late.provisional_lapsed and late.release_voided_on is None


def test_every_clerk_command_names_the_date_of_its_act_once() -> None:
    """What had run out by the act's date is recorded before it: every step names that date
    (ActDay or ActInstant) in exactly one field, the one its event is dated by."""
    for command in typing.get_args(ClerkCommand):
        named = [n for n, f in command.model_fields.items() if ACT_DATE in f.metadata]
        assert len(named) == 1, (command.__name__, named)
