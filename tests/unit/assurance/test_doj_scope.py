"""The DOJ commitment's scope as data (issue 14 finding 8): on the national-security basis a
commitment clears only the capital counts it covers (it names them, or every count), only if
it does not seek death, and only for the prosecution it binds: a state's count needs that
state's own commitment. Texts on this basis name the commitment, never treaty art. 8.

Before, any recorded commitment cleared every capital count, whatever its words said: a
commitment reading "will seek the death penalty" cleared the case."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.assurance import audit, coverage, domain, rules
from services.assurance import events as ev
from services.assurance.domain import AssuranceCase
from services.assurance.view import case_view
from shared.errors import RuleViolation
from shared.eventstore import NewEvent

from .helpers import NOW, amended, charge, recorded, submitted

STATE_MURDER = "Cal. Penal Code § 187"
STATE_DEATH_LAW = "Cal. Penal Code § 190.2"


def ns_case(*charges: Any) -> tuple[AssuranceCase, list[Any]]:
    state = domain.initial()
    log = domain.take_charges(state, submitted(*charges, basis="national_security"), NOW)
    return domain.preview(state, log), list(log)


def commit(state: AssuranceCase, log: list[Any], reference: str = "DOJ-1",
           **scope: Any) -> AssuranceCase:
    events = domain.record_doj_commitment(state, reference, date(2025, 8, 1), "US DOJ",
                                          scope.pop("words", "will not seek death"), NOW,
                                          **scope)
    log += events
    return domain.preview(state, events)


def refusal(state: AssuranceCase) -> RuleViolation:
    with pytest.raises(RuleViolation) as refused:
        domain.evaluate(state, NOW)
    return refused.value


def test_a_commitment_that_seeks_death_clears_nothing() -> None:
    state, log = ns_case(charge("c1"))
    state = commit(state, log, words="the United States will seek the death penalty",
                   seeks_death=True)

    assert not state.clearance.cleared
    refused = refusal(state)
    assert refused.rule == "doj_commitment_insufficient"
    assert "DOJ-1 says death will be sought" in refused.message
    assert "DOJ commitment" in refused.message and "treaty art. 8" not in refused.message
    assert case_view(state)["clearance"]["blocked"]["rule"] == refused.rule
    [held] = audit.blockers(recorded(log))
    assert held.rule == "death_penalty_clearance_missing"
    assert "DOJ commitment" in held.detail and "treaty art. 8" not in held.detail
    assert any(ev.DOJ_COMMITMENT_RECORDED in m for m in held.missing)


def test_a_commitment_must_cover_every_capital_count() -> None:
    state, log = ns_case(charge("c1"), charge("c2"))
    state = commit(state, log, charge_ids=["c1"])

    assert not state.clearance.cleared
    assert case_view(state)["clearance"]["blocked"]["uncovered_charge_ids"] == ["c2"]
    assert "DOJ-1 names only c1" in refusal(state).message
    assert case_view(state)["doj_commitment"]["covers_charge_ids"] == ["c1"]


def test_a_state_prosecution_needs_its_own_commitment() -> None:
    state, log = ns_case(charge("c1"), charge("c2", statute=STATE_MURDER, law=STATE_DEATH_LAW))
    state = commit(state, log)  # the DOJ's: federal counts only
    assert coverage_of(state) == ["c2"]
    assert "DOJ-1 binds the federal prosecution, not the state count c2" in refusal(state).message

    state = commit(state, log, reference="CA-DA-1", prosecuting_authority="California")

    assert state.clearance.cleared
    assert state.clearance.doj_commitment_reference == "CA-DA-1, DOJ-1"
    assert [c["prosecuting_authority"] for c in case_view(state)["doj_commitments"]] == \
        ["federal", "California"]


def test_a_commitment_is_recorded_once_under_its_reference() -> None:
    state, log = ns_case(charge("c1"))
    state = commit(state, log)
    with pytest.raises(RuleViolation) as refused:
        commit(state, log)
    assert refused.value.rule == "doj_commitment_already_recorded"


def commit_on(state: AssuranceCase, log: list[Any], reference: str, on: date,
              **scope: Any) -> AssuranceCase:
    events = domain.record_doj_commitment(state, reference, on, "US DOJ", "words", NOW,
                                          **scope)
    log += events
    return domain.preview(state, events)


def test_a_further_commitment_of_the_same_prosecution_covers_a_count_charged_since() -> None:
    """Review s10, left open then: a superseding indictment adds a capital count after the
    DOJ's commitment; the DOJ's new commitment for it was refused as a second one, and the
    case could never be cleared again."""
    state, log = ns_case(charge("c1"))
    state = commit_on(state, log, "DOJ-1", date(2025, 8, 1), charge_ids=["c1"])
    assert state.clearance.cleared
    events = domain.take_charges(state, amended(charge("c1"), charge("c2")), NOW)
    state = domain.preview(state, events)
    assert not state.clearance.cleared and coverage.uncovered_charges(state) == ("c2",)

    state = commit_on(state, log, "DOJ-2", date(2025, 8, 10), charge_ids=["c2"])
    assert state.clearance.cleared
    assert [c["reference"] for c in case_view(state)["doj_commitments"]] == ["DOJ-1", "DOJ-2"]


def test_a_later_commitment_that_seeks_death_ends_the_earlier_cover_from_its_date() -> None:
    state, log = ns_case(charge("c1"))
    state = commit_on(state, log, "DOJ-1", date(2025, 8, 1))
    state = commit_on(state, log, "DOJ-2", date(2025, 8, 6), seeks_death=True)
    assert not state.clearance.cleared
    assert coverage.cleared_on(state, date(2025, 8, 5))
    assert not coverage.cleared_on(state, date(2025, 8, 6))
    assert "DOJ-2 says death will be sought" in refusal(state).message
    # The prosecution's next word, not seeking death, covers again from its own date.
    state = commit_on(state, log, "DOJ-3", date(2025, 8, 8))
    assert state.clearance.cleared and coverage.cleared_from(state) == date(2025, 8, 8)


def test_a_commitment_naming_every_count_covers_a_count_identified_later() -> None:
    state, log = ns_case(charge("c1"))
    state = commit(state, log)
    state = domain.preview(state, domain.take_charges(
        state, submitted(charge("c1"), charge("c2"), basis="national_security"), NOW))
    assert state.clearance.cleared and state.clearance.charge_ids == ("c1", "c2")


def test_a_v1_commitment_reads_as_covering_every_federal_count_without_seeking_death() -> None:
    v1 = {"case_id": "RWY-1", "reference": "DOJ-2025-08", "committed_on": "2025-08-01",
          "authority": "US DOJ", "scope": "no death", "after_transfer": False,
          "transferred_at": None}
    v2 = ev.DojCommitmentRecorded.model_validate(ev.doj_commitment_recorded_v1_to_v2(v1))
    assert (v2.charge_ids, v2.prosecuting_authority, v2.seeks_death) == (None, "federal", False)


def test_the_rule_is_in_the_book_and_holds_the_clearance_gate_first() -> None:
    assert rules.CLEARANCE.rules[0] is rules.RULES["doj_commitment_insufficient"]


def coverage_of(state: AssuranceCase) -> list[str]:
    return list(case_view(state)["clearance"]["blocked"]["uncovered_charge_ids"])


def test_re_charging_a_count_the_prosecution_seeks_death_on_does_not_clear_the_case() -> None:
    """Review s11. DOJ-1 (1 Aug, every count) is ended for c1 by DOJ-2 (5 Aug, seeks death on
    c1). A superseding indictment restates c1 under another statute: seeking death is the
    prosecution's word on c1 whatever it is charged as, so DOJ-1 does not cover it again."""
    state, log = ns_case(charge("c1"))
    state = commit_on(state, log, "DOJ-1", date(2025, 8, 1))
    state = commit_on(state, log, "DOJ-2", date(2025, 8, 5), charge_ids=["c1"],
                      seeks_death=True)
    restated = charge("c1", statute="18 U.S.C. § 1111 (c1)")
    state = domain.preview(state, domain.take_charges(state, amended(restated), NOW))
    assert state.capital["c1"].generation == 2
    assert not state.clearance.cleared


def test_the_view_does_not_say_a_commitment_covers_a_count_a_later_one_seeks_death_on(
) -> None:
    """Review s11: the view asked the commitment's scope alone."""
    state, log = ns_case(charge("c1"), charge("c2"))
    state = commit_on(state, log, "DOJ-1", date(2025, 8, 1))
    state = commit_on(state, log, "DOJ-2", date(2025, 8, 6), charge_ids=["c1"],
                      seeks_death=True)
    view = case_view(state)
    assert view["clearance"]["blocked"]["uncovered_charge_ids"] == ["c1"]
    [doj_1] = [c for c in view["doj_commitments"] if c["reference"] == "DOJ-1"]
    assert doj_1["covers_charge_ids"] == ["c2"]


def test_commitments_recorded_under_one_reference_for_two_prosecutions_are_both_kept() -> None:
    """Review s11. When one commitment was allowed per prosecuting authority, a stream could
    hold the federal and a state's under the same reference: replayed, both still count."""
    state, _ = ns_case(charge("c1"), charge("c2", statute=STATE_MURDER, law=STATE_DEATH_LAW))
    for authority in ("federal", "California"):
        recorded_then = ev.DojCommitmentRecorded(
            case_id=str(state.case_id), reference="2025-001", committed_on=date(2025, 8, 1),
            authority="prosecutor", scope="no death", charge_ids=None,
            prosecuting_authority=authority, seeks_death=False, after_transfer=False,
            transferred_at=None, recorded_after_the_fact=True, charges_as_dated=True)
        state = domain.preview(state, [NewEvent(
            ev.DOJ_COMMITMENT_RECORDED, recorded_then.model_dump(mode="json"),
            schema_version=ev.schema_version(ev.DOJ_COMMITMENT_RECORDED))])
    assert sorted(c.prosecuting_authority for c in state.commitments.values()) == [
        "California", "federal"]
    assert coverage.uncovered_charges(state) == ()


@pytest.mark.parametrize("statute", ["18 USC 1114", "21 U.S.C § 848(e)", "18 u.s.c. 1114",
                                     "18 U.S.C.A. § 1114", "18 U.S.C.S. § 1114"])
def test_a_federal_count_however_its_code_is_dotted_is_the_dojs_to_commit_on(
        statute: str) -> None:
    """README: 'a count that cites no U.S. Code section is taken as a state's'. A citation
    without the dots (the console's CSV writes 18 USC 1114) cites it: the DOJ's commitment
    covers it (review of 5 Dec: it was read as a state count nobody could clear)."""
    state, log = ns_case(charge("c1", statute=statute, law="18 USC 3591"))
    state = commit(state, log)
    assert coverage.uncovered_charges(state) == ()
    assert coverage.prosecutor(state.capital["c1"]) == coverage.FEDERAL


def test_a_gap_names_only_the_commitments_that_speak_to_the_count() -> None:
    """A California commitment that seeks death on its own count is no reason a federal count
    is uncovered: the federal count simply has no federal commitment."""
    state, log = ns_case(charge("f1"), charge("s1", statute=STATE_MURDER, law=STATE_DEATH_LAW))
    state = commit(state, log, "CA-1", charge_ids=["s1"], prosecuting_authority="California",
                   seeks_death=True)
    assert "says death will be sought" not in rules.commitment_gaps(state, "f1")
    assert "CA-1 says death will be sought" in rules.commitment_gaps(state, "s1")


def test_a_commitment_on_the_first_day_of_the_calendar_is_no_crash() -> None:
    """A date of 0001-01-01 reached `date - 1 day` in the clearance's history: an
    OverflowError, answered 500. It is judged like any other day."""
    state, log = ns_case(charge("c1"))
    state = commit_on(state, log, "DOJ-1", date(1, 1, 1))
    assert coverage.uncovered_charges(state) == ()
    assert coverage.cleared_from(state) is not None
