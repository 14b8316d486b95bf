"""Each judicial rule, on the pure domain: the rule name a refused step ends with, and the
events an allowed one records."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from services.judicial import commands as cmd
from services.judicial.api import STEPS
from services.judicial.days import Calendar, DayCounting, Policy
from services.judicial.domain import (
    TimerAction,
    decide,
    decide_timer,
    lapse_first,
    note_charges,
    replay,
)
from services.judicial.state import ClockKind, State, Status
from services.judicial.view import case_view

from .support import (
    NOW,
    amparo,
    at,
    d,
    fire,
    formal,
    granted_treaty_case,
    hearing,
    opened,
    opinion,
    rule_of,
    ruling,
    run,
    sre,
    surrender,
    suspension,
)

# Notified Fri 2026-02-06: 30 business days from the day after (Amparo Law arts. 17-19), Mon 16
# Mar a holiday, end on Mon 23 Mar; the window is closed from Tue 24 Mar.
WINDOW_CLOSED = at("2026-03-24")


def window_closed_case() -> State:
    """The treaty case granted on 6 Feb, its amparo window closed."""
    return fire(granted_treaty_case(), ClockKind.AMPARO_WINDOW, WINDOW_CLOSED)


def types(state: State, command: cmd.ClerkCommand) -> list[str]:
    return [e.event_type for e in decide(state, command, NOW, Policy())]


# --- decision order (rule 3) ------------------------------------------------------------------

def test_on_the_treaty_basis_the_sre_cannot_decide_before_the_judges_opinion() -> None:
    case = run(opened("treaty"), formal(), hearing())
    assert rule_of(case, sre()) == "sre_requires_judge_opinion"
    assert types(run(case, opinion()), sre()) == ["judicial.sre_extradition_granted"]


def test_the_opinion_follows_the_hearing_or_the_consent() -> None:
    assert rule_of(run(opened(), formal()), opinion()) == "hearing_or_consent_required"
    assert rule_of(opened(), hearing()) == "formal_request_missing"


def test_consent_replaces_the_hearing_but_the_treaty_basis_still_needs_the_opinion() -> None:
    consented = run(opened("treaty"), formal(), cmd.GiveConsent(given_on=d("2026-01-08")))
    assert consented.status is Status.CONSENT_GIVEN
    assert rule_of(consented, sre()) == "sre_requires_judge_opinion"
    after = run(consented, opinion("2026-01-09"), sre())
    assert after.status is Status.EXTRADITION_GRANTED


def test_on_the_simplified_basis_consent_lets_the_sre_decide_without_a_hearing() -> None:
    case = run(opened("simplified"), formal())
    assert rule_of(case, sre()) == "sre_requires_consent_or_opinion"
    consented = run(case, cmd.GiveConsent(given_on=d("2026-01-08")))
    assert types(consented, sre()) == ["judicial.sre_extradition_granted"]


def test_refusal_releases_the_person_and_closes_the_case() -> None:
    refused = run(opened(), formal(), hearing(), opinion(favorable=False), sre("refused"))
    assert refused.status is Status.REFUSED
    assert [s.step for s in refused.steps[-2:]] == ["sre_extradition_refused",
                                                    "released_from_custody"]


# --- the amparo block (rule 4) ----------------------------------------------------------------

def test_no_surrender_while_the_amparo_window_is_open() -> None:
    case = granted_treaty_case()
    assert rule_of(case, surrender("2026-02-20")) == "amparo_window_open"
    assert case_view(case)["surrender_blocked_by"] == ["amparo_window_open"]


def test_surrender_once_the_window_closed_without_an_amparo() -> None:
    case = granted_treaty_case()
    assert decide_timer(case, ClockKind.AMPARO_WINDOW,
                        WINDOW_CLOSED - timedelta(seconds=1)).action is TimerAction.WAIT
    closed = fire(case, ClockKind.AMPARO_WINDOW, WINDOW_CLOSED)
    assert closed.steps[-1].step == "amparo_window_closed"
    ordered = run(closed, surrender("2026-03-25"))
    assert ordered.status is Status.SURRENDER_ORDERED
    # 60 calendar days from the day after the order: 26 Mar to 24 May; closed from 25 May.
    assert ordered.pickup is not None and ordered.pickup.due_on == d("2026-05-25")


def test_the_pickup_window_runs_from_the_day_the_person_was_placed_at_the_us_disposal() -> None:
    """LEI art. 35 counts the 60 days from the day after the person is placed at the
    requesting state's disposal: ordered 25 Mar, placed at disposal (the SRE's notice to the
    embassy) on 6 Apr, so 7 Apr to 5 Jun are in time and the window is closed from 6 Jun."""
    closed = fire(granted_treaty_case(), ClockKind.AMPARO_WINDOW, WINDOW_CLOSED)
    order = cmd.OrderSurrender.model_validate(
        {"ordered_on": "2026-03-25", "placed_at_disposal_on": "2026-04-06"})
    [recorded] = decide(closed, order, NOW, Policy())
    assert recorded.payload["placed_at_disposal_on"] == "2026-04-06"
    assert recorded.payload["pickup_deadline_on"] == "2026-06-06"
    ordered = replay(closed, [recorded])
    assert ordered.pickup is not None
    assert (ordered.pickup.started_on, ordered.pickup.due_on) == (d("2026-04-06"), d("2026-06-06"))
    assert case_view(ordered)["clocks"][-1]["due_on"] == "2026-06-06"


def test_a_placement_at_disposal_before_the_order_or_in_the_future_is_refused() -> None:
    closed = fire(granted_treaty_case(), ClockKind.AMPARO_WINDOW, WINDOW_CLOSED)

    def placed(on: str) -> cmd.OrderSurrender:
        return cmd.OrderSurrender.model_validate(
            {"ordered_on": "2026-03-25", "placed_at_disposal_on": on})

    assert rule_of(closed, placed("2026-03-24")) == "date_out_of_order"
    assert rule_of(closed, placed("2026-06-02")) == "date_in_future"  # NOW is 1 Jun
    with pytest.raises(ValueError, match="places nobody"):
        cmd.OrderSurrender.model_validate({"ordered_on": "2026-03-25", "kind": "deferred",
                                           "reason": "a Mexican trial",
                                           "placed_at_disposal_on": "2026-03-25"})


def test_a_placement_recorded_after_the_order_moves_the_pickup_window() -> None:
    """Ordered 25 Mar (the window would close from 25 May); the SRE's notice placing the person
    at the US's disposal went on 6 Apr, recorded later: the window closes from 6 Jun."""
    closed = fire(granted_treaty_case(), ClockKind.AMPARO_WINDOW, WINDOW_CLOSED)
    ordered = run(closed, surrender("2026-03-25"))
    assert case_view(ordered)["surrender"]["placed_at_disposal_on"] is None
    placed = run(ordered, cmd.RecordPlacementAtDisposal(placed_on=d("2026-04-06")))
    assert placed.pickup is not None
    assert (placed.pickup.started_on, placed.pickup.due_on) == (d("2026-04-06"), d("2026-06-06"))
    shown = case_view(placed)["surrender"]
    assert (shown["placed_at_disposal_on"], shown["pickup_deadline_on"]) == ("2026-04-06",
                                                                               "2026-06-06")


def test_a_placement_needs_an_order_and_is_recorded_once() -> None:
    closed = fire(granted_treaty_case(), ClockKind.AMPARO_WINDOW, WINDOW_CLOSED)

    def placement(on: str) -> cmd.RecordPlacementAtDisposal:
        return cmd.RecordPlacementAtDisposal(placed_on=d(on))

    assert rule_of(closed, placement("2026-04-06")) == "surrender_not_ordered"
    deferred = run(closed, surrender("2026-03-25", "deferred", "a Mexican trial"))
    assert rule_of(deferred, placement("2026-04-06")) == "surrender_not_ordered"
    ordered = run(closed, surrender("2026-03-25"))
    assert rule_of(ordered, placement("2026-03-24")) == "date_out_of_order"
    assert rule_of(ordered, placement("2026-06-02")) == "date_in_future"
    placed = run(ordered, placement("2026-04-06"))
    assert rule_of(placed, placement("2026-04-07")) == "placement_already_recorded"
    given = run(closed, cmd.OrderSurrender.model_validate(
        {"ordered_on": "2026-03-25", "placed_at_disposal_on": "2026-03-25"}))
    assert rule_of(given, placement("2026-04-06")) == "placement_already_recorded"


def test_a_placement_day_recorded_wrongly_is_corrected_with_its_reason() -> None:
    """The clerk typed 16 Apr for the SRE's notice of 6 Apr: the window would close from 16
    Jun, ten days after the person is free in law. The correction moves it back to 6 Jun, and
    the event names the day it replaces and why."""
    closed = fire(granted_treaty_case(), ClockKind.AMPARO_WINDOW, WINDOW_CLOSED)
    placed = run(run(closed, surrender("2026-03-25")),
                 cmd.RecordPlacementAtDisposal(placed_on=d("2026-04-16")))
    assert placed.pickup is not None and placed.pickup.due_on == d("2026-06-16")
    fix = cmd.RecordPlacementAtDisposal(placed_on=d("2026-04-06"),
                                        correction_reason="the SRE's note is dated 6 Apr")
    [corrected] = decide(placed, fix, NOW, Policy())
    assert (corrected.payload["corrects_placed_on"], corrected.payload["correction_reason"],
            corrected.payload["pickup_deadline_on"]) == ("2026-04-16",
                                                         "the SRE's note is dated 6 Apr",
                                                         "2026-06-06")
    shown = case_view(replay(placed, [corrected]))["surrender"]
    assert (shown["placed_at_disposal_on"], shown["pickup_deadline_on"]) == ("2026-04-06",
                                                                               "2026-06-06")


def test_a_correction_names_another_day_and_is_judged_like_the_first() -> None:
    closed = fire(granted_treaty_case(), ClockKind.AMPARO_WINDOW, WINDOW_CLOSED)
    given = run(closed, cmd.OrderSurrender.model_validate(
        {"ordered_on": "2026-03-25", "placed_at_disposal_on": "2026-03-30"}))

    def correction(on: str) -> cmd.RecordPlacementAtDisposal:
        return cmd.RecordPlacementAtDisposal(placed_on=d(on), correction_reason="misread")

    assert rule_of(given, correction("2026-03-30")) == "placement_already_recorded"
    assert rule_of(given, correction("2026-03-24")) == "date_out_of_order"
    assert rule_of(given, correction("2026-06-02")) == "date_in_future"
    corrected = run(given, correction("2026-03-27"))
    assert corrected.pickup is not None
    assert (corrected.pickup.started_on, corrected.pickup.due_on) == (d("2026-03-27"),
                                                                      d("2026-05-27"))


def test_an_order_recorded_before_placement_existed_runs_its_window_from_the_order() -> None:
    """Events recorded before `placed_at_disposal_on` existed lack it: they still read."""
    closed = fire(granted_treaty_case(), ClockKind.AMPARO_WINDOW, WINDOW_CLOSED)
    [recorded] = decide(closed, surrender("2026-03-25"), NOW, Policy())
    old = replace(recorded, payload={k: v for k, v in recorded.payload.items()
                                     if k != "placed_at_disposal_on"})
    ordered = replay(closed, [old])
    assert ordered.pickup is not None
    assert (ordered.pickup.started_on, ordered.pickup.due_on) == (d("2026-03-25"), d("2026-05-25"))


def test_no_surrender_while_a_suspension_is_active_even_after_the_window() -> None:
    """The window closes on its due date even with suits filed (the scheduler records it);
    the suspension then still blocks surrender on its own."""
    case = run(granted_treaty_case(), amparo(), suspension())
    assert case.status is Status.AMPARO_PENDING
    assert rule_of(case, surrender()) == "amparo_suspension_active"
    assert decide_timer(case, ClockKind.AMPARO_WINDOW, WINDOW_CLOSED).action \
        is TimerAction.FIRE
    closed = fire(case, ClockKind.AMPARO_WINDOW, WINDOW_CLOSED)
    assert closed.amparo_window_closed
    assert rule_of(closed, surrender()) == "amparo_suspension_active"


def test_a_pending_amparo_blocks_surrender_and_its_denial_lifts_the_block() -> None:
    """Denied after the window closed (1 Apr): once the denial is final (its 10 business days
    to appeal end on 15 Apr) nothing blocks surrender any more."""
    case = fire(run(granted_treaty_case(), amparo()), ClockKind.AMPARO_WINDOW, WINDOW_CLOSED)
    assert rule_of(case, surrender()) == "amparo_pending"
    denied = decide(case, ruling("denied"), NOW, Policy())
    assert denied[0].payload["surrender_blocked"] is True  # not final yet
    assert denied[0].payload["appeal_period_closes_on"] == "2026-04-16"
    assert rule_of(run(case, ruling("denied")), surrender("2026-04-15")) == "amparo_not_final"
    assert run(case, ruling("denied"), surrender("2026-04-16")).status \
        is Status.SURRENDER_ORDERED


def test_a_denied_amparos_suspension_holds_until_the_denial_is_final() -> None:
    """Denied Wed 1 Apr: the suspension holds while the denial can be appealed (to Wed 15 Apr)
    and ends on Thu 16 Apr, when the scheduler records it; a surrender order that day is
    not held back by it even before that record (the law, not the scheduler, decides)."""
    closed = fire(run(granted_treaty_case(), amparo(), suspension()), ClockKind.AMPARO_WINDOW,
                  WINDOW_CLOSED)
    denied = run(closed, ruling("denied"))
    assert denied.active_suspensions == ("A-1",)
    assert rule_of(denied, surrender("2026-04-15")) == "amparo_suspension_active"
    assert case_view(denied, d("2026-04-15"))["active_suspensions"] == ["A-1"]
    [period] = denied.running_clocks()
    assert (period.kind, period.due_on, period.days) == (
        ClockKind.AMPARO_APPEAL_PERIOD, d("2026-04-16"), 10)
    assert case_view(denied, d("2026-04-16"))["active_suspensions"] == []
    assert run(denied, surrender("2026-04-16")).status is Status.SURRENDER_ORDERED
    # The order records the suspension's end first, as it does the window's closing.
    assert types(denied, surrender("2026-04-16")) == ["judicial.amparo_suspension_lifted",
                                                      "judicial.surrender_ordered"]
    assert decide_timer(denied, ClockKind.AMPARO_APPEAL_PERIOD,
                        at("2026-04-15", 23, 59)).action is TimerAction.WAIT
    [lifted] = decide_timer(denied, ClockKind.AMPARO_APPEAL_PERIOD, at("2026-04-16")).events
    assert lifted.event_type == "judicial.amparo_suspension_lifted"
    assert (lifted.payload["lifted_on"], lifted.payload["cause"],
            lifted.payload["active_suspensions"]) == ("2026-04-16", "appeal_period_passed", [])
    assert replay(denied, [lifted]).running_clocks() == ()


def test_an_appeal_keeps_the_suspension_until_it_is_decided_against_the_person() -> None:
    appeal = cmd.FileAmparoAppeal.model_validate(
        {"amparo_id": "A-1", "filed_on": "2026-04-10", "appellant": "complainant"})
    closed = fire(run(granted_treaty_case(), amparo(), suspension()), ClockKind.AMPARO_WINDOW,
                  WINDOW_CLOSED)
    appealed = run(closed, ruling("denied"), appeal)
    assert appealed.running_clocks() == ()  # no period left to wait out: the appeal decides
    assert appealed.suspensions_in_force_on(d("2026-06-01")) == ("A-1",)
    decision = cmd.DecideAmparoAppeal.model_validate(
        {"amparo_id": "A-1", "decided_on": "2026-06-01", "outcome": "denied"})
    assert types(appealed, decision) == ["judicial.amparo_appeal_decided",
                                         "judicial.amparo_suspension_lifted"]
    assert run(appealed, decision).active_suspensions == ()
    # Reversed on appeal (amparo granted): the act is annulled instead of suspended, and the
    # grant holds surrender until the SRE decides again.
    reversed_ = run(appealed, cmd.DecideAmparoAppeal.model_validate(
        {"amparo_id": "A-1", "decided_on": "2026-06-01", "outcome": "granted"}))
    assert reversed_.active_suspensions == ()
    assert rule_of(reversed_, surrender("2026-06-02")) == "amparo_granted"


def test_an_amparo_denied_inside_the_window_does_not_open_the_way_to_surrender() -> None:
    """The rule is "no surrender while a suspension is active OR the window is open": a suit
    denied quickly does not close the 30-day window (it used to be read that way)."""
    denied = run(granted_treaty_case(), amparo("A-1", "2026-02-10"),
                 ruling("denied", on="2026-02-15"))
    assert denied.amparo_window_clock_running
    assert rule_of(denied, surrender("2026-02-20"), now=at("2026-02-20", 12)) \
        == "amparo_window_open"
    assert case_view(denied)["surrender_blocked_by"] == ["amparo_window_open",
                                                         "amparo_not_final"]
    assert [c.kind for c in denied.running_clocks()] == [ClockKind.AMPARO_WINDOW]
    # A second suit may still be brought while the window runs.
    assert run(denied, amparo("A-2", "2026-03-01")).pending_amparos == ("A-2",)


def test_the_window_closes_on_its_due_date_even_after_suits_and_then_surrender_follows() -> None:
    denied = run(granted_treaty_case(), amparo(), ruling("denied", on="2026-02-15"))
    [ruled] = decide(run(granted_treaty_case(), amparo()), ruling("denied", on="2026-02-15"),
                     NOW, Policy())
    assert ruled.payload["surrender_blocked"] is True  # the window is still open
    assert decide_timer(denied, ClockKind.AMPARO_WINDOW,
                        WINDOW_CLOSED - timedelta(seconds=1)).action is TimerAction.WAIT
    closed = fire(denied, ClockKind.AMPARO_WINDOW, WINDOW_CLOSED)
    assert closed.steps[-1].step == "amparo_window_closed"
    # An order dated inside the window stays refused even once the closing is recorded.
    assert rule_of(closed, surrender("2026-03-23")) == "amparo_window_open"
    assert run(closed, surrender("2026-03-24")).status is Status.SURRENDER_ORDERED


def test_an_order_after_the_due_date_records_the_closing_the_scheduler_has_not_yet() -> None:
    denied = run(granted_treaty_case(), amparo(), ruling("denied", on="2026-02-15"))
    assert denied.amparo_window_clock_running  # the scheduler has not run yet
    events = decide(denied, surrender("2026-03-24"), NOW, Policy())
    assert [e.event_type for e in events] == ["judicial.amparo_window_closed",
                                              "judicial.surrender_ordered"]
    assert events[0].occurred_at == WINDOW_CLOSED
    ordered = replay(denied, events)
    assert ordered.amparo_window_closed and ordered.status is Status.SURRENDER_ORDERED
    assert [c.kind for c in ordered.running_clocks()] == [ClockKind.PICKUP_WINDOW]


def test_a_granted_amparo_blocks_surrender_but_does_not_release_the_person() -> None:
    """Issue 14: a granted amparo sends the matter back to the SRE; the case stays open."""
    case = run(granted_treaty_case(), amparo(), suspension(), ruling("granted"))
    assert case.released is None and not case.closed
    assert case.active_suspensions == ()
    assert rule_of(case, surrender("2026-04-15")) == "amparo_not_final"
    assert rule_of(case, surrender("2026-04-16")) == "amparo_granted"  # final, still granted


def test_an_amparo_filed_after_the_window_is_refused() -> None:
    assert rule_of(granted_treaty_case(), amparo(on="2026-03-24")) == "amparo_filed_after_window"


def test_amparo_steps_need_the_suit() -> None:
    case = granted_treaty_case()
    assert rule_of(case, suspension("A-9")) == "amparo_not_filed"
    assert rule_of(run(case, amparo(), suspension()), suspension()) \
        == "suspension_already_active"


# --- surrender kinds --------------------------------------------------------------------------

def test_a_deferred_surrender_waits_without_a_pickup_clock_then_becomes_full() -> None:
    deferred = run(granted_treaty_case(), surrender("2026-02-07", "deferred", "trial in Jalisco"))
    assert deferred.status is Status.SURRENDER_DEFERRED and deferred.pickup is None
    closed = fire(deferred, ClockKind.AMPARO_WINDOW, WINDOW_CLOSED)
    assert run(closed, surrender("2026-04-10")).status is Status.SURRENDER_ORDERED


def test_a_temporary_surrender_needs_the_agreement_and_carries_the_return_obligation() -> None:
    closed = fire(granted_treaty_case(), ClockKind.AMPARO_WINDOW, WINDOW_CLOSED)
    assert rule_of(closed, surrender(kind="temporary")) == "temporary_surrender_not_agreed"
    agreed = run(closed, cmd.AgreeTemporarySurrender(agreed_on=d("2026-03-10"),
                                                     return_conditions="after the US trial"))
    [ordered] = decide(agreed, surrender(kind="temporary"), NOW, Policy())
    assert ordered.payload["return_obligation"] is True
    assert ordered.payload["return_conditions"] == "after the US trial"


def test_surrender_is_ordered_once() -> None:
    ordered = run(window_closed_case(),
                  surrender())
    assert rule_of(ordered, surrender()) == "surrender_already_ordered"


def test_the_pickup_window_expires_on_day_60_and_releases_the_person() -> None:
    ordered = run(window_closed_case(),
                  surrender("2026-04-10"))
    assert decide_timer(ordered, ClockKind.PICKUP_WINDOW,
                        at("2026-06-09", 23, 59, 59)).action is TimerAction.WAIT
    expired = fire(ordered, ClockKind.PICKUP_WINDOW, at("2026-06-10"))
    assert [s.step for s in expired.steps[-2:]] == ["pickup_window_expired",
                                                    "released_from_custody"]
    assert expired.released == (d("2026-06-10"), "pickup_window_expired")


# --- national security ------------------------------------------------------------------------

NS_TRANSFER = cmd.AuthorizeNationalSecurityTransfer(
    authorized_at=at("2025-02-27", 9), us_request_reference="DOJ-OIA-NS-1",
    authority="Secretaría de Seguridad y Protección Ciudadana")

JUDICIAL_STEPS: list[cmd.ClerkCommand] = [
    cmd.OrderProvisionalDetention(ordered_on=d("2026-01-01")), formal(), hearing(),
    cmd.GiveConsent(given_on=d("2026-01-08")), opinion(), sre(), amparo(), suspension(),
    ruling(), surrender(), cmd.FileObjections(filed_on=d("2026-01-11"), summary="x"),
    cmd.ExtendEvidencePeriod(extended_on=d("2026-01-11"), additional_days=5, reason="x"),
    cmd.AgreeTemporarySurrender(agreed_on=d("2026-02-07"), return_conditions="x"),
]


@pytest.mark.parametrize("step", JUDICIAL_STEPS, ids=lambda c: type(c).__name__)
def test_the_national_security_path_has_no_judicial_steps(step: cmd.ClerkCommand) -> None:
    assert rule_of(opened("national_security"), step) \
        == "national_security_has_no_judicial_steps"


@pytest.mark.parametrize("basis", ["treaty", "simplified"])
def test_a_national_security_transfer_needs_that_basis(basis: str) -> None:
    assert rule_of(opened(basis), NS_TRANSFER) == "basis_mismatch"


def test_a_national_security_transfer_is_authorized_once_and_says_it_is_no_extradition() -> None:
    [event] = decide(opened("national_security"), NS_TRANSFER, NOW, Policy())
    assert event.payload["is_extradition"] is False
    assert event.occurred_at == at("2025-02-27", 9)
    done = replay(opened("national_security"), [event])
    assert done.status is Status.TRANSFER_AUTHORIZED
    assert rule_of(done, NS_TRANSFER) == "transfer_already_authorized"


# --- closed cases -----------------------------------------------------------------------------

def _lapsed() -> State:
    return fire(run(opened(), cmd.OrderProvisionalDetention(ordered_on=d("2026-01-01"))),
                ClockKind.PROVISIONAL_DETENTION, at("2026-03-02"))


def _released_cases() -> list[State]:
    return [run(opened(), formal(), hearing(), opinion(), sre("refused"))]


@pytest.mark.parametrize("case", _released_cases(), ids=["refused"])
@pytest.mark.parametrize("step", [formal("2026-05-01"), hearing("2026-05-01"), opinion(),
                                  sre(), amparo("A-2"), surrender(), NS_TRANSFER],
                         ids=lambda c: type(c).__name__)
def test_every_step_on_a_released_case_is_refused(case: State,
                                                  step: cmd.ClerkCommand) -> None:
    assert case.closed
    assert rule_of(case, step) == "case_closed"


def test_a_lapsed_provisional_detention_stops_its_clock_but_not_the_case() -> None:
    """Issue 14 (treaty art. 11): the person is released from the provisional detention;
    the case stays open and a formal request arriving later proceeds."""
    lapsed = _lapsed()
    assert lapsed.provisional_lapsed and not lapsed.closed and lapsed.released is None
    assert run(lapsed, formal("2026-05-01")).formal_request_on == d("2026-05-01")
    assert lapsed.running_clocks() == ()
    assert decide_timer(lapsed, ClockKind.PROVISIONAL_DETENTION, NOW).action \
        is TimerAction.CANCEL


# --- the provisional-detention clock ----------------------------------------------------------

def detained(on: str = "2023-01-05", policy: Policy | None = None) -> State:
    return run(opened(), cmd.OrderProvisionalDetention(ordered_on=d(on)),
               policy=policy or Policy())


def test_provisional_detention_lapses_on_day_60_not_day_59() -> None:
    # Ovidio Guzmán: arrested 5 Jan 2023; the formal request was due by 5 Mar 2023.
    case = detained("2023-01-05")
    assert case.provisional is not None and case.provisional.due_on == d("2023-03-06")
    day_59_last_second = at("2023-03-05", 23, 59, 59)
    assert decide_timer(case, ClockKind.PROVISIONAL_DETENTION, day_59_last_second).action \
        is TimerAction.WAIT
    outcome = decide_timer(case, ClockKind.PROVISIONAL_DETENTION, at("2023-03-06"))
    assert outcome.action is TimerAction.FIRE
    assert [e.event_type for e in outcome.events] == [
        "judicial.provisional_detention_lapsed", "judicial.released_from_custody"]
    assert outcome.events[1].payload == {"case_id": "RWY-J1", "released_on": "2023-03-06",
                                         "reason": "provisional_detention_lapsed"}


def test_the_formal_request_on_day_59_stops_the_clock_and_on_day_60_is_too_late() -> None:
    case = detained("2023-01-05")
    stopped = run(case, formal("2023-03-05"))
    assert stopped.provisional_stopped_on == d("2023-03-05")
    assert decide_timer(stopped, ClockKind.PROVISIONAL_DETENTION, at("2023-03-06")).action \
        is TimerAction.CANCEL
    # On day 60 the detention has lapsed: the request is recorded after the lapse it records.
    late = decide(case, formal("2023-03-06"), NOW, Policy())
    assert [e.event_type for e in late] == [
        "judicial.provisional_detention_lapsed", "judicial.released_from_custody",
        "judicial.formal_request_received"]
    assert late[-1].payload["provisional_clock_stopped"] is False
    assert replay(case, late).status is Status.FORMAL_REQUEST_RECEIVED


def test_which_step_stops_the_provisional_clock_is_configuration() -> None:
    policy = Policy(provisional_clock_stopped_by=frozenset({"hearing_held"}))
    case = run(detained("2023-01-05", policy), formal("2023-02-01"), policy=policy)
    assert case.provisional_clock_running
    late = run(case, hearing("2023-03-06"), policy=policy)
    assert late.provisional_lapsed and late.hearing_on == d("2023-03-06")
    assert not run(case, hearing("2023-03-01"), policy=policy).provisional_clock_running


def test_provisional_detention_is_for_the_time_before_the_formal_request() -> None:
    case = run(opened(), formal())
    order = cmd.OrderProvisionalDetention(ordered_on=d("2026-01-06"))
    assert rule_of(case, order) == "formal_request_already_received"
    assert rule_of(detained(), cmd.OrderProvisionalDetention(ordered_on=d("2023-01-06"))) \
        == "provisional_detention_already_ordered"


# --- day counting -----------------------------------------------------------------------------

def test_calendar_days_count_every_day() -> None:
    assert Calendar().add_days(d("2026-01-02"), 3) == d("2026-01-05")


def test_business_days_skip_weekends_and_holidays() -> None:
    business = Calendar(DayCounting.BUSINESS, frozenset({d("2026-01-06")}))
    # Fri 2 Jan + 3 business days: Mon 5, (Tue 6 holiday), Wed 7, Thu 8.
    assert business.add_days(d("2026-01-02"), 3) == d("2026-01-08")
    assert Calendar(DayCounting.BUSINESS).add_days(d("2026-01-02"), 60) == d("2026-03-27")


def test_day_counting_applies_to_the_provisional_clock_but_not_to_pickup() -> None:
    policy = Policy(day_counting=DayCounting.BUSINESS)
    case = detained("2026-01-02", policy)
    assert case.provisional is not None
    # 60 business days, Mexico's holidays (2 Feb, 5 Feb, 16 Mar) skipped by default.
    assert case.provisional.due_on == d("2026-04-01")
    assert case.provisional.day_counting == "business"
    granted = run(opened(), formal(), hearing(), opinion(), sre(notified="2026-02-06"),
                  policy=policy)
    assert granted.amparo_window is not None
    assert granted.amparo_window.due_on == d("2026-03-24")
    closed = fire(granted, ClockKind.AMPARO_WINDOW, at("2026-03-24"))
    ordered = run(closed, surrender("2026-03-24"), policy=policy)
    assert ordered.pickup is not None and ordered.pickup.due_on == d("2026-05-24")


def test_the_amparo_window_length_is_configuration() -> None:
    granted = run(opened(), formal(), hearing(), opinion(), sre(),
                  policy=Policy(amparo_window_days=15))
    assert granted.amparo_window is not None
    # 15 business days from Mon 9 Feb end on Fri 27 Feb.
    assert granted.amparo_window.due_on == d("2026-02-28")


# --- hearing periods, dates, charges ----------------------------------------------------------

def test_the_hearing_sets_the_objection_and_evidence_periods_and_evidence_extends() -> None:
    """Held 10 Jan: the periods run from 11 Jan, so objections on 13 Jan (the 3rd day) and an
    extension on 30 Jan (the 20th) are in time; 14 Jan and 31 Jan are out of time."""
    case = run(opened(), formal(), hearing("2026-01-10"))
    assert (case.objections_due_on, case.evidence_due_on) == (d("2026-01-14"), d("2026-01-31"))
    last_day = cmd.ExtendEvidencePeriod(extended_on=d("2026-01-30"), additional_days=10,
                                        reason="translations")
    assert run(case, last_day).evidence_due_on == d("2026-02-10")
    late = cmd.ExtendEvidencePeriod(extended_on=d("2026-01-31"), additional_days=1, reason="x")
    assert rule_of(case, late) == "evidence_period_over"

    def objections_on(day: str) -> bool:
        [filed] = decide(case, cmd.FileObjections(filed_on=d(day), summary="x"), NOW, Policy())
        return bool(filed.payload["within_period"])
    assert (objections_on("2026-01-13"), objections_on("2026-01-14")) == (True, False)


def test_dates_cannot_be_in_the_future_or_before_the_step_they_follow() -> None:
    assert rule_of(opened(), formal((NOW.date() + timedelta(days=1)).isoformat())) \
        == "date_in_future"
    assert rule_of(run(opened(), formal("2026-01-05")), hearing("2026-01-04")) \
        == "date_out_of_order"


def test_steps_are_recorded_once() -> None:
    case = run(opened(), formal(), hearing(), opinion())
    assert rule_of(case, formal()) == "formal_request_already_received"
    assert rule_of(case, hearing()) == "hearing_already_held"
    assert rule_of(case, opinion()) == "opinion_already_issued"
    assert rule_of(run(case, sre()), sre()) == "sre_already_decided"


def test_a_charge_amendment_after_the_grant_is_flagged() -> None:
    [noted] = note_charges(granted_treaty_case(), ("c1", "c3"), "superseding", NOW)
    assert noted.payload["added_charge_ids"] == ["c3"]
    assert noted.payload["removed_charge_ids"] == ["c2"]
    assert noted.payload["after_sre_grant"] is True
    assert note_charges(State(), ("c1",), "x", NOW) == []


def test_the_view_shows_clocks_suspensions_and_steps() -> None:
    case = run(granted_treaty_case(), amparo(), suspension())
    view = case_view(case)
    assert view["status"] == "amparo_pending"
    assert view["active_suspensions"] == ["A-1"]
    assert view["surrender_blocked_by"] == ["amparo_suspension_active", "amparo_pending",
                                            "amparo_window_open"]
    assert [s["step"] for s in view["steps"]] == [
        "case_opened", "formal_request_received", "hearing_held", "judge_opinion_issued",
        "sre_extradition_granted", "amparo_filed", "amparo_suspension_granted"]
    detained_view = case_view(detained("2026-01-02"))
    assert detained_view["clocks"] == [{
        "kind": "provisional_detention", "started_on": "2026-01-02", "due_on": "2026-03-03",
        "days": 60, "day_counting": "calendar", "enforced": True}]


def test_bodies_name_the_bad_field() -> None:
    with pytest.raises(ValueError, match="notified_on"):
        cmd.DecideExtradition.model_validate({"decision": "granted", "decided_on": "2026-02-05",
                                              "notified_on": "2026-02-04"})
    with pytest.raises(ValueError, match="reason"):
        cmd.OrderSurrender.model_validate({"ordered_on": "2026-02-05", "kind": "deferred"})


# --- specialty: the granted charges are frozen at the SRE's grant -----------------------------

def _amended_after_the_grant() -> State:
    granted = granted_treaty_case()
    return replay(granted, note_charges(granted, ("c1", "c2", "c3"), "superseding", NOW))


def test_a_count_added_after_the_grant_is_not_in_the_surrender_order() -> None:
    case = _amended_after_the_grant()
    assert case.charge_ids == ("c1", "c2", "c3")
    assert case.granted_charge_ids == ("c1", "c2")
    closed = fire(case, ClockKind.AMPARO_WINDOW, WINDOW_CLOSED)
    [ordered] = decide(closed, surrender(), NOW, Policy())
    assert ordered.payload["granted_charge_ids"] == ["c1", "c2"]
    assert case_view(closed)["granted_charge_ids"] == ["c1", "c2"]


def test_the_pickup_expiry_bars_the_granted_charges_not_later_ones() -> None:
    closed = fire(granted_treaty_case(), ClockKind.AMPARO_WINDOW, WINDOW_CLOSED)
    ordered = run(closed, surrender("2026-04-10"))
    amended = replay(ordered, note_charges(ordered, ("c1", "c4"), "superseding", NOW))
    outcome = decide_timer(amended, ClockKind.PICKUP_WINDOW, at("2026-06-10"))
    assert outcome.events[0].payload["barred_charge_ids"] == ["c1", "c2"]


# --- the pickup window pauses during a suspension of the surrender's execution ---------------

def _ordered() -> State:
    """Surrender ordered on 2026-04-10: the pickup window's last day is 2026-06-09."""
    return run(window_closed_case(),
               surrender("2026-04-10"))


LATER = at("2026-09-01", 12)


def test_a_suspension_after_the_surrender_order_pauses_the_pickup_window() -> None:
    suspended = run(_ordered(), amparo("A-9", "2026-05-01"), suspension("A-9", "2026-05-05"),
                    now=LATER)
    assert suspended.pickup_paused_on == d("2026-05-05")
    assert ClockKind.PICKUP_WINDOW not in [c.kind for c in suspended.running_clocks()]
    # Long past the original deadline, nothing runs out and nobody is released.
    outcome = decide_timer(suspended, ClockKind.PICKUP_WINDOW, at("2026-08-01"))
    assert outcome.action is TimerAction.CANCEL and outcome.events == ()
    assert not suspended.closed


def test_lifting_the_suspension_resumes_the_pickup_window_moved_by_the_paused_days() -> None:
    suspended = run(_ordered(), amparo("A-9", "2026-05-01"), suspension("A-9", "2026-05-05"),
                    now=LATER)
    # Denied Thu 4 Jun: appealable to Thu 18 Jun, so the suspension ends on Fri 19 Jun.
    denied = run(suspended, ruling("denied", "A-9", "2026-06-04"), now=LATER)
    assert denied.pickup_paused_on == d("2026-05-05")
    assert [c.kind for c in denied.running_clocks()] == [ClockKind.AMPARO_APPEAL_PERIOD]
    # Paused 5 May, lifted 19 Jun: 45 days paused, so the 10 Jun closing moves to 25 Jul.
    [lifted] = decide_timer(denied, ClockKind.AMPARO_APPEAL_PERIOD, at("2026-06-19")).events
    assert lifted.payload["pickup_deadline_on"] == "2026-07-25"
    resumed = replay(denied, [lifted])
    assert resumed.pickup_paused_on is None
    assert resumed.pickup is not None and resumed.pickup.due_on == d("2026-07-25")
    assert case_view(resumed)["surrender"]["pickup_deadline_on"] == "2026-07-25"
    assert decide_timer(resumed, ClockKind.PICKUP_WINDOW,
                        at("2026-07-24", 23, 59, 59)).action is TimerAction.WAIT
    expired = fire(resumed, ClockKind.PICKUP_WINDOW, at("2026-07-25"))
    assert expired.released == (d("2026-07-25"), "pickup_window_expired")


def test_days_held_before_the_placement_at_disposal_do_not_move_the_pickup_deadline() -> None:
    """Ordered 10 Apr, placed at the US's disposal on 20 Apr: the window's days are 21 Apr to
    19 Jun. A suit against the order is suspended on 15 Apr and lifted on 19 Jun: it took
    all 60 days from 21 Apr, so they run again from 19 Jun and the window is closed from 18
    Aug, as if the hold had begun on 21 Apr (not from 24 Aug, counting from the 15th)."""
    order = cmd.OrderSurrender.model_validate(
        {"ordered_on": "2026-04-10", "placed_at_disposal_on": "2026-04-20"})
    ordered = run(window_closed_case(), order)
    assert ordered.pickup is not None and ordered.pickup.due_on == d("2026-06-20")
    suspended = run(ordered, amparo("A-9", "2026-04-12"), suspension("A-9", "2026-04-15"),
                    ruling("denied", "A-9", "2026-06-04"), now=LATER)
    [lifted] = decide_timer(suspended, ClockKind.AMPARO_APPEAL_PERIOD, at("2026-06-19")).events
    assert lifted.payload["pickup_deadline_on"] == "2026-08-18"
    on_day_one = run(ordered, amparo("A-9", "2026-04-12"), suspension("A-9", "2026-04-21"),
                     ruling("denied", "A-9", "2026-06-04"), now=LATER)
    [lifted] = decide_timer(on_day_one, ClockKind.AMPARO_APPEAL_PERIOD, at("2026-06-19")).events
    assert lifted.payload["pickup_deadline_on"] == "2026-08-18"


def test_the_pickup_window_resumes_only_when_the_last_suspension_is_lifted() -> None:
    both = run(_ordered(), amparo("A-8", "2026-05-01"), amparo("A-9", "2026-05-01"),
               suspension("A-8", "2026-05-05"), suspension("A-9", "2026-05-10"),
               ruling("denied", "A-8", "2026-05-20"), ruling("denied", "A-9", "2026-06-14"),
               now=LATER)
    # A-8's denial is final on Thu 4 Jun, A-9's on Sat 27 Jun. A-9's ruling, dated after the
    # 4th, records A-8's end first (the law had it so that day): the pause runs on under A-9.
    one_left = both
    a8 = one_left.amparo("A-8")
    assert a8 is not None and a8.lapsed_on == d("2026-06-04")
    assert one_left.active_suspensions == ("A-9",)
    assert one_left.pickup_paused_on == d("2026-05-05")
    assert decide_timer(one_left, ClockKind.PICKUP_WINDOW, at("2026-08-01")).action \
        is TimerAction.CANCEL
    [second] = one_left.running_clocks()
    assert second.due_on == d("2026-06-27")
    resumed = fire(one_left, ClockKind.AMPARO_APPEAL_PERIOD, at("2026-06-27"))
    assert resumed.pickup is not None and resumed.pickup.due_on == d("2026-08-02")  # +53


def test_a_suspension_after_the_pickup_deadline_is_refused() -> None:
    filed = run(_ordered(), amparo("A-9", "2026-06-01"), now=LATER)
    # The last day (9 Jun) is in time; the day after is not.
    assert run(filed, suspension("A-9", "2026-06-09"), now=LATER).pickup_paused_on \
        == d("2026-06-09")
    assert rule_of(filed, suspension("A-9", "2026-06-10"), now=LATER) == "pickup_window_passed"


# --- an amparo granted against a surrender order's execution (Amparo Law arts. 77, 81, 86;
# domain brief, corrections: "a granted amparo sends the matter back"): the grant holds the
# order while it can be reversed (the pickup window pauses), a reversal on appeal resumes the
# window, and a final grant sends the matter back to the SRE, whose new grant leads to a new
# order with its own window.

def _appeal(on: str = "2026-05-05") -> cmd.FileAmparoAppeal:
    return cmd.FileAmparoAppeal.model_validate(
        {"amparo_id": "X-1", "filed_on": on, "appellant": "authority"})


def _appeal_ruling(outcome: str, on: str = "2026-05-20") -> cmd.DecideAmparoAppeal:
    return cmd.DecideAmparoAppeal.model_validate(
        {"amparo_id": "X-1", "decided_on": on, "outcome": outcome})


def _granted_against_execution(*before: cmd.ClerkCommand) -> State:
    """X-1 filed 15 Apr against the order's execution, granted Fri 1 May."""
    return run(_ordered(), amparo("X-1", "2026-04-15"), *before,
               ruling("granted", "X-1", "2026-05-01"), _appeal(), now=LATER)


def test_a_grant_pauses_the_pickup_window_so_no_release_runs_while_it_can_be_reversed() -> None:
    case = _granted_against_execution()
    assert case.pickup_paused_on == d("2026-05-01")
    assert decide_timer(case, ClockKind.PICKUP_WINDOW, at("2026-06-10")).action \
        is TimerAction.CANCEL
    assert case.released is None and rule_of(case, surrender("2026-05-10"), now=LATER) \
        == "surrender_already_ordered"


def test_a_grant_reversed_on_appeal_resumes_the_window_moved_by_the_days_it_held() -> None:
    [decided] = decide(_granted_against_execution(), _appeal_ruling("denied"), LATER, Policy())
    # Paused 1 May, reversed 20 May: 19 days, so the 10 Jun closing moves to 29 Jun.
    assert decided.payload["pickup_deadline_on"] == "2026-06-29"
    resumed = run(_granted_against_execution(), _appeal_ruling("denied"), now=LATER)
    assert resumed.pickup_paused_on is None
    assert resumed.pickup is not None and resumed.pickup.due_on == d("2026-06-29")
    assert resumed.running_clocks()[0].kind is ClockKind.PICKUP_WINDOW
    expired = fire(resumed, ClockKind.PICKUP_WINDOW, at("2026-06-29"))
    assert expired.released == (d("2026-06-29"), "pickup_window_expired")


def test_a_suspension_the_grant_ended_keeps_the_window_paused_from_its_own_day() -> None:
    held = _granted_against_execution(suspension("X-1", "2026-04-16"))
    assert held.active_suspensions == () and held.pickup_paused_on == d("2026-04-16")
    resumed = run(held, _appeal_ruling("denied"), now=LATER)
    # Paused 16 Apr, freed 20 May: 34 days, so the window now closes on 14 Jul.
    assert resumed.pickup is not None and resumed.pickup.due_on == d("2026-07-14")


def test_a_final_grant_lets_the_sre_decide_again_and_order_surrender_anew() -> None:
    upheld = run(_granted_against_execution(), _appeal_ruling("granted"), now=LATER)
    assert rule_of(upheld, surrender("2026-05-21"), now=LATER) == "surrender_already_ordered"
    again = run(upheld, sre(on="2026-05-25", notified="2026-05-25"), now=LATER)
    assert again.status is Status.EXTRADITION_GRANTED
    assert again.surrender is None and again.pickup is None
    # The new grant's amparo window (30 business days from 26 May) closes on 7 Jul.
    window = again.amparo_window
    assert window is not None and window.due_on == d("2026-07-07")
    closed = fire(again, ClockKind.AMPARO_WINDOW, at("2026-07-07"))
    reordered = run(closed, surrender("2026-07-08"), now=LATER)
    assert reordered.status is Status.SURRENDER_ORDERED
    assert reordered.pickup is not None and reordered.pickup.due_on == d("2026-09-07")


def test_deciding_again_ends_the_suspensions_of_suits_against_the_annulled_order() -> None:
    """X-1's grant is final; X-2, against the same order's execution, holds a suspension. The
    SRE's new decision leaves X-2 without its object: its suspension ends, in the record."""
    held = run(_granted_against_execution(amparo("X-2", "2026-04-20"),
                                          suspension("X-2", "2026-04-21")),
               _appeal_ruling("granted"), now=LATER)
    assert held.active_suspensions == ("X-2",)
    recorded = decide(held, sre(on="2026-05-25", notified="2026-05-25"), LATER, Policy())
    assert [e.event_type for e in recorded] == ["judicial.amparo_suspension_lifted",
                                                "judicial.sre_extradition_granted"]
    assert (recorded[0].payload["amparo_id"], recorded[0].payload["cause"],
            recorded[0].payload["pickup_deadline_on"]) == ("X-2", "sre_decided_again", None)
    assert replay(held, recorded).active_suspensions == ()


def test_an_appeal_filed_in_time_but_entered_after_the_period_reinstates_the_suspension() -> None:
    """Denied Thu 4 Jun, appealable to Thu 18 Jun: the scheduler ends the suspension on the
    19th and the pickup window resumes (to 25 Jul). The appeal, filed on the 18th, is typed
    in on the 20th: the denial was never final, so the suspension holds again and the window
    pauses again from the 19th; the appeal decided on 1 Jul ends it for good, 57 days after
    the first pause (5 May), so the 10 Jun closing moves to 6 Aug."""
    denied = run(_ordered(), amparo("A-9", "2026-05-01"), suspension("A-9", "2026-05-05"),
                 ruling("denied", "A-9", "2026-06-04"), now=LATER)
    lapsed = fire(denied, ClockKind.AMPARO_APPEAL_PERIOD, at("2026-06-19"))
    assert lapsed.pickup is not None and lapsed.pickup.due_on == d("2026-07-25")
    appeal = cmd.FileAmparoAppeal.model_validate(
        {"amparo_id": "A-9", "filed_on": "2026-06-18", "appellant": "complainant"})
    assert [e.event_type for e in decide(lapsed, appeal, LATER, Policy())] == [
        "judicial.amparo_appeal_filed", "judicial.amparo_suspension_reinstated"]
    appealed = run(lapsed, appeal, now=LATER)
    assert appealed.active_suspensions == ("A-9",)
    assert appealed.pickup_paused_on == d("2026-06-19")
    assert appealed.running_clocks() == ()
    decided = run(appealed, cmd.DecideAmparoAppeal.model_validate(
        {"amparo_id": "A-9", "decided_on": "2026-07-01", "outcome": "denied"}), now=LATER)
    assert decided.active_suspensions == ()
    assert decided.pickup is not None and decided.pickup.due_on == d("2026-08-06")


def test_a_reinstated_suspension_holds_the_window_from_its_lift_under_a_later_pause() -> None:
    """As above, A-9's suspension is ended by the scheduler on 19 Jun and the window resumes;
    A-8's suspension pauses it again on 25 Jun; A-9's appeal, filed on the 18th, is typed in
    after: A-9 held the window all along, so it is held from the 19th, not from the 25th.
    A-9's appeal is decided on 1 Jul; A-8, denied that day, holds until its appeal period
    ends (16 Jul): the window, at 25 Jul after the first hold, moves by the 27 days from 19
    Jun, to 21 Aug (from the 25th it would have been 15 Aug)."""
    denied = run(_ordered(), amparo("A-9", "2026-05-01"), suspension("A-9", "2026-05-05"),
                 amparo("A-8", "2026-05-02"),
                 ruling("denied", "A-9", "2026-06-04"), now=LATER)
    lapsed = fire(denied, ClockKind.AMPARO_APPEAL_PERIOD, at("2026-06-19"))
    paused_again = run(lapsed, suspension("A-8", "2026-06-25"), now=LATER)
    assert paused_again.pickup_paused_on == d("2026-06-25")
    appealed = run(paused_again, cmd.FileAmparoAppeal.model_validate(
        {"amparo_id": "A-9", "filed_on": "2026-06-18", "appellant": "complainant"}), now=LATER)
    assert appealed.pickup_paused_on == d("2026-06-19")
    decided = run(appealed, ruling("denied", "A-8", "2026-07-01"),
                  cmd.DecideAmparoAppeal.model_validate(
                      {"amparo_id": "A-9", "decided_on": "2026-07-01", "outcome": "denied"}),
                  now=LATER)
    assert decided.pickup_paused_on == d("2026-06-19")
    resumed = fire(decided, ClockKind.AMPARO_APPEAL_PERIOD, at("2026-07-16"))
    assert resumed.pickup is not None and resumed.pickup.due_on == d("2026-08-21")


def test_a_hold_inside_a_reinstated_suspensions_takes_no_days_of_its_own() -> None:
    """As above, with a grant (A-7) holding the order 20-23 Jun, between A-9's recorded end
    (19 Jun) and A-8's pause: A-9 held the window all along, so A-7's days are A-9's too and
    the window still closes on 21 Aug, not three days later."""
    denied = run(_ordered(), amparo("A-9", "2026-05-01"), suspension("A-9", "2026-05-05"),
                 amparo("A-8", "2026-05-02"), amparo("A-7", "2026-05-02"),
                 ruling("denied", "A-9", "2026-06-04"), now=LATER)
    lapsed = fire(denied, ClockKind.AMPARO_APPEAL_PERIOD, at("2026-06-19"))
    held_by_a7 = run(lapsed, ruling("granted", "A-7", "2026-06-20"),
                     cmd.FileAmparoAppeal.model_validate(
                         {"amparo_id": "A-7", "filed_on": "2026-06-20", "appellant": "authority"}),
                     cmd.DecideAmparoAppeal.model_validate(
                         {"amparo_id": "A-7", "decided_on": "2026-06-23", "outcome": "denied"}),
                     suspension("A-8", "2026-06-25"),
                     cmd.FileAmparoAppeal.model_validate(
                         {"amparo_id": "A-9", "filed_on": "2026-06-18",
                          "appellant": "complainant"}),
                     ruling("denied", "A-8", "2026-07-01"),
                     cmd.DecideAmparoAppeal.model_validate(
                         {"amparo_id": "A-9", "decided_on": "2026-07-01", "outcome": "denied"}),
                     now=LATER)
    resumed = fire(held_by_a7, ClockKind.AMPARO_APPEAL_PERIOD, at("2026-07-16"))
    assert resumed.pickup is not None and resumed.pickup.due_on == d("2026-08-21")


def test_a_grant_dated_after_the_window_ran_out_does_not_pause_it() -> None:
    """Ordered 10 Apr, so 10 Jun is the first closed day; a grant ruled on 10 Jun (entered
    before the scheduler recorded the expiry) comes too late: the window still runs out."""
    late = run(_ordered(), amparo("X-1", "2026-04-15"), ruling("granted", "X-1", "2026-06-10"),
               now=LATER)
    assert late.pickup_paused_on is None
    expired = fire(late, ClockKind.PICKUP_WINDOW, at("2026-06-10", 0, 5))
    assert expired.released == (d("2026-06-10"), "pickup_window_expired")
    in_time = run(_ordered(), amparo("X-1", "2026-04-15"), ruling("granted", "X-1", "2026-06-09"),
                  now=LATER)
    assert in_time.pickup_paused_on == d("2026-06-09")


# --- acts in the order the law has them (review of 5 Dec 2026) --------------------------------

LATE = at("2026-12-01", 12)


def test_amparo_dated_after_the_window_but_before_the_order_is_refused() -> None:
    """rules.AMPARO_FILED_AFTER_WINDOW: after the window 'only the execution of a surrender
    order can still be challenged'. On 1 Apr (window closed 24 Mar) no order existed (it is
    dated 10 Apr), so a suit filed that day challenges the final grant and must be refused.
   """
    ordered = run(window_closed_case(), surrender("2026-04-10"), now=LATE)
    assert rule_of(ordered, amparo("X", "2026-04-01"), now=LATE) == "amparo_filed_after_window"


def test_temporary_surrender_order_dated_before_the_agreement_is_refused() -> None:
    """TEMPORARY_SURRENDER_NOT_AGREED: 'a temporary surrender needs the governments'
    agreement'; date_out_of_order: 'an act cannot be dated before the act it follows'. An
    order of 10 Apr rests on an agreement of 20 Apr: on its date there was none."""
    agreed = run(window_closed_case(), cmd.AgreeTemporarySurrender(
        agreed_on=d("2026-04-20"), return_conditions="returned after the US trial"), now=LATE)
    assert rule_of(agreed, surrender("2026-04-10", kind="temporary"), now=LATE) \
        == "date_out_of_order"


def test_full_surrender_order_dated_before_the_deferral_is_refused() -> None:
    """The same for a deferral (treaty art. 15): deferred on 1 May to wait for Mexican
    proceedings, then a full order dated 20 Apr is refused: the record would show the person
    surrendered before the deferral that was to hold them."""
    deferred = run(window_closed_case(),
                   surrender("2026-05-01", kind="deferred", reason="Mexican trial"), now=LATE)
    assert rule_of(deferred, surrender("2026-04-20"), now=LATE) == "date_out_of_order"


def test_transfer_authorised_before_the_basis_change_is_refused() -> None:
    """README 'Basis change': the status is basis_changed 'until the transfer authorisation
    follows'; date_out_of_order: 'an act cannot be dated before the act it follows'. A
    transfer authorised on 1 Feb after a change dated 27 Feb is refused."""
    changed = run(granted_treaty_case(), cmd.ChangeBasis(
        changed_on=d("2026-02-27"), to_basis="national_security", reason="NS decision",
        authority="SSPC"), now=LATE)
    authorize = cmd.AuthorizeNationalSecurityTransfer(
        authorized_at=at("2026-02-01", 10), us_request_reference="US-1", authority="SSPC")
    assert rule_of(changed, authorize, now=LATE) == "date_out_of_order"


def _simplified_granted() -> State:
    return run(opened("simplified"), formal(), cmd.GiveConsent(given_on=d("2026-01-08")),
               sre(on="2026-01-09", notified="2026-01-09"), now=LATE)


def test_opinion_after_the_sre_decided_is_refused() -> None:
    """Brief rule 3 and LEI (opinion sent to the SRE): the opinion precedes the decision;
    rules.duties: 'no opinion is due after its decision'. On the simplified basis the SRE
    decided on consent (9 Jan); an unfavourable opinion dated 12 Jan is refused."""
    assert rule_of(_simplified_granted(), opinion("2026-01-12", favorable=False), now=LATE) \
        == "sre_already_decided"


def test_hearing_after_the_sre_decided_is_refused() -> None:
    """Same for the hearing: accepted after the grant, and the view then shows objections
    and evidence periods running on a case already granted."""
    granted = _simplified_granted()
    assert rule_of(granted, hearing("2026-01-12"), now=LATE) == "sre_already_decided"


def test_any_step_after_the_provisional_deadline_records_the_lapse_first() -> None:
    """README: 'a step dated on or after the deadline the scheduler has not recorded yet
    records the lapse first'. With PROVISIONAL_CLOCK_STOPPED_BY=["consent_given"] (a
    documented setting) the clock still runs after the hearing: an opinion dated 10 Mar
    (deadline 2 Mar) is recorded after the lapse."""
    policy = Policy(provisional_clock_stopped_by=frozenset({"consent_given"}))
    case = run(opened(), cmd.OrderProvisionalDetention(ordered_on=d("2026-01-01")),
               formal("2026-01-05"), hearing("2026-01-10"), now=LATE, policy=policy)
    assert case.provisional is not None and case.provisional.due_on == d("2026-03-02")
    recorded = decide(case, opinion("2026-03-10"), LATE, policy)
    assert [e.event_type for e in recorded[:2]] == [
        "judicial.provisional_detention_lapsed", "judicial.released_from_custody"]
    assert recorded[2].event_type == "judicial.judge_opinion_issued"
    # The API's runner decides the step the same way (it was the bare step's decision).
    [step] = [s for s in STEPS if s.command is cmd.IssueOpinion]
    by_runner = lapse_first(step.decide)(case, opinion("2026-03-10"), LATE, policy)
    assert [(e.event_type, e.payload) for e in by_runner] == [
        (e.event_type, e.payload) for e in recorded]


def test_a_transfer_after_a_basis_change_does_not_record_a_lapse_the_change_stopped() -> None:
    """Treaty case, provisional detention ordered 1 Jan (deadline 2 Mar). On 20 Feb the case is
    overtaken by a national-security decision: judicial.basis_changed says
    stopped_clocks=["provisional_detention"] (domain.change_basis lists only clocks it stopped
    before their due day), and State.running_clocks() is () from then on, so the scheduler never
    fires that clock. The transfer is authorised on 5 Mar.

    A step after an unrecorded deadline records the lapse first, but not of a clock the
    change stopped: that lapse and release never happened (the record would contradict its
    own basis_changed event, and the release would go out to transport and intake)."""
    case = run(opened(), cmd.OrderProvisionalDetention(ordered_on=d("2026-01-01")), now=LATE)
    changed = run(case, cmd.ChangeBasis(changed_on=d("2026-02-20"), to_basis="national_security",
                                        reason="National Security Law decision",
                                        authority="SSPC"), now=LATE)
    basis_changed = changed.steps[-1]
    assert basis_changed.step == "basis_changed"
    assert changed.running_clocks() == ()  # the scheduler has no provisional clock to fire
    change_events = decide(case, cmd.ChangeBasis(
        changed_on=d("2026-02-20"), to_basis="national_security", reason="x", authority="SSPC"),
        LATE, Policy())
    assert change_events[-1].payload["stopped_clocks"] == ["provisional_detention"]

    authorised = decide(changed, cmd.AuthorizeNationalSecurityTransfer(
        authorized_at=at("2026-03-05", 10), us_request_reference="US-1", authority="SSPC"),
        LATE, Policy())
    assert [e.event_type for e in authorised] == [
        "judicial.national_security_transfer_authorized"], [e.event_type for e in authorised]


def test_after_a_final_amparo_grant_the_opinion_is_not_refused_as_after_the_sres_decision(
        ) -> None:
    """Simplified basis: consent 8 Jan, SRE grant 9 Jan (on the consent alone), amparo A-1
    granted 20 Jan and final once its appeal period passed (5 Feb). Domain brief, corrections:
    'A granted amparo sends the matter back (e.g. the SRE must decide again)';
    State.sre_reopened_on() is True and decide_extradition accepts a new decision on that very
    ground. The matter is back before the SRE, so 'the SRE has already decided: the judicial
    steps before it are over' is untrue; on this basis the new decision may rest on the judge's
    opinion (SRE_REQUIRES_CONSENT_OR_OPINION)."""
    case = run(opened("simplified"), formal(), cmd.GiveConsent(given_on=d("2026-01-08")),
               sre(on="2026-01-09", notified="2026-01-09"), amparo("A-1", "2026-01-12"),
               ruling("granted", "A-1", "2026-01-20"), now=LATE)
    assert case.sre_reopened_on(d("2026-03-01"))
    # The SRE may decide again on 1 Mar (the matter is back before it) ...
    assert decide(case, sre(on="2026-03-01", notified="2026-03-01"), LATE, Policy())
    # ... so the SRE has not "already decided" the matter on that day.
    opinion = cmd.IssueOpinion(issued_on=d("2026-03-01"), favorable=True)
    assert [e.event_type for e in decide(case, opinion, LATE, Policy())] == [
        "judicial.judge_opinion_issued"]


# --- review s14: the order's own terms, the view after the SRE, a ruling before its suspension

def test_the_provisional_clock_is_stopped_by_the_steps_its_order_recorded() -> None:
    """Ordered under the default setting (the formal request stops the clock; the event says
    so). The setting then changes to the hearing and the service restarts: the formal
    request on day 27 still stops this detention's clock, as its order recorded."""
    detained = run(opened(), cmd.OrderProvisionalDetention(ordered_on=d("2026-01-05")),
                   now=at("2026-01-05", 12))
    changed = Policy(provisional_clock_stopped_by=frozenset({"hearing_held"}))
    received = run(detained, formal("2026-02-01"), now=at("2026-02-01", 12), policy=changed)
    assert received.provisional_stopped_on == d("2026-02-01")
    assert not received.provisional_clock_running


def test_the_view_shows_no_hearing_periods_once_the_sre_has_decided() -> None:
    """Simplified basis: hearing 10 Jan, consent 12 Jan, the SRE grants on the consent alone on
    14 Jan. An extension is refused (`sre_already_decided`), so the view no longer lists the
    objections and evidence periods (it used to, due 31 Jan)."""
    granted = run(opened("simplified"), formal("2026-01-05"), hearing("2026-01-10"),
                  cmd.GiveConsent(given_on=d("2026-01-12")),
                  sre(on="2026-01-14", notified="2026-01-15"))
    extension = cmd.ExtendEvidencePeriod(extended_on=d("2026-01-20"), additional_days=5,
                                         reason="more evidence")
    assert rule_of(granted, extension) == "sre_already_decided"
    kinds = [clock["kind"] for clock in case_view(granted, d("2026-01-20"))["clocks"]]
    assert "evidence_period" not in kinds and "objections_period" not in kinds, kinds


def test_a_ruling_dated_before_its_suits_suspension_is_refused() -> None:
    """Entered the other way round, the suspension is refused (`amparo_already_decided`); a
    denial dated before the suspension it would end is refused too."""
    later = at("2026-09-01", 12)
    held = run(granted_treaty_case(), surrender("2026-04-10"), amparo("A-9", "2026-05-01"),
               suspension("A-9", "2026-05-20"), now=later)
    assert rule_of(held, ruling("denied", "A-9", "2026-05-10"), now=later) \
        == "date_out_of_order"
    assert run(held, ruling("denied", "A-9", "2026-05-20"), now=later).amparo("A-9") \
        is not None
