"""The pickup window's deadline after a hold, against a day-by-day count (LEI art. 35).

The window's days are the calendar days after the person was placed at the US's disposal
(given with the order, or recorded after it: judicial.placed_at_disposal); a
hold (here a grant against the order's execution, later reversed on appeal) takes the days
from the day it began to the day before it ended; the window closes the day after its 60th
day not taken. The domain moves the deadline arithmetically; this sweeps placements, holds
that begin before, on and after the placement, short and long holds, and corrections.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.judicial import commands as cmd
from services.judicial.domain import TimerAction, decide_timer, pickup_closes_on
from services.judicial.state import ClockKind, State

from .support import amparo, at, fire, granted_treaty_case, ruling, run, suspension

ORDERED_ON = date(2026, 4, 10)
LATER = at("2026-09-01", 12)


def counted_closing(placed_on: date, held_from: date, held_until: date) -> date:
    return counted_over(placed_on, [(held_from, held_until)])


def counted_over(placed_on: date, holds: list[tuple[date, date]]) -> date:
    """Day by day: the 60th day after the placement that no hold took, and the day after."""
    day, counted = placed_on, 0
    while counted < 60:
        day += timedelta(days=1)
        if not any(began <= day < ended for began, ended in holds):
            counted += 1
    return day + timedelta(days=1)


PLACEMENT_GIVEN = "with the order"
PLACEMENT_WHILE_HELD = "recorded while the hold lasts"
PLACEMENT_AFTER = "recorded after the hold"
# A day recorded wrongly (four days late), then corrected to the real one.
CORRECTED_WHILE_HELD = "recorded wrongly, corrected while the hold lasts"
CORRECTED_AFTER = "given wrongly with the order, corrected after the hold"


def domain_closing(placed_on: date, held_from: date, held_until: date, placement: str) -> date:
    placed = cmd.RecordPlacementAtDisposal(placed_on=placed_on)
    wrong_on = placed_on + timedelta(days=4)
    wrongly = cmd.RecordPlacementAtDisposal(placed_on=wrong_on)
    corrected = cmd.RecordPlacementAtDisposal(placed_on=placed_on, correction_reason="typo")
    given = {PLACEMENT_GIVEN: placed_on, CORRECTED_AFTER: wrong_on}.get(placement)
    order = cmd.OrderSurrender.model_validate(
        {"ordered_on": ORDERED_ON.isoformat(),
         "placed_at_disposal_on": None if given is None else given.isoformat()})
    held = (amparo("X-1", ORDERED_ON.isoformat()),
            ruling("granted", "X-1", held_from.isoformat()),
            cmd.FileAmparoAppeal.model_validate({"amparo_id": "X-1", "appellant": "authority",
                                                 "filed_on": held_from.isoformat()}))
    reversed_on_appeal = cmd.DecideAmparoAppeal.model_validate(
        {"amparo_id": "X-1", "outcome": "denied", "decided_on": held_until.isoformat()})
    steps = {PLACEMENT_GIVEN: (order, *held, reversed_on_appeal),
             PLACEMENT_WHILE_HELD: (order, *held, placed, reversed_on_appeal),
             PLACEMENT_AFTER: (order, *held, reversed_on_appeal, placed),
             CORRECTED_WHILE_HELD: (order, *held, wrongly, corrected, reversed_on_appeal),
             CORRECTED_AFTER: (order, *held, reversed_on_appeal, corrected)}[placement]
    case = run(fire(granted_treaty_case(), ClockKind.AMPARO_WINDOW, at("2026-03-24")), *steps,
               now=LATER)
    assert case.pickup is not None and case.pickup_paused_on is None
    return case.pickup.due_on


@pytest.mark.parametrize("placement", [PLACEMENT_GIVEN, PLACEMENT_WHILE_HELD, PLACEMENT_AFTER,
                                       CORRECTED_WHILE_HELD, CORRECTED_AFTER])
@pytest.mark.parametrize("placed_after", [0, 1, 3, 6])
def test_a_hold_moves_the_deadline_by_the_window_days_it_took(placed_after: int,
                                                              placement: str) -> None:
    """Whether the placement is given with the order or recorded later, during the hold or
    after it, or a wrong day is corrected, the deadline is the day-by-day count's."""
    placed_on = ORDERED_ON + timedelta(days=placed_after)
    for began_after in range(10):
        held_from = ORDERED_ON + timedelta(days=began_after)
        for held_days in (1, 5, 30):
            held_until = held_from + timedelta(days=held_days)
            assert domain_closing(placed_on, held_from, held_until, placement) \
                == counted_closing(placed_on, held_from, held_until), (held_from, held_until)


_day = st.integers(0, 150).map(lambda n: ORDERED_ON + timedelta(days=n))
_hold = st.tuples(_day, st.integers(0, 40)).map(lambda h: (h[0], h[0] + timedelta(days=h[1])))


@given(st.integers(0, 30), st.lists(_hold, max_size=4))
def test_the_deadline_is_the_day_by_day_count_over_any_holds(placed_after: int,
                                                             holds: list[tuple[date, date]]
                                                             ) -> None:
    """Overlapping holds take a day once; a hold that began after the window closed takes
    none, whatever order the holds come in."""
    placed_on = ORDERED_ON + timedelta(days=placed_after)
    assert pickup_closes_on(placed_on, 60, holds) == counted_over(placed_on, holds)


@given(st.integers(0, 30), st.lists(_hold, max_size=3), _day)
def test_a_hold_in_force_pauses_the_window_only_if_it_began_before_the_window_closed(
        placed_after: int, holds: list[tuple[date, date]], open_since: date) -> None:
    placed_on = ORDERED_ON + timedelta(days=placed_after)
    closes = pickup_closes_on(placed_on, 60, [*holds, (open_since, None)])
    unheld = counted_over(placed_on, holds)
    assert closes == (unheld if open_since >= unheld else None)


# --- holds and placements typed in out of order (review of 5 Dec 2026) ------------------------

def _ordered(placed_on: str) -> State:
    order = cmd.OrderSurrender.model_validate(
        {"ordered_on": ORDERED_ON.isoformat(), "placed_at_disposal_on": placed_on})
    return run(fire(granted_treaty_case(), ClockKind.AMPARO_WINDOW, at("2026-03-24")), order,
               now=LATER)


def _reversed_grant(amparo_id: str, began: str, ended: str) -> tuple[cmd.ClerkCommand, ...]:
    return (amparo(amparo_id, ORDERED_ON.isoformat()), ruling("granted", amparo_id, began),
            cmd.FileAmparoAppeal.model_validate({"amparo_id": amparo_id, "filed_on": began,
                                                 "appellant": "authority"}),
            cmd.DecideAmparoAppeal.model_validate({"amparo_id": amparo_id, "outcome": "denied",
                                                   "decided_on": ended}))


def _corrected(to: str) -> cmd.RecordPlacementAtDisposal:
    return cmd.RecordPlacementAtDisposal.model_validate({"placed_on": to,
                                                         "correction_reason": "wrong day"})


def test_a_correction_to_an_earlier_day_drops_a_hold_that_began_after_its_window_closed() -> None:
    """Placement given as 20 May; a grant held the order 15-25 Jun. Corrected to 10 Apr, the
    window closed on 10 Jun, before the hold began: the deadline is 10 Jun, not 20 Jun."""
    held = run(_ordered("2026-05-20"), *_reversed_grant("X-1", "2026-06-15", "2026-06-25"),
               now=LATER)
    assert held.pickup is not None and held.pickup.due_on == date(2026, 7, 30)
    corrected = run(held, _corrected("2026-04-10"), now=LATER)
    assert corrected.pickup is not None and corrected.pickup.due_on == date(2026, 6, 10)


def test_a_correction_under_a_later_hold_lets_the_corrected_window_run_out() -> None:
    """The same grant still in force on 1 Jul when the day is corrected: the window is not
    paused by a hold that began after it closed, so its timer fires (dated 10 Jun)."""
    grant = _reversed_grant("X-1", "2026-06-15", "2026-06-25")[:2]
    held = run(_ordered("2026-05-20"), *grant, now=LATER)
    assert held.pickup_paused_on == date(2026, 6, 15)
    corrected = run(held, _corrected("2026-04-10"), now=at("2026-07-01", 12))
    assert corrected.pickup_paused_on is None
    outcome = decide_timer(corrected, ClockKind.PICKUP_WINDOW, at("2026-07-01", 12))
    assert outcome.action is TimerAction.FIRE
    assert outcome.events[0].payload["deadline_on"] == "2026-06-10"


def test_a_suspension_dated_before_the_hold_in_force_moves_the_pause_back() -> None:
    """A-1's suspension (1 May) pauses the window; B-1's, dated 20 Apr, is typed in after it.
    Both end on 20 May: the window was held from 20 Apr, so it closes on 10 Jul, not 29 Jun."""
    suspended = run(_ordered("2026-04-10"), amparo("A-1", "2026-04-15"),
                    amparo("B-1", "2026-04-15"), suspension("A-1", "2026-05-01"),
                    suspension("B-1", "2026-04-20"), now=LATER)
    assert suspended.pickup_paused_on == date(2026, 4, 20)
    ended: list[cmd.ClerkCommand] = []
    for suit in ("A-1", "B-1"):
        ended += [ruling("granted", suit, "2026-05-20"),
                  cmd.FileAmparoAppeal.model_validate({"amparo_id": suit, "filed_on": "2026-05-20",
                                                       "appellant": "authority"})]
    for suit in ("A-1", "B-1"):
        ended.append(cmd.DecideAmparoAppeal.model_validate(
            {"amparo_id": suit, "outcome": "denied", "decided_on": "2026-05-20"}))
    resumed = run(suspended, *ended, now=LATER)
    assert resumed.pickup is not None and resumed.pickup_paused_on is None
    assert resumed.pickup.due_on == counted_over(date(2026, 4, 10),
                                                 [(date(2026, 4, 20), date(2026, 5, 20))])
    assert resumed.pickup.due_on == date(2026, 7, 10)


def test_a_late_typed_suspension_overlapping_a_hold_over_takes_its_days_once() -> None:
    """A grant held the order 1-11 May; then B-1's suspension, dated 25 Apr, is typed in and
    holds until 30 May: the window was held 25 Apr-29 May, so it closes on 15 Jul."""
    resumed = run(_ordered("2026-04-10"), *_reversed_grant("X-1", "2026-05-01", "2026-05-11"),
                  now=LATER)
    assert resumed.pickup is not None and resumed.pickup.due_on == date(2026, 6, 20)
    held = run(resumed, amparo("B-1", "2026-04-20"), suspension("B-1", "2026-04-25"),
               *_reversed_grant("B-1", "2026-05-20", "2026-05-30")[1:], now=LATER)
    assert held.pickup is not None and held.pickup_paused_on is None
    assert held.pickup.due_on == date(2026, 7, 15)
