"""The amparo and pickup windows, day by day (issue 14).

Amparo window: 30 business days counted from the day after the grant's notification (Amparo
Law arts. 17 fr. I, 18, 19); Saturdays, Sundays and the holiday calendar are not counted. A
suit filed on the 30th business day is in time; a surrender that day is refused.
Pickup window: 60 calendar days from the day after the surrender order (LEI art. 35); the
60th day is in time, the person is released on the 61st, never earlier.
"""

from __future__ import annotations

from datetime import date

import pytest

from services.judicial import commands as cmd
from services.judicial.days import MEXICAN_HOLIDAYS, Calendar, DayCounting, Policy
from services.judicial.settings import JudicialSettings
from services.judicial.state import ClockKind, State, Status

from .support import (
    amparo,
    at,
    d,
    fire,
    formal,
    hearing,
    opened,
    opinion,
    rule_of,
    run,
    sre,
    surrender,
)

LATE = at("2026-12-01", 12)

# Notified Fri 6 Feb 2026. Sat 7 and Sun 8 are not counted: business day 1 is Mon 9 Feb.
# Mon 16 Mar is a holiday (third Monday of March), so day 29 is Fri 20 Mar, day 30 Mon 23 Mar
# and day 31 Tue 24 Mar.
DAY_29, DAY_30, DAY_31 = "2026-03-20", "2026-03-23", "2026-03-24"


def granted(notified: str = "2026-02-06", policy: Policy | None = None) -> State:
    return run(opened(), formal(), hearing(), opinion(), sre(on="2026-02-04", notified=notified),
               now=LATE, policy=policy or Policy())


@pytest.mark.parametrize(("filed", "in_time"), [
    ("2026-02-07", True),   # the day after notification (a Saturday): in the window
    (DAY_29, True),
    (DAY_30, True),         # the last business day: the suit is in time
    (DAY_31, False),
    ("2026-03-28", False),
])
def test_a_suit_is_in_time_up_to_the_30th_business_day(filed: str, in_time: bool) -> None:
    case = granted()
    if in_time:
        assert run(case, amparo(on=filed), now=LATE).pending_amparos == ("A-1",)
    else:
        assert rule_of(case, amparo(on=filed), now=LATE) == "amparo_filed_after_window"


@pytest.mark.parametrize(("ordered", "blocked"), [
    (DAY_29, True), (DAY_30, True), (DAY_31, False)])
def test_a_surrender_on_the_30th_business_day_is_refused_and_the_day_after_accepted(
        ordered: str, blocked: bool) -> None:
    case = granted()
    if blocked:
        assert rule_of(case, surrender(ordered), now=LATE) == "amparo_window_open"
    else:
        assert run(case, surrender(ordered), now=LATE).status is Status.SURRENDER_ORDERED


def test_the_window_counts_from_the_day_after_the_notification() -> None:
    """A one-day window notified on Monday 2 Mar: its only day is Tuesday 3 Mar."""
    case = granted("2026-03-02", Policy(amparo_window_days=1))
    assert case.amparo_window is not None and case.amparo_window.due_on == d("2026-03-04")
    assert run(case, amparo(on="2026-03-03"), now=LATE).pending_amparos == ("A-1",)
    assert rule_of(case, amparo(on="2026-03-04"), now=LATE) == "amparo_filed_after_window"


def test_weekends_are_not_counted() -> None:
    """Notified Thursday 5 Mar: days 1-2 are Fri 6 and Mon 9 (Sat 7, Sun 8 skipped)."""
    case = granted("2026-03-05", Policy(amparo_window_days=2))
    assert case.amparo_window is not None and case.amparo_window.due_on == d("2026-03-10")


def test_holidays_are_not_counted_and_come_from_configuration() -> None:
    """Notified Wed 4 Feb: Thu 5 Feb (Constitution Day) is not counted, so day 1 is Fri 6."""
    case = granted("2026-02-04", Policy(amparo_window_days=1))
    assert case.amparo_window is not None and case.amparo_window.due_on == d("2026-02-07")
    # Without the holiday calendar Thursday 5 Feb would count.
    bare = granted("2026-02-04", Policy(amparo_window_days=1, holidays=frozenset()))
    assert bare.amparo_window is not None and bare.amparo_window.due_on == d("2026-02-06")


def test_the_window_is_business_days_whatever_the_provisional_clock_counts() -> None:
    for counting in DayCounting:
        case = granted(policy=Policy(day_counting=counting))
        assert case.amparo_window is not None and case.amparo_window.due_on == d(DAY_31)
        assert case.amparo_window.day_counting == "business"


def test_the_holiday_calendar_defaults_to_mexicos_statutory_days_and_is_configurable(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for statutory in ("2026-01-01", "2026-02-05", "2026-03-21", "2026-05-01", "2026-09-16",
                      "2026-11-20", "2026-12-25", "2026-02-02", "2026-03-16", "2026-11-16",
                      "2030-10-01"):
        assert d(statutory) in MEXICAN_HOLIDAYS, statutory
    assert JudicialSettings().policy().holidays == MEXICAN_HOLIDAYS
    monkeypatch.setenv("JUDICIAL_HOLIDAYS", '["2026-03-10"]')
    assert JudicialSettings().policy().holidays == frozenset({d("2026-03-10")})


def test_a_business_period_closes_the_day_after_its_last_day() -> None:
    business = Calendar(DayCounting.BUSINESS)
    assert business.closes_on(d("2026-01-02"), 1) == d("2026-01-06")  # day 1 Mon 5
    assert Calendar().closes_on(d("2026-01-02"), 1) == d("2026-01-04")  # day 1 Sat 3


# --- the pickup window -------------------------------------------------------------------------

def ordered_on(day: str) -> State:
    closed = fire(granted(), ClockKind.AMPARO_WINDOW, at(DAY_31))
    return run(closed, surrender(day), now=LATE)


def test_the_pickup_window_is_60_calendar_days_from_the_day_after_the_order() -> None:
    """Ordered 1 Apr: day 1 is 2 Apr, day 60 is 31 May (in time), released on 1 Jun."""
    case = ordered_on("2026-04-01")
    assert case.pickup is not None and case.pickup.due_on == d("2026-06-01")
    assert fire(case, ClockKind.PICKUP_WINDOW, at("2026-05-31", 23, 59, 59)).released is None
    released = fire(case, ClockKind.PICKUP_WINDOW, at("2026-06-01"))
    assert released.released == (d("2026-06-01"), "pickup_window_expired")


@pytest.mark.parametrize(("granted_on", "in_time"), [
    ("2026-05-30", True), ("2026-05-31", True), ("2026-06-01", False)])
def test_a_suspension_on_day_59_or_60_still_pauses_the_pickup_window(granted_on: str,
                                                                       in_time: bool) -> None:
    case = run(ordered_on("2026-04-01"), amparo("A-9", "2026-05-29"), now=LATE)
    suspension = cmd.GrantAmparoSuspension(amparo_id="A-9", granted_on=d(granted_on))
    if in_time:
        assert run(case, suspension, now=LATE).pickup_paused_on == date.fromisoformat(granted_on)
    else:
        assert rule_of(case, suspension, now=LATE) == "pickup_window_passed"


def test_the_pickup_window_counts_weekends_and_holidays() -> None:
    """Calendar days: ordered Thu 30 Apr, day 1 is Fri 1 May (a holiday), day 60 Mon 29 Jun."""
    case = ordered_on("2026-04-30")
    assert case.pickup is not None and case.pickup.due_on == d("2026-06-30")
