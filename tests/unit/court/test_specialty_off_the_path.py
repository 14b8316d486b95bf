"""The rule of specialty off the common path (review of 5 Dec 2026): a count rests on the facts
its indictment named as they stood when it was filed; an intake amendment after the landing
cannot move a granted count to another offence; the exception for a later offence is not for
a count on the request's facts, nor for an offence dated after the indictment charging it; a
person lent by temporary surrender is never free to leave; acts keep their order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.court import arrival, domain, specialty
from services.court.arrival import IntakeAmendment
from services.court.domain import CourtCase, ExceptionFacts
from services.court.events import ChargeText, Plea, SpecialtyException
from services.court.view import case_view
from shared.errors import RuleViolation
from shared.eventstore import NewEvent

from .helpers import CASE, NOW, POLICY, ready_to_arraign, step, text

# The clock: long after the landing (12 Aug 2025, 18:00 UTC); the detention hearing of
# ready_to_arraign is dated 15 Aug 2025.
CLOCK = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)

MURDER = ChargeText(charge_id="c9", statute="18 U.S.C. § 1111", description="murder")
VICAR = ChargeText(charge_id="c2", statute="18 U.S.C. § 1959",
                   description="violent crime in aid of racketeering")
OFFENCE_AFTER = SpecialtyException.OFFENCE_AFTER_EXTRADITION
STAYED = SpecialtyException.STAYED_AFTER_FREE_TO_LEAVE


def refusal(call: Callable[[], object]) -> str | None:
    """The rule a command is refused under, or None when it is accepted."""
    try:
        call()
    except RuleViolation as refused:
        return refused.rule
    return None


def shown(state: CourtCase, charge_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in case_view(state)["charges"]
                                 if c["charge_id"] == charge_id)
    return found


def supersede(state: CourtCase, filed_on: date, *counts: ChargeText,
              facts_of: dict[str, str] | None = None) -> CourtCase:
    return step(state, domain.file_superseding_indictment(state, filed_on, counts, CLOCK,
                                                          facts_of))


def exception(state: CourtCase, kind: SpecialtyException, found_on: date,
              **facts: Any) -> list[NewEvent]:
    return domain.record_specialty_exception(state, kind, ExceptionFacts(**facts), found_on,
                                             "Order 2026-14", CLOCK)


def c1_granted_c2_not() -> CourtCase:
    """Treaty case: the request had c1 and c2; Mexico granted c1 only. Landed, docketed,
    appeared, ordered detained on 15 Aug 2025."""
    return ready_to_arraign("c1", "c2", granted=["c1"])


# --- a count rests on the facts named as they stood when it was filed ---------------------

def test_re_describing_another_charge_later_does_not_lift_the_bar_on_a_count_on_its_facts(
        ) -> None:
    """c9 (murder) is filed on the facts of c2, which Mexico did NOT grant: flagged and blocked.
    A later indictment re-describes c2 itself on c1's facts. Nothing about c9 changed and
    Mexico never consented: c9 stays blocked (it was triable, "re_described", when the
    facts were read through c2 as it stands now)."""
    state = supersede(c1_granted_c2_not(), date(2025, 9, 1), MURDER, facts_of={"c9": "c2"})
    assert shown(state, "c9")["status"] == "blocked_pending_consent"
    state = supersede(state, date(2025, 10, 1), VICAR, facts_of={"c2": "c1"})
    # c9 still rests on the conduct c2 described in the request (outside the grant).
    assert shown(state, "c9")["prosecutable"] is False, shown(state, "c9")
    assert refusal(lambda: domain.arraign(state, date(2025, 10, 2), Plea.NOT_GUILTY, ["c9"],
                                          CLOCK)) == "specialty_consent_required"


def test_restating_a_re_described_charge_does_not_silently_block_a_count_on_its_facts(
        ) -> None:
    """README: "A re-description of a re-described count still rests on the granted
    charge's facts." c2 is re-described on c1's facts, c9 re-describes c2 (so rests on c1's
    facts) and is arraigned. A later indictment restates c2 under a new statute naming no
    facts: c9 is not in that indictment and stays re-described (it silently turned into an
    arraigned, blocked, 'not_granted' count)."""
    state = supersede(c1_granted_c2_not(), date(2025, 9, 1), VICAR, facts_of={"c2": "c1"})
    state = supersede(state, date(2025, 9, 2), MURDER, facts_of={"c9": "c2"})
    assert shown(state, "c9")["status"] == "re_described"
    state = step(state, domain.arraign(state, date(2025, 9, 3), Plea.NOT_GUILTY, ["c9"], CLOCK))
    state = supersede(state, date(2025, 10, 1),
                      ChargeText(charge_id="c2", statute="18 U.S.C. § 924(j)",
                                 description="murder with a firearm"))
    assert shown(state, "c9")["status"] == "re_described", shown(state, "c9")
    assert shown(state, "c9")["blocked"] is False


# --- offence_after_extradition on a count resting on the request's facts ------------------

def test_a_count_on_the_facts_of_a_requested_charge_is_no_offence_after_the_extradition(
        ) -> None:
    """c9 rests (facts_of) on c2's facts: the conduct the extradition request described,
    necessarily before the extradition. README: offence_after_extradition is refused 'as for
    a charge of the extradition request' (it was accepted, and c9, outside the grant and
    never consented to, became triable)."""
    state = supersede(c1_granted_c2_not(), date(2025, 9, 1), MURDER, facts_of={"c9": "c2"})
    assert shown(state, "c9")["status"] == "blocked_pending_consent"
    assert refusal(lambda: exception(state, OFFENCE_AFTER, date(2025, 10, 1),
                                     committed_on=date(2025, 8, 20), charge_ids=("c9",))) \
        == "offence_not_after_extradition"


# --- no offence is committed after the indictment that charged it ------------------------

def test_an_offence_is_not_committed_after_the_indictment_that_charged_it() -> None:
    """The superseding indictment of 1 Sep 2025 charges c9: an exception saying the offence was
    committed on 1 Oct 2025 is refused (it lifted c9 without Mexico's consent). An
    indictment cannot charge an offence not yet committed."""
    state = supersede(c1_granted_c2_not(), date(2025, 9, 1), MURDER)
    assert refusal(lambda: exception(state, OFFENCE_AFTER, date(2025, 10, 5),
                                     committed_on=date(2025, 10, 1), charge_ids=("c9",))) \
        in ("date_out_of_order", "offence_not_after_extradition")


# --- no arraignment before the re-description that made the count triable ---------------

def test_an_arraignment_is_not_dated_before_the_re_description_that_made_the_count_triable(
        ) -> None:
    """c2 was outside the grant until the indictment of 1 Oct 2025 re-described it on c1's
    facts. An arraignment on c2 dated 15 Sep 2025 (when c2 was still 'not_granted') is
    refused. README 'Dates in order': an arraignment is not dated before what made the count
    triable."""
    state = c1_granted_c2_not()
    assert refusal(lambda: domain.arraign(state, date(2025, 9, 15), Plea.NOT_GUILTY, ["c2"],
                                          CLOCK)) == "specialty_charge_not_granted"
    state = supersede(state, date(2025, 10, 1), VICAR, facts_of={"c2": "c1"})
    assert refusal(lambda: domain.arraign(state, date(2025, 9, 15), Plea.NOT_GUILTY, ["c2"],
                                          CLOCK)) == "date_out_of_order"


# --- temporary surrender: the person due back in Mexico is not "free to leave" ----------

def test_a_temporarily_surrendered_person_cannot_be_sent_to_a_third_state_without_consent(
        ) -> None:
    """Temporary surrender (brief rule 7): when the US proceedings end the person is due back
    in Mexico (court.return_to_mexico_due, due the same day). They were never free to leave:
    'stayed 60 days after being free to leave' is refused (held_for_return_to_mexico), so
    the person Mexico only lent is not surrendered to Spain without Mexico's consent (treaty
    art. 17(1): 'nor be extradited ... to a third State')."""
    state = ready_to_arraign("c1", kind="temporary")
    ended_on = date(2025, 9, 12)
    state = step(state, domain.end_proceedings(state, ended_on, "convicted", CLOCK, POLICY))
    assert case_view(state)["return_to_mexico"]["due_on"] == "2025-09-12"
    assert refusal(lambda: exception(state, STAYED, date(2025, 11, 20),
                                     free_to_leave_on=ended_on)) == "held_for_return_to_mexico"
    state = step(state, domain.request_reextradition(state, "Spain", date(2025, 11, 25),
                                                     "Spain note 77", CLOCK))
    assert refusal(lambda: domain.surrender_onward(state, "Spain", date(2025, 12, 1), CLOCK)) \
        == "reextradition_consent_missing"


# --- a date past year 9999 - 60 days is refused, not a 500 ------------------------------

def test_a_free_to_leave_date_near_the_end_of_the_calendar_is_refused_not_a_crash() -> None:
    """free_to_leave_on is a plain `date` in the body (no bound); the domain added 60 days
    before any check, so 9999-12-31 raised OverflowError (a 500). A date after the finding
    is now refused first."""
    state = ready_to_arraign("c1")
    state = step(state, domain.end_proceedings(state, date(2025, 9, 12), "acquitted", CLOCK,
                                               POLICY))
    try:
        outcome: str | None = refusal(lambda: exception(state, STAYED, date(2026, 1, 1),
                                                        free_to_leave_on=date(9999, 12, 31)))
    except OverflowError:
        outcome = "OverflowError (HTTP 500)"
    assert outcome == "date_out_of_order", outcome


# --- the proceedings do not end before an indictment filed in them ----------------------

def test_the_proceedings_do_not_end_before_the_last_superseding_indictment() -> None:
    """A superseding indictment was filed on 1 Oct 2025; the end of the proceedings dated
    1 Sep 2025 is refused (date_out_of_order: 'an act cannot be dated before the act it
    follows'). The end date also starts the 60 days of art. 17(1)(b)."""
    state = supersede(ready_to_arraign("c1"), date(2025, 10, 1), MURDER)
    assert refusal(lambda: domain.end_proceedings(state, date(2025, 9, 1), "dismissed", CLOCK,
                                                  POLICY)) == "date_out_of_order"


def test_the_helpers_build_the_case_the_tests_assume() -> None:
    state = c1_granted_c2_not()
    assert shown(state, "c1")["status"] == "granted"
    assert shown(state, "c2")["status"] == "not_granted"
    assert timedelta(0) < CLOCK - datetime(2025, 8, 12, 18, tzinfo=UTC)


# --- an intake amendment after the landing is no re-description ------------------------

def test_an_intake_amendment_after_the_landing_cannot_turn_a_granted_count_into_another(
        ) -> None:
    """Mexico granted c1 (21 U.S.C. § 841, drugs). After the landing, intake amends the
    request so that c1 reads 18 U.S.C. § 1111 (murder): a new offence, not triable without
    Mexico's consent, as the same change made by a superseding indictment naming no facts
    (rule specialty_same_facts; README 'Re-described offences'). It stayed 'granted'."""
    state = c1_granted_c2_not()
    amended = ChargeText(charge_id="c1", statute="18 U.S.C. § 1111",
                         description="murder of a federal agent")
    events = arrival.note_amendment(state, IntakeAmendment(
        case_id=CASE, charges=(amended, text("c2")), reason="new theory",
        intake_event_id="ev-amend-1", recorded_at=NOW), NOW)
    assert events and events[0].payload["after_intake_opened"] is True
    state = step(state, events)
    assert shown(state, "c1")["statute"] == "18 U.S.C. § 1111"
    assert shown(state, "c1")["prosecutable"] is False, shown(state, "c1")["status"]


def test_an_amendment_that_only_re_dots_the_statute_keeps_the_granted_count_triable() -> None:
    """Mexico granted c1 and c2 (21 U.S.C. § 841 / § 842). After the landing intake's charge
    list is replaced (PUT /cases/{id}/charges) with c1 written '21 USC 841': the same statute,
    the same offence, still granted (shared.citations: one citation however dotted; the
    rule is for an amendment that 'puts a charge under another statute')."""
    state = ready_to_arraign("c1", "c2")
    assert specialty.prosecutable(state, "c1")
    redotted = ChargeText(charge_id="c1", statute="21 USC 841", description="count c1")
    events = arrival.note_amendment(state, IntakeAmendment(
        case_id=CASE, charges=(redotted, text("c2")), reason="retyped",
        intake_event_id="ev-amend-9", recorded_at=NOW), NOW)
    assert events and events[0].payload["after_intake_opened"] is True
    amended = step(state, events)
    assert specialty.prosecutable(amended, "c1"), \
        specialty.charge_status(amended, "c1")
