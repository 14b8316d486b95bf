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

from services.judicial import commands as cmd
from services.judicial.state import ClockKind

from .support import amparo, at, fire, granted_treaty_case, ruling, run

ORDERED_ON = date(2026, 4, 10)
LATER = at("2026-09-01", 12)


def counted_closing(placed_on: date, held_from: date, held_until: date) -> date:
    day, counted = placed_on, 0
    while counted < 60:
        day += timedelta(days=1)
        if not held_from <= day < held_until:
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
