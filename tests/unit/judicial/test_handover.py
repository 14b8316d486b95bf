"""Handover (issue 14; LEI arts. 34-35): transport's custody transfer stops every judicial
clock; the case reads "surrendered"; nothing may expire or release the person afterwards."""

from __future__ import annotations

from datetime import UTC, datetime

from services.judicial.domain import TimerAction, decide_timer, note_handover, replay
from services.judicial.events import HandedOver
from services.judicial.state import ClockKind, State, Status
from services.judicial.view import case_view

from .support import amparo, at, d, fire, granted_treaty_case, rule_of, run, surrender, suspension

LATE = at("2026-12-01", 12)


def ordered() -> State:
    """Surrender ordered on 10 Apr: the pickup window's last day is 9 Jun."""
    return run(fire(granted_treaty_case(), ClockKind.AMPARO_WINDOW, at("2026-03-24")),
               surrender("2026-04-10"), now=LATE)


def handover(on: datetime) -> HandedOver:
    return HandedOver(case_id="RWY-J1", handed_over_at=on, handed_over_on=on.date(),
                      flight_id="F-1", place="Toluca airport", custody_transfer_event_id="e-9")


HANDED_OVER_AT = at("2026-05-02", 15)


def handed_over(state: State, on: datetime = HANDED_OVER_AT) -> State:
    return replay(state, note_handover(state, handover(on)))


def test_the_handover_stops_the_pickup_clock_and_nothing_expires_after_it() -> None:
    case = handed_over(ordered())
    assert case.status is Status.SURRENDERED and case.handed_over_on == d("2026-05-02")
    assert case.running_clocks() == ()
    # Long after the pickup deadline the scheduler cancels the timer and records nothing.
    outcome = decide_timer(case, ClockKind.PICKUP_WINDOW, at("2026-07-01"))
    assert outcome.action is TimerAction.CANCEL and outcome.events == ()
    assert case.released is None


def test_the_handover_is_dated_by_its_legal_instant_and_recorded_once() -> None:
    case = ordered()
    [recorded] = note_handover(case, handover(datetime(2026, 5, 2, 15, tzinfo=UTC)))
    assert recorded.occurred_at == datetime(2026, 5, 2, 15, tzinfo=UTC)
    assert recorded.payload["handed_over_on"] == "2026-05-02"
    assert note_handover(handed_over(case), handover(at("2026-05-03"))) == []


def test_no_step_is_recorded_after_the_handover() -> None:
    case = handed_over(ordered())
    assert rule_of(case, amparo("A-9", "2026-05-03"), now=LATE) == "person_handed_over"
    assert rule_of(case, surrender("2026-05-03"), now=LATE) == "person_handed_over"
    view = case_view(case)
    assert view["status"] == "surrendered" and view["handed_over_on"] == "2026-05-02"
    assert view["clocks"] == [] and view["surrender_blocked_by"][0] == "person_handed_over"


def test_a_handover_during_a_paused_pickup_window_stops_it_for_good() -> None:
    paused = run(ordered(), amparo("A-9", "2026-05-01"), suspension("A-9", "2026-05-02"),
                 now=LATE)
    assert paused.pickup_paused
    case = handed_over(paused, at("2026-05-05", 10))
    assert decide_timer(case, ClockKind.PICKUP_WINDOW, at("2026-09-01")).action \
        is TimerAction.CANCEL


def test_a_handover_on_a_case_judicial_never_opened_is_dropped() -> None:
    assert note_handover(State(), handover(at("2026-05-02"))) == []


def test_an_expiry_recorded_before_a_late_handover_is_voided_with_its_release() -> None:
    """Custody passed at 21:00 on 9 Jun, the window's last day; judicial's consumer lagged past
    midnight, so the scheduler recorded the expiry and a release on 10 Jun first. The
    handover, when it arrives, says they were void: the window had ended at the handover."""
    expired = fire(ordered(), ClockKind.PICKUP_WINDOW, at("2026-06-10", 0, 0, 30))
    assert expired.released == (d("2026-06-10"), "pickup_window_expired")
    late = handover(at("2026-06-09", 21)).model_copy(
        update={"handed_over_on": d("2026-06-09")})  # its legal date in Mexico City
    recorded = note_handover(expired, late)
    assert [e.event_type for e in recorded] == ["judicial.handed_over",
                                                "judicial.pickup_expiry_voided"]
    assert (recorded[1].payload["deadline_on"], recorded[1].payload["release_voided"]) == (
        "2026-06-10", True)
    case = replay(expired, recorded)
    assert case.status is Status.SURRENDERED
    assert case.released is None and not case.pickup_expired
    view = case_view(case)
    assert view["released"] is None and view["handed_over_on"] == "2026-06-09"


def test_a_handover_after_the_window_ran_out_voids_nothing() -> None:
    expired = fire(ordered(), ClockKind.PICKUP_WINDOW, at("2026-06-10"))
    recorded = note_handover(expired, handover(at("2026-06-10", 9)))
    assert [e.event_type for e in recorded] == ["judicial.handed_over"]
    assert replay(expired, recorded).released == (d("2026-06-10"), "pickup_window_expired")
