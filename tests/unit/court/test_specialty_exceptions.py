"""Specialty beyond the grant and consent (treaty art. 17, issue 14 finding 6): a granted
offence re-described on the same facts stays inside the grant and one on other facts does
not; the exceptions the court records (stayed 60 days after being free to leave, left and
came back, an offence after the extradition) lift the bar; onward extradition to a third
state needs Mexico's consent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from services.court import audit, domain
from services.court import events as ev
from services.court.domain import CourtCase, ExceptionFacts
from services.court.events import ChargeText, LegalBasis, SpecialtyException
from services.court.view import case_view
from shared.errors import RuleViolation
from shared.eventstore import NewEvent
from tests.support.stored import types

from .helpers import (
    LANDED,
    NOW,
    POLICY,
    appeared,
    arraign,
    fold,
    landed,
    ready_to_arraign,
    recorded,
    step,
    supersede,
    text,
)

LANDED_ON = date(2025, 8, 12)  # 18:00 UTC is 12:00 in Mexico City: the same legal day
# After the landing, before the superseding indictment of 15 Aug that charged it.
COMMITTED = date(2025, 8, 14)
LATER = LANDED + timedelta(days=400)  # the clock, long after the landing
NEW_STATUTE = ChargeText(charge_id="c1", statute="18 U.S.C. § 1959",
                         description="violent crime in aid of racketeering")


def rule_of(call: Callable[[], object]) -> str:
    with pytest.raises(RuleViolation) as refusal:
        call()
    return refusal.value.rule


def shown(state: CourtCase, charge_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in case_view(state)["charges"]
                                 if c["charge_id"] == charge_id)
    return found


def file(state: CourtCase, *counts: ChargeText, facts_of: dict[str, str] | None = None
         ) -> list[NewEvent]:
    return domain.file_superseding_indictment(state, LATER.date(), counts, LATER, facts_of)


# --- the re-described offence (art. 17(2)) -----------------------------------------------

def test_a_granted_count_under_a_new_statute_naming_no_facts_is_a_new_offence() -> None:
    state = ready_to_arraign("c1")
    filed = file(state, NEW_STATUTE)
    assert types(filed) == [ev.SUPERSEDING_INDICTMENT_FILED, ev.SPECIALTY_VIOLATION_BLOCKED]
    state = step(state, filed)
    assert shown(state, "c1")["status"] == "blocked_pending_consent"
    assert rule_of(lambda: arraign(state, "c1")) == "specialty_consent_required"


def test_a_granted_count_re_described_on_the_same_facts_stays_inside_the_grant() -> None:
    state = ready_to_arraign("c1")
    filed = file(state, NEW_STATUTE, facts_of={"c1": "c1"})
    assert types(filed) == [ev.SUPERSEDING_INDICTMENT_FILED]
    state = step(state, filed)
    assert shown(state, "c1")["status"] == "granted"
    assert shown(state, "c1")["statute"] == "18 U.S.C. § 1959"
    assert arraign(state, "c1")


def test_a_new_count_on_a_granted_charges_facts_is_inside_the_grant() -> None:
    state = ready_to_arraign("c1")
    count = ChargeText(charge_id="c9", statute="18 U.S.C. § 1959", description="VICAR")
    state = step(state, file(state, count, facts_of={"c9": "c1"}))
    assert shown(state, "c9")["status"] == "re_described"
    assert shown(state, "c9")["facts_of"] == "c1"
    assert shown(state, "c9")["blocked_by"] == []
    assert arraign(state, "c9", now=LATER)


def test_a_new_count_on_an_ungranted_charges_facts_is_outside_the_grant() -> None:
    state = ready_to_arraign("c1", "c2", granted=["c1"])
    count = ChargeText(charge_id="c9", statute="18 U.S.C. § 1959", description="VICAR")
    state = step(state, file(state, count, facts_of={"c9": "c2"}))
    assert shown(state, "c9")["status"] == "blocked_pending_consent"


def test_the_facts_named_must_be_a_charge_of_the_case() -> None:
    state = ready_to_arraign("c1")
    assert rule_of(lambda: file(state, NEW_STATUTE, facts_of={"c1": "c7"})) \
        == "facts_not_in_case"


def test_a_count_restated_under_its_own_statute_keeps_its_facts() -> None:
    state = ready_to_arraign("c1")
    tightened = text("c1").model_copy(update={"description": "CCE, 1985-2013"})
    state = step(state, file(state, tightened))
    assert shown(state, "c1")["status"] == "granted"


def test_indictments_recorded_before_facts_were_named_keep_their_meaning() -> None:
    """v1 kept a restated count in the grant whatever its statute: upcast, it still is."""
    state = ready_to_arraign("c1")
    [filed] = file(state, NEW_STATUTE, facts_of={"c1": "c1"})
    v1 = {**filed.payload, "charges": [{k: v for k, v in c.items() if k != "facts_of"}
                                       for c in filed.payload["charges"]]}
    old = NewEvent(ev.SUPERSEDING_INDICTMENT_FILED, v1, schema_version=1)
    folded = audit.fold(recorded([old]))
    assert folded.charges["c1"].facts_of == "c1"
    assert filed.schema_version == 2


# --- the exceptions ------------------------------------------------------------------------

def blocked_count(basis: LegalBasis = LegalBasis.TREATY) -> CourtCase:
    """c1 granted, c9 a superseding count on other facts, blocked."""
    state = ready_to_arraign("c1", basis=basis)
    return step(state, supersede(state, "c1", "c9"))


def ended(state: CourtCase, on: date) -> CourtCase:
    """The proceedings ended (an acquittal): a person held until then is free to leave."""
    return step(state, domain.end_proceedings(state, on, "acquitted", LATER, POLICY))


def except_(state: CourtCase, exception: SpecialtyException, found_on: date,
            **facts: Any) -> list[NewEvent]:
    return domain.record_specialty_exception(state, exception, ExceptionFacts(**facts),
                                             found_on, "Order 2026-14", LATER)


def test_staying_60_days_after_being_free_to_leave_lifts_the_bar() -> None:
    """Acquitted and free on 1 Oct: the 60 days after are 2 Oct-30 Nov, and on the 30th the
    person may still leave in time; the exception holds from 1 Dec."""
    state = ended(blocked_count(), date(2025, 10, 1))
    free = date(2025, 10, 1)
    stayed = SpecialtyException.STAYED_AFTER_FREE_TO_LEAVE
    assert rule_of(lambda: except_(state, stayed, date(2025, 11, 30),
                                   free_to_leave_on=free)) == "specialty_exception_too_early"
    state = step(state, except_(state, stayed, date(2025, 12, 1), free_to_leave_on=free))
    assert shown(state, "c9")["status"] == "specialty_exception"
    assert shown(state, "c9")["blocked_by"] == []
    assert case_view(state)["specialty"]["exceptions"] == [{
        "exception": "stayed_after_free_to_leave",
        "rule": "specialty_exception_stayed_after_free_to_leave",
        "found_on": "2025-12-01", "charge_ids": [], "lapsed_charge_ids": []}]


def test_counts_added_after_an_exception_for_the_whole_case_are_not_held_back() -> None:
    """Released on conditions (not held), free to leave on 1 Oct, still in the US on 1 Dec:
    a superseding indictment's new counts then need no consent."""
    state = appeared(step(landed("c1"), domain.assign_docket(landed("c1"), "1:09-cr-1", NOW)))
    state = step(state, domain.decide_detention(state, "released_on_conditions", NOW.date(),
                                                "bond; stay in the district", NOW))
    state = step(state, except_(state, SpecialtyException.STAYED_AFTER_FREE_TO_LEAVE,
                                date(2025, 12, 1), free_to_leave_on=date(2025, 10, 1)))
    filed = supersede(state, "c1", "c9", "c8")
    assert types(filed) == [ev.SUPERSEDING_INDICTMENT_FILED]
    assert arraign(step(state, filed), "c9", "c8", now=LATER)


def test_free_to_leave_is_not_while_held_nor_before_the_proceedings_ended() -> None:
    """Ordered detained on 15 Aug: free to leave is refused until the proceedings' end is
    recorded (acquitted 30 Sep), and then cannot be dated before it."""
    stayed = SpecialtyException.STAYED_AFTER_FREE_TO_LEAVE
    held = blocked_count()
    assert rule_of(lambda: except_(held, stayed, date(2025, 12, 1),
                                   free_to_leave_on=date(2025, 8, 15))) == "date_out_of_order"
    acquitted = ended(held, date(2025, 9, 30))
    assert rule_of(lambda: except_(acquitted, stayed, date(2025, 12, 1),
                                   free_to_leave_on=date(2025, 8, 15))) == "date_out_of_order"
    assert except_(acquitted, stayed, date(2025, 11, 30), free_to_leave_on=date(2025, 9, 30))


def test_leaving_and_coming_back_lifts_the_bar_dates_in_order() -> None:
    state = blocked_count()
    returned = SpecialtyException.LEFT_AND_RETURNED
    assert rule_of(lambda: except_(state, returned, date(2025, 12, 1),
                                   left_on=date(2025, 11, 1),
                                   returned_on=date(2025, 10, 1))) == "date_out_of_order"
    assert rule_of(lambda: except_(state, returned, date(2025, 12, 1),
                                   left_on=date(2025, 11, 1))) \
        == "specialty_exception_details_required"
    state = step(state, except_(state, returned, date(2025, 12, 1),
                                left_on=date(2025, 10, 1), returned_on=date(2025, 11, 1)))
    assert specialty_blocked(state) == []


def specialty_blocked(state: CourtCase) -> list[str]:
    return list(case_view(state)["specialty"]["blocked_charge_ids"])


def test_an_offence_after_the_extradition_lifts_the_bar_on_its_counts_only() -> None:
    state = blocked_count()
    state = step(state, supersede(state, "c1", "c9", "c8"))
    later = SpecialtyException.OFFENCE_AFTER_EXTRADITION
    assert rule_of(lambda: except_(state, later, date(2025, 12, 1), committed_on=LANDED_ON,
                                   charge_ids=("c9",))) == "offence_not_after_extradition"
    assert rule_of(lambda: except_(state, later, date(2025, 12, 1),
                                   committed_on=COMMITTED)) == "charges_required"
    # the indictment of 15 Aug cannot charge an offence committed after it
    assert rule_of(lambda: except_(state, later, date(2025, 12, 1),
                                   committed_on=date(2025, 9, 1), charge_ids=("c9",))) \
        == "date_out_of_order"
    state = step(state, except_(state, later, date(2025, 12, 1),
                                committed_on=COMMITTED, charge_ids=("c9",)))
    assert specialty_blocked(state) == ["c8"]
    assert arraign(state, "c9", now=LATER)


def test_on_the_national_security_basis_there_is_no_bar_to_lift() -> None:
    state = blocked_count(LegalBasis.NATIONAL_SECURITY)
    assert rule_of(lambda: except_(
        state, SpecialtyException.STAYED_AFTER_FREE_TO_LEAVE, date(2025, 12, 1),
        free_to_leave_on=date(2025, 9, 1))) == "specialty_defence_unavailable"
    assert case_view(state)["specialty"]["unavailable_under"] == "specialty_defence_unavailable"


# --- onward extradition to a third state ---------------------------------------------------

def onward(state: CourtCase, to: str = "Spain") -> list[NewEvent]:
    return domain.surrender_onward(state, to, date(2026, 1, 20), LATER)


def asked(state: CourtCase, by: str = "Spain") -> CourtCase:
    return step(state, domain.request_reextradition(state, by, date(2025, 11, 1),
                                                    "Spain note 77", LATER))


def answered(state: CourtCase, granted: bool, by: str = "Spain") -> CourtCase:
    return step(state, domain.decide_reextradition_consent(
        state, by, granted, date(2025, 12, 1), "SRE note 2025-300", LATER))


def test_onward_surrender_needs_the_request_and_mexicos_consent() -> None:
    state = ready_to_arraign("c1")
    assert rule_of(lambda: onward(state)) == "reextradition_not_requested"
    assert rule_of(lambda: answered(state, True)) == "reextradition_not_requested"
    state = asked(state)
    [spain] = case_view(state)["reextraditions"]
    assert spain["blocked_by"] == ["reextradition_consent_missing"]
    assert rule_of(lambda: onward(state)) == "reextradition_consent_missing"
    refused_ = answered(state, False)
    assert rule_of(lambda: onward(refused_)) == "reextradition_consent_missing"
    assert rule_of(lambda: answered(refused_, True)) == "reextradition_already_answered"

    state = answered(state, True)
    [surrendered] = onward(state)
    assert surrendered.event_type == ev.ONWARD_SURRENDER_RECORDED
    assert surrendered.payload["under"] == "mexico_consent"
    state = fold(state, [surrendered])
    assert rule_of(lambda: onward(state)) == "onward_surrender_already_recorded"
    assert case_view(state)["reextraditions"][0]["surrendered_on"] == "2026-01-20"


def test_consent_for_one_state_does_not_cover_another() -> None:
    state = answered(asked(asked(ready_to_arraign("c1")), "Italy"), True)
    assert rule_of(lambda: onward(state, "Italy")) == "reextradition_consent_missing"


def test_an_exception_for_the_whole_case_allows_onward_surrender_without_consent() -> None:
    free = date(2025, 9, 1)
    state = asked(ended(ready_to_arraign("c1"), free))
    state = step(state, except_(state, SpecialtyException.STAYED_AFTER_FREE_TO_LEAVE,
                                free + timedelta(days=61), free_to_leave_on=free))
    [surrendered] = onward(state)
    assert surrendered.payload["under"] == "stayed_after_free_to_leave"


def test_a_later_offence_does_not_allow_onward_surrender() -> None:
    state = asked(blocked_count())
    state = step(state, except_(state, SpecialtyException.OFFENCE_AFTER_EXTRADITION,
                                date(2025, 12, 1), committed_on=COMMITTED,
                                charge_ids=("c9",)))
    assert rule_of(lambda: onward(state)) == "reextradition_consent_missing"


def test_on_the_national_security_basis_onward_surrender_needs_no_consent() -> None:
    state = asked(ready_to_arraign("c1", basis=LegalBasis.NATIONAL_SECURITY))
    [surrendered] = onward(state)
    assert surrendered.payload["under"] == "specialty_not_applicable"
