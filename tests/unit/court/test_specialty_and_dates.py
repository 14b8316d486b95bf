"""Specialty and the order of the court's acts (review of 5 Dec 2026): a re-description of a
re-description keeps the grant's facts; a consented count restated as a new offence needs
consent again; a charge of the request is no offence "after the extradition"; arraignments,
the end of the proceedings and an onward surrender are not dated before what they follow;
Mexico's answer to a pending request can be recorded after an exception; Rule 5's hours are
never shown at the limit for a late appearance."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from services.court import domain, specialty
from services.court.domain import ExceptionFacts
from services.court.events import ChargeText, Plea, SpecialtyException
from services.court.state import CourtCase
from services.court.view import case_view
from shared.errors import RuleViolation
from shared.eventstore import NewEvent
from tests.unit.court.helpers import (
    LANDED,
    NOW,
    POLICY,
    appeared,
    landed,
    ready_to_arraign,
    step,
    text,
)

LATER = LANDED + timedelta(days=120)          # the clock: 10 Dec 2025


def shown(state: CourtCase, charge_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in case_view(state)["charges"]
                                 if c["charge_id"] == charge_id)
    return found


def supersede_on(state: CourtCase, filed_on: date, *counts: ChargeText,
                 facts_of: dict[str, str] | None = None) -> list[NewEvent]:
    return domain.file_superseding_indictment(state, filed_on, counts, LATER, facts_of)


# 1. A re-description of a re-described count (same facts) leaves the grant --------------

def test_a_count_re_describing_a_re_described_count_stays_inside_the_grant() -> None:
    state = ready_to_arraign("c1")                        # c1 granted
    vicar = ChargeText(charge_id="c9", statute="18 U.S.C. § 1959", description="VICAR")
    state = step(state, supersede_on(state, date(2025, 9, 1), vicar, facts_of={"c9": "c1"}))
    assert shown(state, "c9")["status"] == "re_described"   # c9 rests on c1's facts
    # Second superseding indictment re-describes c9 (hence c1's facts) under another statute.
    rico = ChargeText(charge_id="c10", statute="18 U.S.C. § 1962", description="RICO")
    filed = supersede_on(state, date(2025, 10, 1), rico, facts_of={"c10": "c9"})
    state = step(state, filed)
    assert shown(state, "c10")["status"] == "re_described", shown(state, "c10")
    assert domain.arraign(state, date(2025, 10, 2), Plea.NOT_GUILTY, ["c10"], LATER)


# 2. The proceedings can end before the initial appearance / detention hearing -----------

def test_proceedings_cannot_end_before_the_initial_appearance() -> None:
    state = ready_to_arraign("c1")   # landed 12 Aug, appeared 13 Aug, detention 15 Aug
    with pytest.raises(RuleViolation) as refused:
        domain.end_proceedings(state, date(2025, 8, 12), "dismissed", NOW, POLICY)
    assert refused.value.rule == "date_out_of_order"


# 3. Arraignment dated before Mexico's consent / before the count existed ---------------

def _consented_c9() -> CourtCase:
    state = ready_to_arraign("c1")                           # detention 15 Aug
    state = step(state, supersede_on(state, date(2025, 9, 10), text("c9")))  # flagged
    state = step(state, domain.request_consent(state, ["c9"], date(2025, 9, 11),
                                               "US note 1", LATER))
    return step(state, domain.decide_consent(state, True, ["c9"], date(2025, 9, 20),
                                             "SRE note 1", LATER))


def test_an_arraignment_is_not_dated_before_mexicos_consent_on_the_count() -> None:
    state = _consented_c9()
    with pytest.raises(RuleViolation) as refused:
        domain.arraign(state, date(2025, 9, 15), Plea.NOT_GUILTY, ["c9"], LATER)
    assert refused.value.rule == "date_out_of_order"


def test_an_arraignment_is_not_dated_before_the_indictment_that_brought_the_count() -> None:
    state = _consented_c9()
    with pytest.raises(RuleViolation) as refused:
        domain.arraign(state, date(2025, 9, 1), Plea.NOT_GUILTY, ["c9"], LATER)
    assert refused.value.rule == "date_out_of_order"


# 4. A pending consent request can no longer be answered once the count is lifted --------

def test_mexicos_answer_to_a_pending_request_can_still_be_recorded() -> None:
    state = ready_to_arraign("c1")
    state = step(state, supersede_on(state, date(2025, 9, 10), text("c9")))
    state = step(state, domain.request_consent(state, ["c9"], date(2025, 9, 11),
                                               "US note 1", LATER))
    state = step(state, domain.record_specialty_exception(
        state, SpecialtyException.OFFENCE_AFTER_EXTRADITION,
        ExceptionFacts(committed_on=date(2025, 8, 20), charge_ids=("c9",)),
        date(2025, 9, 25), "Order 1", LATER))
    # The view says the request is pending, and Mexico's note of 1 Oct can be recorded.
    assert shown(state, "c9")["consent"]["status"] == "requested"
    state = step(state, domain.decide_consent(state, True, ["c9"], date(2025, 10, 1),
                                              "SRE note 2", LATER))
    assert shown(state, "c9")["consent"]["status"] == "granted"


# 5. An offence from the extradition request recorded as "committed after the extradition"

def test_a_charge_of_the_extradition_request_is_not_an_offence_after_the_extradition() -> None:
    state = ready_to_arraign("c1", "c2", granted=("c1",))   # Mexico declined c2
    with pytest.raises(RuleViolation) as refused:
        domain.record_specialty_exception(
            state, SpecialtyException.OFFENCE_AFTER_EXTRADITION,
            ExceptionFacts(committed_on=date(2025, 8, 20), charge_ids=("c2",)),
            date(2025, 9, 25), "Order 1", LATER)
    assert refused.value.rule == "offence_not_after_extradition"


# 6. Rule 5: the hours shown do not match the late flag ----------------------------------

def test_an_appearance_shown_at_exactly_the_limit_is_not_flagged_late() -> None:
    state = landed("c1")
    state = appeared(state, hours=48 + 10 / 3600)          # 48 h 00 min 10 s
    view = case_view(state)["initial_appearance"]
    # Rounded up: a late appearance reads 48.01 hours, never the limit itself.
    assert (view["hours_elapsed"], view["limit_hours"], view["late"]) == (48.01, 48, True)


# 7. Onward surrender dated before Mexico's consent ---------------------------------------

def test_onward_surrender_is_not_dated_before_mexicos_consent() -> None:
    state = ready_to_arraign("c1")
    state = step(state, domain.request_reextradition(state, "Spain", date(2025, 9, 1),
                                                     "ES-1", LATER))
    state = step(state, domain.decide_reextradition_consent(
        state, "Spain", True, date(2025, 10, 1), "SRE note 9", LATER))
    with pytest.raises(RuleViolation) as refused:
        domain.surrender_onward(state, "Spain", date(2025, 9, 15), LATER)   # before consent
    assert refused.value.rule == "date_out_of_order"


# 9. A consented count restated as a new offence rides on the old consent ----------------

def test_a_consented_count_restated_under_a_new_statute_naming_no_facts_needs_new_consent(
) -> None:
    state = _consented_c9()        # c9 (21 U.S.C. § 849) consented by Mexico on 20 Sep
    laundering = ChargeText(charge_id="c9", statute="18 U.S.C. § 1956",
                            description="money laundering")
    filed = supersede_on(state, date(2025, 10, 1), laundering)
    state = step(state, filed)
    # A new offence, as the same restatement of a granted count is: blocked again, flagged.
    assert "c9" in specialty.blocked_charge_ids(state), shown(state, "c9")["status"]
    assert filed[-1].event_type == "court.specialty_violation_blocked"
    assert filed[0].payload["consents_lapsed"] == ["c9"]
