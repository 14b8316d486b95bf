"""Amparo finality (issue 14; Amparo Law arts. 81, 86, 77): a first-instance ruling can be
appealed (recurso de revisión) within 10 business days from the day after its notification;
surrender needs the amparo denied for good; a granted amparo sends the matter back to the SRE,
which decides again, and does not close the case."""

from __future__ import annotations

from datetime import date

import pytest

from services.judicial import commands as cmd
from services.judicial.state import ClockKind, State, Status
from services.judicial.view import case_view

from .support import amparo, at, d, fire, granted_treaty_case, rule_of, run, sre, surrender

LATE = at("2026-12-01", 12)
WINDOW_CLOSED = at("2026-03-24")


def ruled(outcome: str, notified: str | None = None) -> State:
    """A suit filed 10 Feb and ruled on Wed 1 Apr; the window closed on 24 Mar."""
    case = fire(run(granted_treaty_case(), amparo()), ClockKind.AMPARO_WINDOW, WINDOW_CLOSED)
    ruling = cmd.RuleOnAmparo.model_validate({"amparo_id": "A-1", "outcome": outcome,
                                              "ruled_on": "2026-04-01",
                                              "notified_on": notified})
    return run(case, ruling, now=LATE)


def appeal(on: str, by: str = "complainant") -> cmd.FileAmparoAppeal:
    return cmd.FileAmparoAppeal.model_validate({"amparo_id": "A-1", "filed_on": on,
                                                "appellant": by})


def appeal_ruling(outcome: str, on: str = "2026-06-01") -> cmd.DecideAmparoAppeal:
    return cmd.DecideAmparoAppeal.model_validate({"amparo_id": "A-1", "decided_on": on,
                                                  "outcome": outcome})


# Ruled and notified Wed 1 Apr: business days 2, 3, 6-10, 13, 14, 15 Apr; the 10th is
# Wed 15 Apr, so the ruling is final from Thu 16 Apr.
@pytest.mark.parametrize(("filed", "in_time"), [
    ("2026-04-02", True), ("2026-04-14", True), ("2026-04-15", True), ("2026-04-16", False)])
def test_a_ruling_can_be_appealed_for_10_business_days(filed: str, in_time: bool) -> None:
    case = ruled("denied")
    if in_time:
        appealed = run(case, appeal(filed), now=LATE).amparo("A-1")
        assert appealed is not None and appealed.appeal_filed_on == d(filed)
    else:
        assert rule_of(case, appeal(filed), now=LATE) == "amparo_appeal_period_passed"


def test_the_appeal_period_runs_from_the_day_after_the_rulings_notification() -> None:
    """Notified Fri 3 Apr (two days after the ruling): final from Sat 18 Apr."""
    case = ruled("denied", notified="2026-04-03")
    suit = case.amparo("A-1")
    assert suit is not None and suit.appeal_closes_on == d("2026-04-18")
    assert rule_of(case, surrender("2026-04-17"), now=LATE) == "amparo_not_final"
    assert run(case, surrender("2026-04-18"), now=LATE).status is Status.SURRENDER_ORDERED


@pytest.mark.parametrize(("ordered", "rule"), [
    ("2026-04-01", "amparo_not_final"), ("2026-04-15", "amparo_not_final"), ("2026-04-16", None)])
def test_surrender_waits_for_the_denial_to_be_final(ordered: str, rule: str | None) -> None:
    case = ruled("denied")
    if rule is None:
        assert run(case, surrender(ordered), now=LATE).status is Status.SURRENDER_ORDERED
    else:
        assert rule_of(case, surrender(ordered), now=LATE) == rule


def test_an_appeal_holds_surrender_until_decided_against_the_person() -> None:
    appealed = run(ruled("denied"), appeal("2026-04-10"), now=LATE)
    assert rule_of(appealed, surrender("2026-05-20"), now=LATE) == "amparo_not_final"
    view = case_view(appealed, date(2026, 5, 20))
    assert view["surrender_blocked_by"] == ["amparo_not_final"]
    assert view["amparos"][0]["final"] is False
    decided = run(appealed, appeal_ruling("denied", "2026-05-25"), now=LATE)
    assert run(decided, surrender("2026-05-26"), now=LATE).status is Status.SURRENDER_ORDERED
    assert case_view(decided, date(2026, 5, 26))["amparos"][0]["final"] is True


def test_a_grant_reversed_on_appeal_lets_surrender_follow() -> None:
    """The SRE (the authority) appeals a first-instance grant and wins."""
    appealed = run(ruled("granted"), appeal("2026-04-08", by="authority"), now=LATE)
    assert rule_of(appealed, surrender("2026-05-01"), now=LATE) == "amparo_not_final"
    reversed_ = run(appealed, appeal_ruling("denied"), now=LATE)
    assert run(reversed_, surrender("2026-06-02"), now=LATE).status is Status.SURRENDER_ORDERED


def test_a_final_grant_reopens_the_sre_decision_and_keeps_the_case_open() -> None:
    granted = ruled("granted")
    assert not granted.closed and granted.status is not Status.RELEASED
    # Before the grant is final the SRE may not decide again.
    assert rule_of(granted, sre(on="2026-04-10", notified="2026-04-10"), now=LATE) \
        == "sre_already_decided"
    assert rule_of(granted, surrender("2026-04-20"), now=LATE) == "amparo_granted"
    # Final from 16 Apr: the SRE decides again, with a new window and no suits yet.
    again = run(granted, sre(on="2026-04-20", notified="2026-04-21"), now=LATE)
    assert again.sre is not None and again.sre.decided_on == d("2026-04-20")
    assert again.amparos == () and [a.amparo_id for a in again.earlier_amparos] == ["A-1"]
    assert again.amparo_window is not None and again.amparo_window.started_on == d("2026-04-21")
    assert rule_of(again, surrender("2026-04-22"), now=LATE) == "amparo_window_open"
    assert [c.kind for c in again.running_clocks()] == [ClockKind.AMPARO_WINDOW]


def test_a_grant_upheld_on_appeal_reopens_the_sre_decision() -> None:
    upheld = run(ruled("granted"), appeal("2026-04-08", by="authority"),
                 appeal_ruling("granted", "2026-05-10"), now=LATE)
    assert rule_of(upheld, sre(on="2026-05-09", notified="2026-05-09"), now=LATE) \
        == "sre_already_decided"
    assert run(upheld, sre(on="2026-05-11", notified="2026-05-11"), now=LATE).sre is not None


def test_appeal_steps_need_a_ruling_and_an_appeal_and_happen_once() -> None:
    case = fire(run(granted_treaty_case(), amparo()), ClockKind.AMPARO_WINDOW, WINDOW_CLOSED)
    assert rule_of(case, appeal("2026-04-02"), now=LATE) == "amparo_not_ruled"
    assert rule_of(ruled("denied"), appeal_ruling("denied"), now=LATE) \
        == "amparo_appeal_not_filed"
    appealed = run(ruled("denied"), appeal("2026-04-02"), now=LATE)
    assert rule_of(appealed, appeal("2026-04-03"), now=LATE) == "amparo_appeal_already_filed"
    decided = run(appealed, appeal_ruling("denied"), now=LATE)
    assert rule_of(decided, appeal_ruling("granted"), now=LATE) \
        == "amparo_appeal_already_decided"
