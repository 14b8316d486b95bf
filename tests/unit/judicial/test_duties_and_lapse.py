"""Mexico's own deadlines are duties, not bars (issue 14): the judge's opinion 5 days after
the evidence period (3 after consent), the SRE's decision 20 days after the opinion, shown as
clocks with `overdue` once passed; a late act is accepted."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.judicial import commands as cmd
from services.judicial.days import Policy
from services.judicial.domain import decide
from services.judicial.state import State, Status
from services.judicial.view import case_view

from .support import at, d, formal, hearing, opened, opinion, rule_of, run, sre

LATE = at("2026-12-01", 12)


def duty(state: State, day: str, kind: str) -> dict[str, Any]:
    clocks = case_view(state, date.fromisoformat(day))["clocks"]
    found = [c for c in clocks if c["kind"] == kind]
    assert len(found) == 1, clocks
    shown: dict[str, Any] = found[0]
    return shown


def heard() -> State:
    """Hearing 10 Jan: the evidence period's 20 days are 11-30 Jan; the opinion's 5 days
    after it are 31 Jan-4 Feb, so it is overdue from 5 Feb."""
    return run(opened(), formal(), hearing("2026-01-10"), now=LATE)


def test_the_judges_opinion_is_due_5_days_after_the_evidence_period() -> None:
    case = heard()
    assert duty(case, "2026-02-04", "judge_opinion_due") == {
        "kind": "judge_opinion_due", "started_on": "2026-01-31", "due_on": "2026-02-05",
        "days": 5, "day_counting": "calendar", "enforced": False, "overdue": False}
    assert duty(case, "2026-02-05", "judge_opinion_due")["overdue"] is True


def test_a_late_opinion_is_accepted_and_starts_the_sres_20_days() -> None:
    """Opinion 1 Mar: the 20 days after it are 2-21 Mar, so a decision on the 21st is in time."""
    late = run(heard(), opinion("2026-03-01"), now=LATE)
    assert late.opinion_on == d("2026-03-01")
    assert duty(late, "2026-03-21", "sre_decision_due")["overdue"] is False
    assert duty(late, "2026-03-22", "sre_decision_due")["started_on"] == "2026-03-02"
    assert duty(late, "2026-03-22", "sre_decision_due")["due_on"] == "2026-03-22"
    assert duty(late, "2026-03-22", "sre_decision_due")["overdue"] is True
    decided = run(late, sre(on="2026-04-15", notified="2026-04-15"), now=LATE)
    assert decided.granted
    assert [c["kind"] for c in case_view(decided, date(2026, 4, 16))["clocks"]] \
        == ["amparo_window"]


def test_after_consent_the_opinion_is_due_in_3_days() -> None:
    """Consent 8 Jan: the 3 days after it are 9-11 Jan; the opinion is overdue from the 12th."""
    consented = run(opened(), formal(), cmd.GiveConsent(given_on=d("2026-01-08")), now=LATE)
    assert duty(consented, "2026-01-11", "judge_opinion_due")["overdue"] is False
    assert duty(consented, "2026-01-12", "judge_opinion_due")["overdue"] is True


def test_a_formal_request_after_the_lapse_proceeds_with_the_person_free() -> None:
    lapsed = run(opened(), cmd.OrderProvisionalDetention(ordered_on=d("2026-01-02")),
                 formal("2026-03-10"), now=LATE)
    assert lapsed.provisional_lapsed and not lapsed.closed
    assert lapsed.status is Status.FORMAL_REQUEST_RECEIVED
    view = case_view(lapsed)
    assert view["provisional_detention_lapsed"] is True and view["released"] is None
    assert [s["step"] for s in view["steps"]][-3:] == [
        "provisional_detention_lapsed", "released_from_custody", "formal_request_received"]


def opinion_duties(state: State, day: str) -> list[dict[str, Any]]:
    return [c for c in case_view(state, date.fromisoformat(day))["clocks"]
            if c["kind"] == "judge_opinion_due"]


def test_no_opinion_is_due_once_the_sre_has_decided_on_the_consent_alone() -> None:
    """Review s10 #1. Simplified basis: consent 6 Jan, the SRE grants on 7 Jan without an
    opinion (allowed). The 3 days after consent end on 9 Jan, but the SRE has decided: the
    opinion is no longer due, on 1 Feb or on any later day."""
    consented = run(opened("simplified"), formal("2026-01-05"),
                    cmd.GiveConsent(given_on=d("2026-01-06")), now=LATE)
    assert opinion_duties(consented, "2026-01-07") != []
    granted = run(consented, sre(on="2026-01-07", notified="2026-01-07"), now=LATE)
    assert granted.granted
    assert opinion_duties(granted, "2026-02-01") == []
    assert [c["kind"] for c in case_view(granted, date(2026, 2, 1))["clocks"]] \
        == ["amparo_window"]


def test_consent_after_the_hearing_brings_the_opinion_forward_to_3_days_after_it() -> None:
    """Review s10 #2. Hearing 10 Jan (5-day duty: overdue from 5 Feb), consent 12 Jan: the 3
    days after it are 13-15 Jan, so the opinion is overdue from the 16th."""
    consented = run(heard(), cmd.GiveConsent(given_on=d("2026-01-12")), now=LATE)
    assert duty(consented, "2026-01-15", "judge_opinion_due")["overdue"] is False
    assert duty(consented, "2026-01-20", "judge_opinion_due") == {
        "kind": "judge_opinion_due", "started_on": "2026-01-13", "due_on": "2026-01-16",
        "days": 3, "day_counting": "calendar", "enforced": False, "overdue": True}


def test_consent_late_in_the_evidence_period_does_not_put_the_opinion_off() -> None:
    """Consent on 3 Feb, after the evidence period (11-30 Jan): the 3 days after it would end
    on 6 Feb, but the 5-day duty already ends on 5 Feb, and that day stands."""
    consented = run(heard(), cmd.GiveConsent(given_on=d("2026-02-03")), now=LATE)
    shown = duty(consented, "2026-02-05", "judge_opinion_due")
    assert (shown["due_on"], shown["days"], shown["overdue"]) == ("2026-02-05", 5, True)


def test_after_a_hearing_and_a_later_consent_the_opinion_follows_the_consent() -> None:
    """Review s10, left open then. Hearing 10 Jan, consent 12 Jan: both lead to the opinion,
    so one dated 11 Jan, between them, is out of order, and one on the 13th follows the
    consent (the 3-day opinion)."""
    consented = run(heard(), cmd.GiveConsent(given_on=d("2026-01-12")), now=LATE)
    assert rule_of(consented, opinion("2026-01-11"), now=LATE) == "date_out_of_order"
    [issued] = decide(consented, opinion("2026-01-13"), LATE, Policy())
    assert issued.payload["following"] == "consent"
