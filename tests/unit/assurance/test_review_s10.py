"""Review s10 (helpers/review-s10-assurance.md): what a commitment or an assurance covers, the
view's per-charge coverage, and the transfer judged on whether the case was cleared in law on
its legal date, in both directions and whatever order the acts were recorded in."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from services.assurance import authorities, domain
from services.assurance import events as ev
from services.assurance.api import DojCommitmentBody
from services.assurance.domain import AssuranceCase, ChargeFacts, IntakeCharges
from services.assurance.view import case_view
from shared.errors import RuleViolation
from shared.legaltime import legal_date

from .helpers import CASE, NOW, POLICY, assurance, charge

STATE_MURDER = "Cal. Penal Code § 187"
STATE_DEATH_LAW = "Cal. Penal Code § 190.2"
DRUG_KINGPIN = "21 U.S.C. § 848"
MURDER = "18 U.S.C. § 1111"


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 17, 0, tzinfo=UTC)  # 11:00 in Mexico City


def intake(*charges: ChargeFacts, on: date = date(2025, 6, 1), amended: bool = False,
           basis: str = "treaty") -> IntakeCharges:
    """Intake's charge list, dated (its legal time) on `on`."""
    return IntakeCharges(
        case_id=CASE, source="charges_amended" if amended else "request_submitted",
        charges=charges, recorded_at=at(on), intake_event_id=str(uuid.uuid4()),
        legal_basis=None if amended else basis,
        amendment_reason="superseding indictment" if amended else None)


def opened(*charges: ChargeFacts, basis: str = "treaty") -> AssuranceCase:
    state = domain.initial()
    return domain.preview(state, domain.take_charges(state, intake(*charges, basis=basis), NOW))


def amend(state: AssuranceCase, *charges: ChargeFacts, on: date) -> AssuranceCase:
    return domain.preview(state, domain.take_charges(
        state, intake(*charges, on=on, amended=True), NOW))


def accept(state: AssuranceCase, aid: str, *charge_ids: str, issued: date,
           decided: date) -> AssuranceCase:
    state = domain.preview(state, domain.receive_assurance(
        state, assurance(aid, *charge_ids, issued_on=issued), POLICY, NOW))
    return domain.preview(state, domain.decide_assurance(state, aid, True, decided, "ok",
                                                         POLICY, NOW))


def withdraw(state: AssuranceCase, aid: str, on: date) -> AssuranceCase:
    return domain.preview(state, domain.withdraw_assurance(state, aid, on, "retracted", NOW))


def transfer(state: AssuranceCase, day: date) -> AssuranceCase:
    return domain.preview(state, domain.note_transfer(state, CASE, at(day), "t-1", NOW,
                                                      recorded_at=NOW))


def commit(state: AssuranceCase, on: date, authority: str = "federal",
           charge_ids: list[str] | None = None) -> AssuranceCase:
    return domain.preview(state, domain.record_doj_commitment(
        state, "DOJ-1", on, "US DOJ", "will not seek death", NOW, charge_ids=charge_ids,
        prosecuting_authority=authority))


# --- 5: the federal prosecution by any of its names ----------------------------------------

@pytest.mark.parametrize("entered", ["Federal", "United States", "DOJ", "U.S. DOJ"])
def test_a_doj_commitment_entered_under_another_name_does_not_clear_a_state_count(
        entered: str) -> None:
    """Roberto Salazar: a California capital count. The DOJ's commitment, entered as
    "Federal" (the API's pattern accepts it), must not stand for California's own."""
    body = DojCommitmentBody.model_validate({
        "reference": "DOJ-2025-08", "committed_on": "2025-08-01", "authority": "US DOJ",
        "scope": "will not seek death", "prosecuting_authority": entered})
    state = opened(charge("c1", statute=STATE_MURDER, law=STATE_DEATH_LAW),
                   basis="national_security")
    events = domain.record_doj_commitment(
        state, body.reference, body.committed_on, body.authority, body.scope, NOW,
        charge_ids=body.charge_ids, prosecuting_authority=body.prosecuting_authority,
        seeks_death=body.seeks_death)
    state = domain.preview(state, events)

    assert not state.clearance.cleared, "a federal commitment cleared a California count"
    assert events[0].payload["prosecuting_authority"] == "federal"
    assert "binds the federal prosecution, not the state count c1" in \
        case_view(state)["clearance"]["blocked"]["detail"]


def test_a_state_is_recognised_by_its_name_and_anything_else_is_refused() -> None:
    state = opened(charge("c1", statute=STATE_MURDER, law=STATE_DEATH_LAW),
                   basis="national_security")
    assert commit(state, date(2025, 8, 1), "  california ").clearance.cleared
    with pytest.raises(RuleViolation) as refused:
        commit(state, date(2025, 8, 1), "US Attorney SDNY")
    assert refused.value.rule == "prosecuting_authority_unknown"


# --- 4 and 6: cover given for a count before it was re-charged -----------------------------

def test_an_assurance_accepted_before_an_amendment_does_not_cover_the_amended_count() -> None:
    """c1 is 21 U.S.C. § 848 until a superseding indictment of 20 Jun re-charges it as murder.
    An assurance note dated 3 Jun (accepted 4 Jun), entered only afterwards, was given for the
    count as it stood then: it does not cover the murder count, nor clear the case from 4 Jun,
    and the custody of 22 Jun stays flagged."""
    state = opened(charge("c1", statute=DRUG_KINGPIN))
    state = accept(state, "A", "c1", issued=date(2025, 6, 2), decided=date(2025, 6, 3))
    state = amend(state, charge("c1", statute=MURDER), on=date(2025, 6, 20))
    assert not state.clearance.cleared  # new generation: withdrawn
    state = transfer(state, date(2025, 6, 22))
    assert state.transfer is not None and state.transfer.flag_reason == "not_cleared"

    state = accept(state, "B", "c1", issued=date(2025, 6, 3), decided=date(2025, 6, 4))

    assert not state.clearance.cleared
    assert state.transfer is not None and state.transfer.flagged
    assert case_view(state)["assurances"][1]["covers_current_charges"] == []


def test_an_assurance_dated_after_a_re_charge_consumed_late_covers_the_re_charged_count(
) -> None:
    """The binding reads the legal dates, not the order of arrival: a note of 25 Jun covers
    the count as re-charged on 20 Jun even when intake's amendment reaches assurance later."""
    state = opened(charge("c1", statute=DRUG_KINGPIN))
    state = accept(state, "B", "c1", issued=date(2025, 6, 25), decided=date(2025, 6, 26))
    state = amend(state, charge("c1", statute=MURDER), on=date(2025, 6, 20))

    assert state.clearance.cleared and state.clearance.since is not None
    assert legal_date(state.clearance.since) == date(2025, 6, 26)


def test_a_commitment_naming_a_count_does_not_cover_it_once_re_charged() -> None:
    """NS basis: the DOJ commits not to seek death on count c1 (21 U.S.C. § 848); a
    superseding indictment re-charges c1 as murder. The commitment was given for the drug
    count: the clearance is withdrawn, as it is for an assurance."""
    state = opened(charge("c1", statute=DRUG_KINGPIN), basis="national_security")
    state = commit(state, date(2025, 6, 5), charge_ids=["c1"])
    assert state.clearance.cleared
    events = domain.take_charges(state, intake(charge("c1", statute=MURDER),
                                               on=date(2025, 6, 20), amended=True), NOW)
    assert ev.CAPITAL_CHARGE_IDENTIFIED in [e.event_type for e in events]
    state = domain.preview(state, events)

    assert not state.clearance.cleared, "a commitment on the drug count still clears murder"
    assert "DOJ-1 names c1 as it stood on 2025-06-05" in \
        case_view(state)["clearance"]["blocked"]["detail"]


def test_a_commitment_recorded_before_this_fix_still_reads_as_it_did() -> None:
    """Events are immutable: a commitment event without `charges_as_dated` covers the named
    count in any form, as it did when it was recorded."""
    state = opened(charge("c1", statute=DRUG_KINGPIN), basis="national_security")
    events = domain.record_doj_commitment(state, "DOJ-1", date(2025, 6, 5), "US DOJ", "no",
                                          NOW, charge_ids=["c1"])
    del events[0].payload["charges_as_dated"]
    state = domain.preview(state, events)
    state = amend(state, charge("c1", statute=MURDER), on=date(2025, 6, 20))
    assert state.clearance.cleared


# --- 7 and 8: the view's coverage agrees with covered ---------------------------------------

def test_a_count_covered_by_the_doj_commitment_is_not_shown_as_uncovered() -> None:
    state = commit(opened(charge("c1"), basis="national_security"), date(2025, 8, 1))
    [shown] = case_view(state)["capital_charges"]
    assert (shown["covered"], shown["covered_by"], shown["coverage"]) == \
        (True, "doj_commitment", "doj_commitment")


def test_a_count_whose_assurance_was_withdrawn_is_not_shown_as_requested() -> None:
    """Requested 1 Jun, received, accepted, then withdrawn: nobody has asked for a new
    assurance since, so the count says how its assurance ended; a new request shows again."""
    state = opened(charge("c1"))
    state = domain.preview(state, domain.request_assurance(state, ["c1"], date(2025, 6, 1),
                                                           None, NOW))
    state = accept(state, "A", "c1", issued=date(2025, 6, 5), decided=date(2025, 6, 10))
    state = withdraw(state, "A", date(2025, 7, 1))
    assert case_view(state)["capital_charges"][0]["coverage"] == "withdrawn"

    state = domain.preview(state, domain.request_assurance(state, ["c1"], date(2025, 7, 2),
                                                           None, NOW))
    assert case_view(state)["capital_charges"][0]["coverage"] == "requested"


# --- 1 to 3: the transfer judged on its legal date, both directions --------------------------

def test_a_withdrawal_dated_before_the_transfer_flags_it() -> None:
    """A accepted 10 Jun; custody 20 Jun; the US note withdrawing A, dated 15 Jun, is recorded
    afterwards: in law the person left while c1 had no accepted assurance."""
    state = accept(opened(charge("c1")), "A", "c1", issued=date(2025, 6, 5),
                   decided=date(2025, 6, 10))
    state = transfer(state, date(2025, 6, 20))
    assert state.transfer is not None and state.transfer.cleared_at_transfer

    state = withdraw(state, "A", date(2025, 6, 15))

    assert state.transfer is not None and state.transfer.flag_reason == "not_cleared"
    assert case_view(state)["transfer"]["cleared_at_transfer"] is False


def test_a_withdrawal_dated_after_the_transfer_does_not_reach_back() -> None:
    state = accept(opened(charge("c1")), "A", "c1", issued=date(2025, 6, 5),
                   decided=date(2025, 6, 10))
    state = withdraw(transfer(state, date(2025, 6, 20)), "A", date(2025, 6, 21))
    assert not state.clearance.cleared
    assert state.transfer is not None and not state.transfer.flagged


def test_a_capital_amendment_dated_before_the_transfer_flags_it() -> None:
    """No capital count when custody passes on 20 Jun; intake's amendment making c1 capital is
    dated 15 Jun but reaches assurance after the transfer."""
    state = transfer(opened(charge("c1", capital=False)), date(2025, 6, 20))
    assert state.transfer is not None and not state.transfer.flagged

    state = amend(state, charge("c1"), on=date(2025, 6, 15))

    assert state.transfer is not None and state.transfer.flag_reason == "not_cleared"


def test_a_transfer_noted_after_a_later_capital_amendment_is_not_flagged() -> None:
    """Cleared 10 Jun; custody 20 Jun reaches assurance only after a superseding indictment of
    1 Jul added capital c2: on 20 Jun the case was cleared."""
    state = accept(opened(charge("c1")), "A", "c1", issued=date(2025, 6, 5),
                   decided=date(2025, 6, 10))
    state = amend(state, charge("c1"), charge("c2"), on=date(2025, 7, 1))
    assert not state.clearance.cleared

    state = transfer(state, date(2025, 6, 20))

    assert state.transfer is not None
    assert state.transfer.cleared_at_transfer and not state.transfer.flagged


def test_a_flag_is_lifted_by_an_acceptance_dated_before_the_transfer_while_uncleared_now(
) -> None:
    """Custody 20 Jun flagged (c1 uncovered); c2 is added on 1 Jul; then c1's acceptance of
    15 Jun is entered: on 20 Jun the case was cleared, so the flag goes, naming 15 Jun."""
    state = transfer(opened(charge("c1")), date(2025, 6, 20))
    state = amend(state, charge("c1"), charge("c2"), on=date(2025, 7, 1))
    assert state.transfer is not None and state.transfer.flag_reason == "not_cleared"

    events = domain.receive_assurance(state, assurance("A", "c1", issued_on=date(2025, 6, 14)),
                                      POLICY, NOW)
    state = domain.preview(state, events)
    events = domain.decide_assurance(state, "A", True, date(2025, 6, 15), "ok", POLICY, NOW)
    state = domain.preview(state, events)

    assert not state.clearance.cleared
    [lifted] = [e.payload for e in events if e.event_type == ev.TRANSFER_FLAG_LIFTED]
    assert lifted["clearance_legal_date"] == "2025-06-15"
    assert state.transfer is not None and not state.transfer.flagged


def test_cleared_since_restarts_after_a_gap_in_coverage() -> None:
    """A accepted 10 Jun, B accepted 30 Jun (same count), then A's withdrawal dated 25 Jun:
    c1 lacked an accepted assurance from 25 to 30 Jun, so the clearance holds from 30 Jun,
    and a custody on 27 Jun, noted afterwards, is flagged."""
    state = accept(opened(charge("c1")), "A", "c1", issued=date(2025, 6, 5),
                   decided=date(2025, 6, 10))
    state = accept(state, "B", "c1", issued=date(2025, 6, 20), decided=date(2025, 6, 30))
    state = withdraw(state, "A", date(2025, 6, 25))
    assert state.clearance.cleared and state.clearance.since is not None
    assert legal_date(state.clearance.since) == date(2025, 6, 30)

    state = transfer(state, date(2025, 6, 27))

    assert state.transfer is not None and state.transfer.flagged
    assert (state.transfer.flag_reason, state.transfer.clearance_on) == \
        ("cleared_after_transfer", date(2025, 6, 30))
    assert state.clearance.exception == "granted_after_transfer"


def test_overlapping_assurances_keep_the_clearance_uninterrupted() -> None:
    """A from 10 Jun, B from 20 Jun, A withdrawn 25 Jun: c1 was covered every day."""
    state = accept(opened(charge("c1")), "A", "c1", issued=date(2025, 6, 5),
                   decided=date(2025, 6, 10))
    state = accept(state, "B", "c1", issued=date(2025, 6, 15), decided=date(2025, 6, 20))
    state = withdraw(state, "A", date(2025, 6, 25))
    assert state.clearance.since is not None
    assert legal_date(state.clearance.since) == date(2025, 6, 10)


# --- a note for a count added later: Runway dates the amendment by its entry ------------------

def test_an_assurance_for_a_new_count_dated_before_intake_entered_it_covers_it() -> None:
    """A superseding indictment adds capital count c2; intake enters it on 5 Jul. The US
    note for c2 is dated 3 Jul and accepted on 8 Jul: it was given for that count, so it
    covers it and the case is cleared (the person is not held by a note that predates the
    amendment's entry)."""
    state = accept(opened(charge("c1")), "A", "c1", issued=date(2025, 6, 5),
                   decided=date(2025, 6, 6))
    state = amend(state, charge("c1"), charge("c2"), on=date(2025, 7, 5))
    state = accept(state, "B", "c2", issued=date(2025, 7, 3), decided=date(2025, 7, 8))
    shown = {c["charge_id"]: c for c in case_view(state)["capital_charges"]}
    assert shown["c2"]["assurance_ids"] == ["B"]
    assert state.clearance.cleared


def test_a_commitment_naming_a_count_entered_after_it_covers_that_count() -> None:
    state = opened(charge("c1"), charge("c2", capital=False), basis="national_security")
    state = commit(state, date(2025, 7, 3), charge_ids=["c1", "c2"])
    state = amend(state, charge("c1"), charge("c2"), on=date(2025, 7, 5))
    assert state.clearance.cleared, case_view(state)["clearance"]["blocked"]


# --- a state's commitment binds that state's own counts ---------------------------------------

def test_one_states_commitment_does_not_clear_another_states_count() -> None:
    """A California capital murder count: Texas's commitment does not clear it, and the
    refusal says whose count it is; California's own does."""
    def with_commitment(authority: str) -> AssuranceCase:
        return commit(opened(charge("c1", statute=STATE_MURDER, law=STATE_DEATH_LAW),
                             basis="national_security"), date(2025, 8, 1), authority)
    texas = with_commitment("Texas")
    assert not texas.clearance.cleared
    assert "not the state count c1 (Cal. Penal Code § 187, California's)" in \
        case_view(texas)["clearance"]["blocked"]["detail"]
    assert with_commitment("California").clearance.cleared


@pytest.mark.parametrize(("statute", "state"), [
    ("Cal. Penal Code § 187", "California"), ("Tex. Penal Code Ann. § 19.03", "Texas"),
    ("N.Y. Penal Law § 125.27", "New York"), ("W. Va. Code § 61-2-1", "West Virginia"),
    ("Va. Code Ann. § 18.2-31", "Virginia"), ("Ohio Rev. Code § 2903.01", "Ohio"),
    ("Penal Code § 187", None), ("18 U.S.C. § 1111", None)])
def test_the_state_a_statute_cites_is_read_from_how_it_begins(statute: str,
                                                              state: str | None) -> None:
    assert authorities.state_citing(statute) == state
