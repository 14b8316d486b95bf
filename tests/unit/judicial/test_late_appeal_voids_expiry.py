"""An amparo appeal filed in time but typed in after the scheduler had ended the suit's
suspension, resumed the pickup window and let it run out (a doubtful item of the last stop):
the denial was never final, so the suspension held all along and the window with it. The
expiry and its release are void; the case is open again, held by the suspension."""

from __future__ import annotations

from datetime import date

from services.judicial import audit as judicial_audit
from services.judicial import commands as cmd
from services.judicial.domain import decide, decide_timer, replay
from services.judicial.events import ReleaseReason
from services.judicial.state import ClockKind, State
from services.judicial.view import case_view
from shared.audit.asof import Question, Selection
from shared.eventstore import NewEvent
from tests.support.stored import as_recorded

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
    surrender,
    suspension,
)

LATER = at("2026-09-01", 12)


def window_closed_case() -> State:
    """The treaty case granted on 6 Feb, its amparo window closed on 24 Mar."""
    return fire(granted_treaty_case(), ClockKind.AMPARO_WINDOW, at("2026-03-24"))


def expired_after_the_lift() -> State:
    """Ordered 10 Apr (window to 9 Jun). A-9's suspension holds from 5 May; denied 4 Jun,
    appealable to 18 Jun. The scheduler ends the suspension on the 19th: the window resumes,
    to 25 Jul, and runs out then, releasing the person."""
    denied = run(window_closed_case(), surrender("2026-04-10"), amparo("A-9", "2026-05-01"),
                 suspension("A-9", "2026-05-05"), ruling("denied", "A-9", "2026-06-04"),
                 now=LATER)
    lapsed = fire(denied, ClockKind.AMPARO_APPEAL_PERIOD, at("2026-06-19"))
    assert lapsed.pickup is not None and lapsed.pickup.due_on == d("2026-07-25")
    expired = fire(lapsed, ClockKind.PICKUP_WINDOW, at("2026-07-25", 1))
    assert expired.pickup_expired
    assert expired.released == (d("2026-07-25"), ReleaseReason.PICKUP_WINDOW_EXPIRED)
    return expired


def appeal(filed_on: str) -> cmd.FileAmparoAppeal:
    return cmd.FileAmparoAppeal.model_validate(
        {"amparo_id": "A-9", "filed_on": filed_on, "appellant": "complainant"})


def test_the_appeal_is_recorded_and_voids_the_expiry_and_the_release() -> None:
    expired = expired_after_the_lift()
    events = decide(expired, appeal("2026-06-18"), LATER, POLICY)
    # The suspension first: a reader never sees the person free in between.
    assert [e.event_type for e in events] == [
        "judicial.amparo_appeal_filed", "judicial.amparo_suspension_reinstated",
        "judicial.pickup_expiry_voided_by_appeal"]
    assert events[1].payload["pickup_paused"] is True
    voided = events[2].payload
    assert voided["lifted_on"] == "2026-06-19" and voided["deadline_on"] == "2026-07-25"
    assert voided["release_voided"] is True and voided["released_on"] == "2026-07-25"


def test_the_case_is_open_again_and_held_by_the_suspension() -> None:
    appealed = run(expired_after_the_lift(), appeal("2026-06-18"), now=LATER)
    assert appealed.released is None and not appealed.pickup_expired
    assert appealed.active_suspensions == ("A-9",)
    assert appealed.pickup_paused_on == d("2026-06-19")
    assert appealed.running_clocks() == ()  # nothing runs out while the appeal is pending
    view = case_view(appealed, d("2026-09-01"))
    assert view["release_voided_on"] == "2026-07-25"
    assert "amparo_suspension_active" in view["surrender_blocked_by"]


def test_the_window_resumes_when_the_appeal_is_decided_with_every_day_paused_counted() -> None:
    """Paused from 5 May with 36 days left (to 10 Jun, the first closed day); the appeal,
    decided on 1 Sep, ends the suspension: the window closes 36 days later, on 7 Oct."""
    appealed = run(expired_after_the_lift(), appeal("2026-06-18"), now=LATER)
    decided = run(appealed, cmd.DecideAmparoAppeal.model_validate(
        {"amparo_id": "A-9", "decided_on": "2026-09-01", "outcome": "denied"}), now=LATER)
    assert decided.pickup is not None and decided.pickup.due_on == d("2026-10-07")
    assert [c.kind for c in decided.running_clocks()] == [ClockKind.PICKUP_WINDOW]


def test_an_appeal_out_of_time_leaves_the_expiry_standing() -> None:
    assert rule_of(expired_after_the_lift(), appeal("2026-06-19"), LATER) == "case_closed"


def test_a_window_that_ran_out_before_the_suspension_was_lifted_is_not_voided() -> None:
    """A suspension granted after the window had run out never held it (the expiry came
    first): its appeal, entered after the release, finds the case closed."""
    late_suit = run(window_closed_case(), surrender("2026-04-10"), amparo("A-9", "2026-05-01"),
                    now=LATER)
    expired = fire(late_suit, ClockKind.PICKUP_WINDOW, at("2026-06-10", 1))
    assert expired.pickup_expired
    assert rule_of(expired, appeal("2026-06-18"), LATER) == "case_closed"


def test_a_later_valid_release_is_not_shown_as_voided() -> None:
    """The appeal decided on 1 Sep, the resumed window runs out on 7 Oct: that release stands,
    and the view no longer names the earlier void as the case's news."""
    appealed = run(expired_after_the_lift(), appeal("2026-06-18"), now=LATER)
    decided = run(appealed, cmd.DecideAmparoAppeal.model_validate(
        {"amparo_id": "A-9", "decided_on": "2026-09-01", "outcome": "denied"}), now=LATER)
    again = fire(decided, ClockKind.PICKUP_WINDOW, at("2026-10-07", 1))
    assert again.released == (d("2026-10-07"), ReleaseReason.PICKUP_WINDOW_EXPIRED)
    assert case_view(again, d("2026-10-08"))["release_voided_on"] is None


def test_the_void_is_dated_at_the_expiry_it_voids() -> None:
    """Read as of 20 Jun (after the appeal's filing, before the expiry of 25 Jul), there was no
    release to void; as of 26 Jul the case is open, the release void."""
    events: list[NewEvent] = []

    def record(state: State, new: list[NewEvent]) -> State:
        events.extend(new)
        return replay(state, new)

    state = record(granted_treaty_case(), list(decide_timer(
        granted_treaty_case(), ClockKind.AMPARO_WINDOW, at("2026-03-24")).events))
    for command in (surrender("2026-04-10"), amparo("A-9", "2026-05-01"),
                    suspension("A-9", "2026-05-05"), ruling("denied", "A-9", "2026-06-04")):
        state = record(state, decide(state, command, LATER, POLICY))
    for kind, when in ((ClockKind.AMPARO_APPEAL_PERIOD, at("2026-06-19")),
                       (ClockKind.PICKUP_WINDOW, at("2026-07-25", 1))):
        state = record(state, list(decide_timer(state, kind, when).events))
    record(state, decide(state, appeal("2026-06-18"), LATER, POLICY))
    stream = as_recorded(events, stream_id="RWY-J1", stream_type="judicial_case", at=LATER)

    def as_of(day: date) -> dict[str, object]:
        view, _ = Selection.of(Question.legal(day, zone="America/Mexico_City"),
                               stream).fold(judicial_audit.view)
        return dict(view)

    assert as_of(d("2026-06-20"))["release_voided_on"] is None
    after = as_of(d("2026-07-26"))
    assert after["release_voided_on"] == "2026-07-25" and after["released"] is None
