"""The death-penalty rules of treaty art. 8 on the pure domain, one rule at a time."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from services.assurance import coverage, domain
from services.assurance import events as ev
from services.assurance.domain import AssuranceCase
from services.assurance.events import Scope
from services.assurance.settings import AssuranceSettings
from services.assurance.view import case_view
from shared.errors import NotFound, RuleViolation
from shared.eventstore import NewEvent
from shared.legaltime import legal_date
from tests.support.stored import types

from .helpers import (
    CASE,
    NOW,
    POLICY,
    amended,
    assurance,
    charge,
    decide,
    fold,
    opened,
    receive,
    submitted,
)


def cleared_by_assurance(*charge_ids: str) -> AssuranceCase:
    state = opened(*(charge(c) for c in charge_ids))
    state = receive(state, assurance("A-1", *charge_ids))
    state, _ = decide(state, "A-1", accepted=True)
    return state


# --- capital eligibility -----------------------------------------------------------------

def test_only_charges_where_death_is_possible_are_identified_as_capital() -> None:
    events = domain.take_charges(domain.initial(), submitted(
        charge("c1", capital=False), charge("c2"), charge("c3")), NOW)

    assert types(events) == [ev.CASE_OPENED, ev.CAPITAL_CHARGE_IDENTIFIED,
                             ev.CAPITAL_CHARGE_IDENTIFIED]
    identified = [e.payload for e in events if e.event_type == ev.CAPITAL_CHARGE_IDENTIFIED]
    assert [p["charge_id"] for p in identified] == ["c2", "c3"]
    assert identified[0]["death_penalty_law"] == "18 U.S.C. § 3591"
    assert identified[0]["generation"] == 1
    state = fold(domain.initial(), events)
    assert list(state.capital) == ["c2", "c3"]
    assert not state.clearance.cleared
    assert coverage.uncovered_charges(state) == ("c2", "c3")


def test_a_case_without_capital_charges_is_cleared_at_once() -> None:
    events = domain.take_charges(domain.initial(), submitted(charge("c1", capital=False)), NOW)

    assert types(events) == [ev.CASE_OPENED, ev.CLEARANCE_GRANTED]
    granted = events[-1].payload
    assert granted["basis"] == "no_capital_charges"
    assert granted["charge_ids"] == [] and granted["exception"] is None
    state = fold(domain.initial(), events)
    assert state.clearance.cleared and state.clearance.since == NOW


# --- clearance needs every capital charge covered ----------------------------------------

def test_clearance_is_granted_once_every_capital_charge_has_an_accepted_assurance() -> None:
    state = opened(charge("c1", capital=False), charge("c2"), charge("c3"))
    state = receive(state, assurance("A-1", "c2"))
    state, first = decide(state, "A-1", accepted=True)

    assert types(first) == [ev.ASSURANCE_ACCEPTED]  # c3 still uncovered: no clearance
    assert not state.clearance.cleared
    assert coverage.uncovered_charges(state) == ("c3",)
    assert case_view(state)["clearance"]["blocked"]["uncovered_charge_ids"] == ["c3"]

    state = receive(state, assurance("A-2", "c3", scope=[Scope.NOT_CARRIED_OUT]))
    state, second = decide(state, "A-2", accepted=True)

    assert types(second) == [ev.ASSURANCE_ACCEPTED, ev.CLEARANCE_GRANTED]
    granted = second[-1].payload
    assert granted["basis"] == "assurances_accepted"
    assert granted["charge_ids"] == ["c2", "c3"]
    assert granted["assurance_ids"] == ["A-1", "A-2"]
    assert state.clearance.cleared and case_view(state)["clearance"]["blocked"] is None


def test_a_received_but_unevaluated_assurance_does_not_clear() -> None:
    state = receive(opened(charge("c1")), assurance("A-1", "c1"))

    assert not state.clearance.cleared
    assert [c["coverage"] for c in case_view(state)["capital_charges"]] == ["received"]


def test_a_rejected_assurance_never_clears() -> None:
    state = receive(opened(charge("c1")), assurance("A-1", "c1"))
    state, events = decide(state, "A-1", accepted=False)

    assert types(events) == [ev.ASSURANCE_REJECTED]
    assert not state.clearance.cleared
    assert case_view(state)["capital_charges"][0]["coverage"] == "rejected"
    with pytest.raises(RuleViolation) as refused:
        decide(state, "A-1", accepted=True)
    assert refused.value.rule == "assurance_already_decided"
    with pytest.raises(RuleViolation) as still:
        domain.evaluate(state, NOW)
    assert still.value.rule == "capital_charge_uncovered"
    assert "c1" in still.value.message


def test_after_a_rejection_a_new_accepted_assurance_clears() -> None:
    state = receive(opened(charge("c1")), assurance("A-1", "c1"))
    state, _ = decide(state, "A-1", accepted=False)
    state = fold(state, domain.request_assurance(state, ["c1"], date(2025, 7, 20), "again", NOW))
    assert case_view(state)["capital_charges"][0]["coverage"] == "requested"

    state = receive(state, assurance("A-2", "c1", issued_on=date(2025, 7, 25)))
    events = domain.decide_assurance(state, "A-2", True, date(2025, 8, 1), "sufficient",
                                     POLICY, NOW)

    assert types(events) == [ev.ASSURANCE_ACCEPTED, ev.CLEARANCE_GRANTED]
    assert events[-1].payload["assurance_ids"] == ["A-2"]


def test_coverage_status_follows_each_step() -> None:
    def status(s: AssuranceCase) -> str:
        return str(case_view(s)["capital_charges"][0]["coverage"])

    state = opened(charge("c1"))
    assert status(state) == "uncovered"
    state = fold(state, domain.request_assurance(state, ["c1"], date(2025, 6, 1), None, NOW))
    assert status(state) == "requested"
    state = receive(state, assurance("A-1", "c1"))
    assert status(state) == "received"
    state, _ = decide(state, "A-1", accepted=True)
    assert status(state) == "accepted"


# --- amendments ------------------------------------------------------------------------

def test_an_amendment_adding_a_capital_charge_withdraws_clearance() -> None:
    state = cleared_by_assurance("c1")
    assert state.clearance.cleared

    events = domain.take_charges(state, amended(charge("c1"), charge("c9")), NOW)

    assert types(events) == [ev.CAPITAL_CHARGE_IDENTIFIED, ev.CLEARANCE_WITHDRAWN]
    withdrawn = events[-1].payload
    assert withdrawn["reason"] == "capital_charge_identified"
    assert withdrawn["charge_ids"] == ["c9"]
    assert events[0].payload["amendment_reason"] == "superseding indictment"
    assert not fold(state, events).clearance.cleared


def test_an_amendment_to_a_non_capital_case_adding_a_capital_charge_withdraws_clearance(
) -> None:
    state = opened(charge("c1", capital=False))
    events = domain.take_charges(state, amended(charge("c1", capital=False), charge("c2")), NOW)

    assert types(events) == [ev.CAPITAL_CHARGE_IDENTIFIED, ev.CLEARANCE_WITHDRAWN]


def test_changing_a_covered_capital_charge_needs_a_new_assurance() -> None:
    state = cleared_by_assurance("c1")

    events = domain.take_charges(state, amended(charge("c1", statute="18 U.S.C. § 2332b")),
                                 NOW)

    assert types(events) == [ev.CAPITAL_CHARGE_WITHDRAWN, ev.CAPITAL_CHARGE_IDENTIFIED,
                             ev.CLEARANCE_WITHDRAWN]
    assert events[0].payload["reason"] == "charge_terms_changed"
    assert events[1].payload["generation"] == 2
    after = fold(state, events)
    assert case_view(after)["capital_charges"][0]["coverage"] == "uncovered"


def test_removing_the_last_uncovered_capital_charge_clears_the_case() -> None:
    state = opened(charge("c1"), charge("c2", capital=False))

    events = domain.take_charges(state, amended(charge("c1", capital=False),
                                                charge("c2", capital=False)), NOW)

    assert types(events) == [ev.CAPITAL_CHARGE_WITHDRAWN, ev.CLEARANCE_GRANTED]
    assert events[0].payload["reason"] == "no_longer_capital"
    assert events[1].payload["basis"] == "no_capital_charges"


def test_a_charge_that_becomes_capital_again_is_not_covered_by_the_old_assurance() -> None:
    state = cleared_by_assurance("c1")
    state = fold(state, domain.take_charges(state, amended(charge("c0", capital=False)), NOW))
    events = domain.take_charges(state, amended(charge("c0", capital=False), charge("c1")), NOW)

    assert types(events) == [ev.CAPITAL_CHARGE_IDENTIFIED, ev.CLEARANCE_WITHDRAWN]
    assert events[0].payload["generation"] == 2


def test_an_amendment_before_the_submission_is_refused_so_it_is_retried() -> None:
    with pytest.raises(RuleViolation) as refused:
        domain.take_charges(domain.initial(), amended(charge("c1")), NOW)
    assert refused.value.rule == "case_not_opened"


def test_the_same_submission_twice_decides_nothing_the_second_time() -> None:
    state = opened(charge("c1"), charge("c2", capital=False))

    assert domain.take_charges(state, submitted(charge("c1"), charge("c2", capital=False)),
                               NOW) == []
    assert domain.take_charges(state, amended(charge("c1"), charge("c2", capital=False)),
                               NOW) == []


# --- withdrawal of an assurance ----------------------------------------------------------

def test_withdrawing_the_covering_assurance_withdraws_clearance() -> None:
    state = cleared_by_assurance("c1", "c2")

    events = domain.withdraw_assurance(state, "A-1", date(2025, 8, 5), "note retracted", NOW)

    assert types(events) == [ev.ASSURANCE_WITHDRAWN, ev.CLEARANCE_WITHDRAWN]
    assert events[-1].payload["reason"] == "assurance_withdrawn"
    assert events[-1].payload["charge_ids"] == ["c1", "c2"]
    after = fold(state, events)
    with pytest.raises(RuleViolation) as again:
        domain.withdraw_assurance(after, "A-1", date(2025, 8, 5), "twice", NOW)
    assert again.value.rule == "assurance_already_withdrawn"


# --- scope sufficiency ---------------------------------------------------------------------

def test_accepting_an_assurance_that_only_promises_not_to_seek_death_is_refused() -> None:
    state = receive(opened(charge("c1")), assurance("A-1", "c1", scope=[Scope.NOT_SOUGHT]))
    assert state.assurances["A-1"].scope_sufficient is False

    with pytest.raises(RuleViolation) as refused:
        decide(state, "A-1", accepted=True)

    assert refused.value.rule == "assurance_scope_insufficient"
    assert "not_sought" in refused.value.message
    rejected, events = decide(state, "A-1", accepted=False)  # rejecting it is fine
    assert types(events) == [ev.ASSURANCE_REJECTED]
    assert rejected.assurances["A-1"].status == "rejected"


def test_not_sought_together_with_not_carried_out_is_sufficient() -> None:
    state = receive(opened(charge("c1")),
                    assurance("A-1", "c1", scope=[Scope.NOT_SOUGHT, Scope.NOT_CARRIED_OUT]))
    state, events = decide(state, "A-1", accepted=True)
    assert types(events) == [ev.ASSURANCE_ACCEPTED, ev.CLEARANCE_GRANTED]


def test_the_sufficient_scopes_are_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSURANCE_SUFFICIENT_SCOPES",
                       '["not_sought", "not_imposed", "not_carried_out"]')
    lenient = AssuranceSettings().policy()
    state = receive(opened(charge("c1")), assurance("A-1", "c1", scope=[Scope.NOT_SOUGHT]),
                    policy=lenient)
    _, events = decide(state, "A-1", accepted=True, policy=lenient)
    assert types(events) == [ev.ASSURANCE_ACCEPTED, ev.CLEARANCE_GRANTED]
    monkeypatch.delenv("ASSURANCE_SUFFICIENT_SCOPES")
    assert AssuranceSettings().policy() == POLICY


# --- national-security basis: DOJ commitment -----------------------------------------------

def test_a_doj_commitment_clears_a_national_security_case() -> None:
    state = opened(charge("c1"), charge("c2"), basis="national_security")

    events = domain.record_doj_commitment(state, "DOJ-2025-08-11", date(2025, 8, 8),
                                          "Attorney General", "will not seek death", NOW)

    assert types(events) == [ev.DOJ_COMMITMENT_RECORDED, ev.CLEARANCE_GRANTED]
    granted = events[-1].payload
    assert granted["basis"] == "doj_commitment"
    assert granted["doj_commitment_reference"] == "DOJ-2025-08-11"
    assert granted["charge_ids"] == ["c1", "c2"] and granted["exception"] is None
    after = fold(state, events)
    assert [c["covered_by"] for c in case_view(after)["capital_charges"]] == \
        ["doj_commitment", "doj_commitment"]


def test_a_doj_commitment_covers_capital_charges_added_later() -> None:
    state = opened(charge("c1"), basis="national_security")
    state = fold(state, domain.record_doj_commitment(
        state, "DOJ-1", date(2025, 8, 8), "Attorney General", "no death", NOW))

    events = domain.take_charges(state, amended(charge("c1"), charge("c2")), NOW)

    assert types(events) == [ev.CAPITAL_CHARGE_IDENTIFIED, ev.CLEARANCE_GRANTED]
    assert events[-1].payload["charge_ids"] == ["c1", "c2"]
    assert fold(state, events).clearance.cleared


@pytest.mark.parametrize("basis", ["treaty", "simplified"])
def test_a_doj_commitment_on_another_basis_is_refused(basis: str) -> None:
    state = opened(charge("c1"), basis=basis)
    with pytest.raises(RuleViolation) as refused:
        domain.record_doj_commitment(state, "DOJ-1", date(2025, 8, 8), "AG", "no death", NOW)
    assert refused.value.rule == "basis_mismatch"
    assert basis in refused.value.message


def basis_change(to_basis: str = "national_security",
                 changed_on: date = date(2025, 2, 20)) -> domain.BasisChange:
    return domain.BasisChange(CASE, to_basis, changed_on, "judicial-evt-1")


def test_a_treaty_case_overtaken_by_a_national_security_transfer_takes_a_doj_commitment() -> None:
    """Caro Quintero: the treaty case moved to the national-security basis, where the DOJ's
    commitment not to seek death, refused before, now clears the capital count."""
    state = opened(charge("c1"), basis="treaty")
    changed = domain.note_basis_change(state, basis_change())
    assert types(changed) == [ev.BASIS_CHANGED]
    assert changed[0].payload["from_basis"] == "treaty"
    assert changed[0].occurred_at is not None
    assert legal_date(changed[0].occurred_at) == date(2025, 2, 20)
    state = fold(state, changed)
    assert state.legal_basis == "national_security"
    assert domain.note_basis_change(state, basis_change()) == []  # a redelivery

    events = domain.record_doj_commitment(state, "DOJ-1", date(2025, 8, 8), "AG", "no death",
                                          NOW)
    assert types(events) == [ev.DOJ_COMMITMENT_RECORDED, ev.CLEARANCE_GRANTED]
    assert fold(state, events).clearance.basis == "doj_commitment"


def test_an_assurance_accepted_before_the_basis_change_still_covers_its_count() -> None:
    state = opened(charge("c1"), basis="treaty")
    state = receive(state, assurance("A-1", "c1"))
    state, _ = decide(state, "A-1", accepted=True)
    assert state.clearance.cleared
    changed = domain.note_basis_change(state, basis_change())
    assert types(changed) == [ev.BASIS_CHANGED]  # no withdrawal: the count stays covered
    assert fold(state, changed).clearance.cleared


def test_a_basis_change_before_the_case_is_known_is_retried() -> None:
    with pytest.raises(RuleViolation) as refused:
        domain.note_basis_change(domain.initial(), basis_change())
    assert refused.value.rule == "case_not_opened"


def test_the_same_doj_commitment_is_refused_a_second_time() -> None:
    state = opened(charge("c1"), basis="national_security")
    state = fold(state, domain.record_doj_commitment(state, "DOJ-1", date(2025, 8, 8), "AG",
                                                     "no death", NOW))
    with pytest.raises(RuleViolation) as refused:
        domain.record_doj_commitment(state, "DOJ-1", date(2025, 8, 9), "AG", "no death", NOW)
    assert refused.value.rule == "doj_commitment_already_recorded"


def test_a_commitment_recorded_after_the_transfer_is_an_explicit_exception() -> None:
    # Feb 2025: the no-death direction came months after the flight.
    flight = datetime(2025, 2, 27, 18, 0, tzinfo=UTC)
    state = opened(charge("c1"), basis="national_security")
    noted = domain.note_transfer(state, "RWY-TEST-1", flight, "transport-evt-1", NOW)
    assert types(noted) == [ev.TRANSFER_NOTED, ev.TRANSFER_WITHOUT_CLEARANCE_FLAGGED]
    assert noted[1].payload["uncovered_charge_ids"] == ["c1"]
    assert noted[1].payload["reason"] == "not_cleared"
    state = fold(state, noted)

    later = NOW + timedelta(days=1)
    events = domain.record_doj_commitment(state, "DOJ-2025-07", date(2025, 7, 30), "AG",
                                          "will not seek death", later)

    # The flag now names the two legal dates it compared (issue 13).
    assert types(events) == [ev.DOJ_COMMITMENT_RECORDED, ev.TRANSFER_WITHOUT_CLEARANCE_FLAGGED,
                             ev.CLEARANCE_GRANTED]
    assert (events[1].payload["reason"], events[1].payload["transfer_legal_date"],
            events[1].payload["clearance_legal_date"]) == \
        ("cleared_after_transfer", "2025-02-27", "2025-07-30")
    assert events[0].payload["after_transfer"] is True
    assert events[-1].payload["exception"] == "commitment_after_transfer"
    shown = case_view(fold(state, events))
    assert shown["clearance"]["exception"] == "commitment_after_transfer"
    assert shown["transfer"]["flagged"] is True
    assert shown["doj_commitment"]["after_transfer"] is True


def test_a_late_transport_event_still_exposes_a_commitment_made_after_the_flight() -> None:
    state = opened(charge("c1"), basis="national_security")
    state = fold(state, domain.record_doj_commitment(state, "DOJ-1", date(2025, 8, 1), "AG",
                                                     "no death", NOW))
    flight = datetime(2025, 2, 27, 18, 0, tzinfo=UTC)

    events = domain.note_transfer(state, "RWY-TEST-1", flight, "transport-evt-1", NOW)

    assert types(events) == [ev.TRANSFER_NOTED, ev.TRANSFER_WITHOUT_CLEARANCE_FLAGGED,
                             ev.CLEARANCE_GRANTED]
    assert events[1].payload["reason"] == "cleared_after_transfer"
    assert events[-1].payload["exception"] == "commitment_after_transfer"
    # Cleared from the commitment's legal date (its start in Mexico City), not when it was
    # recorded (issue 13).
    assert events[-1].payload["cleared_since"] == "2025-08-01T06:00:00Z"


def test_a_transfer_of_a_cleared_case_is_noted_without_a_flag() -> None:
    state = cleared_by_assurance("c1")
    events = domain.note_transfer(state, "RWY-TEST-1", NOW + timedelta(hours=1), "t-1",
                                  NOW + timedelta(hours=2))

    assert types(events) == [ev.TRANSFER_NOTED]
    assert events[0].payload["cleared_at_transfer"] is True
    after = fold(state, events)
    assert domain.note_transfer(after, "RWY-TEST-1", NOW + timedelta(hours=1), "t-1", NOW) \
        == []


def test_a_treaty_case_cleared_after_an_uncleared_transfer_carries_an_exception() -> None:
    # The acceptance (15 Jul) is dated after the handoff (10 Jul): the legal dates decide
    # (issue 13); one dated before it but entered later is no exception (test_legal_time).
    handoff = datetime(2025, 7, 10, 18, 0, tzinfo=UTC)
    state = opened(charge("c1"))
    state = fold(state, domain.note_transfer(state, "RWY-TEST-1", handoff, "t-1", NOW))
    state = receive(state, assurance("A-1", "c1"))
    _, events = decide(state, "A-1", accepted=True)
    assert events[-1].payload["exception"] == "granted_after_transfer"


def test_a_transfer_for_an_unknown_case_is_refused_so_it_is_retried() -> None:
    with pytest.raises(RuleViolation) as refused:
        domain.note_transfer(domain.initial(), "RWY-X", NOW, "t-1", NOW)
    assert refused.value.rule == "case_not_opened"


# --- explicit evaluation ------------------------------------------------------------------

def test_explicit_evaluation_names_the_uncovered_charges() -> None:
    state = opened(charge("c1"), charge("c2"))
    with pytest.raises(RuleViolation) as refused:
        domain.evaluate(state, NOW)
    assert refused.value.rule == "capital_charge_uncovered"
    assert "c1, c2" in refused.value.message
    assert domain.evaluate(cleared_by_assurance("c1"), NOW) == []


# --- refused commands change nothing -------------------------------------------------------

def _violations() -> list[tuple[str, Callable[[AssuranceCase], list[NewEvent]]]]:
    future = NOW.date() + timedelta(days=1)
    return [
        ("charge_not_capital_eligible",
         lambda s: domain.request_assurance(s, ["c0"], NOW.date(), None, NOW)),
        ("date_in_future",
         lambda s: domain.request_assurance(s, ["c1"], future, None, NOW)),
        ("charge_not_capital_eligible",
         lambda s: domain.receive_assurance(s, assurance("A-9", "c1", "nope"), POLICY, NOW)),
        ("assurance_already_recorded",
         lambda s: domain.receive_assurance(s, assurance("A-1", "c1"), POLICY, NOW)),
        ("date_in_future",
         lambda s: domain.receive_assurance(s, assurance("A-9", "c1", issued_on=future),
                                            POLICY, NOW)),
        ("assurance_scope_insufficient",
         lambda s: domain.decide_assurance(s, "A-weak", True, NOW.date(), "ok", POLICY, NOW)),
        ("date_before_issue",
         lambda s: domain.decide_assurance(s, "A-1", True, date(2025, 1, 1), "ok", POLICY,
                                           NOW)),
        ("date_in_future",
         lambda s: domain.decide_assurance(s, "A-1", True, future, "ok", POLICY, NOW)),
        ("basis_mismatch",
         lambda s: domain.record_doj_commitment(s, "DOJ", NOW.date(), "AG", "none", NOW)),
        ("capital_charge_uncovered", lambda s: domain.evaluate(s, NOW)),
    ]


@pytest.mark.parametrize(("rule", "command"), _violations(),
                         ids=[f"{i}-{rule}" for i, (rule, _) in enumerate(_violations())])
def test_a_refused_command_names_its_rule_and_leaves_the_case_unchanged(
    rule: str, command: Callable[[AssuranceCase], list[NewEvent]]
) -> None:
    state = opened(charge("c0", capital=False), charge("c1"), charge("c2"))
    state = receive(state, assurance("A-1", "c1"))
    state = receive(state, assurance("A-weak", "c2", scope=[Scope.NOT_SOUGHT]))
    before = copy.deepcopy(state)

    with pytest.raises(RuleViolation) as refused:
        command(state)

    assert refused.value.rule == rule
    assert state == before


def test_an_unknown_assurance_is_not_found() -> None:
    state = opened(charge("c1"))
    with pytest.raises(NotFound):
        domain.decide_assurance(state, "A-404", True, NOW.date(), "ok", POLICY, NOW)
    with pytest.raises(NotFound):
        domain.withdraw_assurance(state, "A-404", NOW.date(), "gone", NOW)


def test_a_withdrawn_assurance_cannot_be_evaluated() -> None:
    state = receive(opened(charge("c1")), assurance("A-1", "c1"))
    state = fold(state, domain.withdraw_assurance(state, "A-1", NOW.date(), "retracted", NOW))
    with pytest.raises(RuleViolation) as refused:
        decide(state, "A-1", accepted=True)
    assert refused.value.rule == "assurance_withdrawn"
