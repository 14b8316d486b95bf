"""A treaty case overtaken by a national-security transfer (issue 14; Rafael Caro Quintero,
27 Feb 2025, with amparo proceedings pending): an explicit, attributed act that keeps the
earlier proceedings, stops every clock and records the suspensions in force as overtaken."""

from __future__ import annotations

from datetime import UTC, datetime

from services.judicial import audit
from services.judicial import commands as cmd
from services.judicial.days import Policy
from services.judicial.domain import (
    TimerAction,
    decide,
    decide_timer,
    note_handover,
    open_case,
    replay,
)
from services.judicial.events import CaseOpened, HandedOver, LegalBasis
from services.judicial.state import ClockKind, State, Status, initial
from services.judicial.view import case_view
from shared.eventstore import NewEvent
from tests.support.stored import as_recorded

from .support import (
    POLICY,
    amparo,
    at,
    d,
    formal,
    granted_treaty_case,
    hearing,
    opened,
    opinion,
    rule_of,
    run,
    sre,
    suspension,
)

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
    # The amparo suit is still pending in court, but it no longer holds the person: the case
    # waits for the transfer's authorisation, not for the amparo.
    assert case.pending_amparos and case.status is Status.BASIS_CHANGED
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


def clock_kinds(state: State, day: str) -> list[str]:
    return [c["kind"] for c in case_view(state, d(day))["clocks"]]


def test_the_hearing_periods_are_not_shown_once_the_case_moved_to_national_security() -> None:
    """Review s10 #3. Hearing 10 Jan (objections until 13 Jan, evidence until 30 Jan), basis
    changed 12 Jan: that basis has no judge and every clock stopped, so neither period is
    shown, before or after the handover."""
    heard = run(opened(), formal(), hearing("2026-01-10"), now=LATE)
    assert clock_kinds(heard, "2026-01-11")[:2] == ["objections_period", "evidence_period"]
    changed = run(heard, change("2026-01-12"), now=LATE)
    assert clock_kinds(changed, "2026-01-13") == []
    handed = replay(changed, note_handover(changed, HandedOver(
        case_id="RWY-J1", handed_over_at=at("2026-01-14", 15), handed_over_on=d("2026-01-14"),
        flight_id="F-1", place="Toluca airport", custody_transfer_event_id="e-9")))
    assert clock_kinds(handed, "2026-01-15") == []


def detained_until_6_march() -> State:
    """Provisional detention ordered 5 Jan 2026: lapsed on 6 Mar without a formal request;
    the scheduler has not recorded the lapse yet."""
    case = run(opened(), cmd.OrderProvisionalDetention(ordered_on=d("2026-01-05")), now=LATE)
    assert case.provisional is not None and case.provisional.due_on == d("2026-03-06")
    return case


def test_a_change_after_the_provisional_deadline_records_the_lapse_first() -> None:
    """Review s10 #4: as every step dated on or after the deadline does; the change stopped
    no clock (the detention had already lapsed), so no timer is left to cancel it."""
    events = decide(detained_until_6_march(), change("2026-03-10"), LATE, POLICY)
    assert [e.event_type for e in events] == [
        "judicial.provisional_detention_lapsed", "judicial.released_from_custody",
        "judicial.basis_changed"]
    assert events[-1].payload["stopped_clocks"] == []
    case = replay(detained_until_6_march(), events)
    assert case.provisional_lapsed and not case.closed and case.national_security


def test_a_change_before_the_provisional_deadline_stops_the_detention_clock() -> None:
    [changed] = decide(detained_until_6_march(), change("2026-03-05"), LATE, POLICY)
    assert changed.payload["stopped_clocks"] == ["provisional_detention"]


def transferred_with_a_suit_pending() -> list[NewEvent]:
    """Rafael Caro Quintero's pattern: grant notified 6 Feb 2026, amparo A-1 filed 10 Feb
    with its suspension on 11 Feb (window open until 20 Mar), basis changed 20 Feb, transfer
    authorised and the person handed over on 27 Feb."""
    opening = CaseOpened(case_id="RWY-J1", opened_at=at("2025-12-01"),
                         legal_basis=LegalBasis.TREATY, requesting_district="EDNY",
                         charge_ids=("c1",), intake_event_id="e-1")
    state = initial()
    events = open_case(state, opening)
    state = replay(state, events)
    for command in (formal(), hearing(), opinion(), sre(), amparo(), suspension(),
                    change("2026-02-20"), cmd.AuthorizeNationalSecurityTransfer(
                        authorized_at=datetime(2026, 2, 27, 9, tzinfo=UTC),
                        us_request_reference="DOJ-1", authority="SSPC")):
        new = decide(state, command, LATE, POLICY)
        events, state = events + new, replay(state, new)
    return events + note_handover(state, HandedOver(
        case_id="RWY-J1", handed_over_at=at("2026-02-27", 15), handed_over_on=d("2026-02-27"),
        flight_id="F-1", place="Toluca airport", custody_transfer_event_id="e-9"))


def test_the_audit_names_no_amparo_hold_on_a_transferred_case() -> None:
    """Review s10 #5: the suit stays pending in the record but holds nobody once the case
    moved to national security; the audit, the view and the domain ask the same rules."""
    events = transferred_with_a_suit_pending()
    recorded = as_recorded(events, stream_id="RWY-J1", stream_type="judicial_case",
                           at=at("2026-02-28", 12))
    assert [b.rule for b in audit.blockers(recorded)] == []
    changed = replay(initial(), events[:8])  # up to the basis change, before the transfer
    assert changed.national_security and changed.pending_amparos == ("A-1",)
    assert case_view(changed, d("2026-02-21"))["surrender_blocked_by"] \
        == ["national_security_has_no_judicial_steps"]
