"""Review s14 (helpers/review-s14-assurance.md): the transfer judged on the counts charged on
its legal date (F1), a late note for a count capital on its date (F2), one statute however
written (F3), a commitment covering only from the basis change (F4) and a `cleared_since`
that does not depend on typing order (F5). Pure domain tests; every act is entered after the
fact (NOW), so only the acts' legal dates can decide."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.assurance import audit, coverage, domain
from services.assurance import events as ev
from services.assurance.domain import AssuranceCase, ChargeFacts, IntakeCharges
from services.assurance.events import DiplomaticNote, Scope
from shared.errors import RuleViolation
from shared.eventstore import NewEvent
from shared.legaltime import legal_date, start_of_legal_day

from .helpers import CASE, POLICY, recorded

NOW = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
DEATH_LAW = "18 U.S.C. § 3591"


def at(day: date) -> datetime:
    """Noon in Mexico City on `day`."""
    return datetime(day.year, day.month, day.day, 18, 0, tzinfo=UTC)


def capital(charge_id: str, statute: str | None = None,
            law: str | None = DEATH_LAW) -> ChargeFacts:
    return ChargeFacts(charge_id, statute or f"18 U.S.C. § 1114 ({charge_id})", True, law)


def plain(charge_id: str) -> ChargeFacts:
    return ChargeFacts(charge_id, f"21 U.S.C. § 841 ({charge_id})", False, None)


def dropped(charge_id: str) -> ChargeFacts:
    """The count as a superseding indictment lists it without death."""
    return ChargeFacts(charge_id, f"18 U.S.C. § 1114 ({charge_id})", False, None)


class Case:
    """A case driven through the pure domain; `log` keeps every event decided."""

    def __init__(self, *charges: ChargeFacts, basis: str = "treaty",
                 on: date = date(2025, 6, 1)) -> None:
        self.state: AssuranceCase = domain.initial()
        self.log: list[NewEvent] = []
        self._run(domain.take_charges(self.state, IntakeCharges(
            CASE, "request_submitted", charges, at(on), str(uuid.uuid4()),
            legal_basis=basis), NOW))

    def _run(self, events: list[NewEvent]) -> list[NewEvent]:
        self.log += events
        self.state = domain.preview(self.state, events)
        return events

    def amend(self, on: date, *charges: ChargeFacts) -> list[NewEvent]:
        return self._run(domain.take_charges(self.state, IntakeCharges(
            CASE, "charges_amended", charges, at(on), str(uuid.uuid4()),
            amendment_reason="superseding indictment"), NOW))

    def receive(self, aid: str, issued: date, *charge_ids: str) -> list[NewEvent]:
        return self._run(domain.receive_assurance(self.state, domain.ReceivedAssurance(
            aid, (Scope.NOT_IMPOSED,), DiplomaticNote(
                reference=f"DN-{aid}", issuing_authority="US Department of State",
                issued_on=issued), charge_ids), POLICY, NOW))

    def decide(self, aid: str, on: date) -> list[NewEvent]:
        return self._run(domain.decide_assurance(self.state, aid, True, on, "SRE", POLICY, NOW))

    def accept(self, aid: str, issued: date, decided: date, *charge_ids: str) -> list[NewEvent]:
        return self.receive(aid, issued, *charge_ids) + self.decide(aid, decided)

    def withdraw(self, aid: str, on: date) -> list[NewEvent]:
        return self._run(domain.withdraw_assurance(self.state, aid, on, "retracted", NOW))

    def commit(self, ref: str, on: date, **scope: Any) -> list[NewEvent]:
        return self._run(domain.record_doj_commitment(
            self.state, ref, on, "US DOJ", "will not seek death", NOW, **scope))

    def transfer(self, day: date) -> list[NewEvent]:
        return self._run(domain.note_transfer(self.state, CASE, at(day), "transport-1", NOW,
                                              recorded_at=NOW))

    def basis(self, on: date) -> list[NewEvent]:
        return self._run(domain.note_basis_change(self.state, domain.BasisChange(
            CASE, "national_security", on, "judicial-1")))

    @property
    def flag(self) -> tuple[str | None, date | None]:
        transfer = self.state.transfer
        assert transfer is not None
        return transfer.flag_reason, transfer.clearance_on


def of_type(events: list[NewEvent], event_type: str) -> list[dict[str, Any]]:
    return [e.payload for e in events if e.event_type == event_type]


# --- F1: the transfer is judged on the counts charged on its legal date ---------------------

def test_a_count_charged_after_the_transfer_does_not_rewrite_a_cleared_after_transfer_flag(
) -> None:
    """Custody 20 Jul with c1 uncovered, c1's assurance accepted 25 Jul: cleared after the
    transfer (20 Jul / 25 Jul). A superseding indictment of 1 Aug makes c2 capital: it was not
    charged on 20 Jul, so the flag neither names it nor moves to c2's cover (10 Aug)."""
    case = Case(capital("c1"), plain("c2"))
    case.transfer(date(2025, 7, 20))
    case.accept("A1", date(2025, 7, 1), date(2025, 7, 25), "c1")
    assert case.flag == ("cleared_after_transfer", date(2025, 7, 25))

    amended = case.amend(date(2025, 8, 1), capital("c1"), capital("c2"))
    assert of_type(amended, ev.TRANSFER_WITHOUT_CLEARANCE_FLAGGED) == [], (
        "an amendment dated after the transfer re-flagged it: "
        f"{of_type(amended, ev.TRANSFER_WITHOUT_CLEARANCE_FLAGGED)}")
    assert not case.state.clearance.cleared  # the current clearance does follow it

    case.accept("A2", date(2025, 8, 2), date(2025, 8, 10), "c2")
    assert case.flag == ("cleared_after_transfer", date(2025, 7, 25))
    assert case.state.clearance.exception == "granted_after_transfer"


def test_a_withdrawal_dated_after_the_transfer_does_not_rewrite_its_flag() -> None:
    case = Case(capital("c1"))
    case.transfer(date(2025, 7, 20))
    case.accept("A1", date(2025, 7, 1), date(2025, 7, 25), "c1")
    withdrawn = case.withdraw("A1", date(2025, 8, 1))
    assert of_type(withdrawn, ev.TRANSFER_WITHOUT_CLEARANCE_FLAGGED) == []
    assert case.flag == ("cleared_after_transfer", date(2025, 7, 25))
    assert not case.state.clearance.cleared


def test_dropping_the_count_after_the_transfer_does_not_make_it_cleared_after_transfer(
) -> None:
    """No assurance or commitment ever covered c1: dropping death for it on 1 Aug ends the
    count, it does not clear the transfer of 20 Jul."""
    case = Case(capital("c1"))
    case.transfer(date(2025, 7, 20))
    assert case.flag == ("not_cleared", None)
    amended = case.amend(date(2025, 8, 1), dropped("c1"))
    assert case.flag == ("not_cleared", None)
    assert of_type(amended, ev.TRANSFER_WITHOUT_CLEARANCE_FLAGGED) == []


def test_the_transfer_is_cleared_after_it_once_each_of_its_counts_was_covered() -> None:
    """c1 and c2 uncovered on 20 Jul; c1 covered from 25 Jul, c2 from 28 Jul: cleared after
    the transfer on 28 Jul, naming both counts."""
    case = Case(capital("c1"), capital("c2"))
    noted = case.transfer(date(2025, 7, 20))
    assert of_type(noted, ev.TRANSFER_WITHOUT_CLEARANCE_FLAGGED)[0]["uncovered_charge_ids"] \
        == ["c1", "c2"]
    case.accept("A1", date(2025, 7, 1), date(2025, 7, 25), "c1")
    assert case.flag == ("not_cleared", None)
    events = case.accept("A2", date(2025, 7, 1), date(2025, 7, 28), "c2")
    [flag] = of_type(events, ev.TRANSFER_WITHOUT_CLEARANCE_FLAGGED)
    assert (flag["reason"], flag["clearance_legal_date"], flag["uncovered_charge_ids"],
            flag["cleared_since"]) == ("cleared_after_transfer", "2025-07-28", ["c1", "c2"],
                                       "2025-07-28T06:00:00Z")


def test_a_count_covered_then_dropped_after_the_transfer_counts_as_covered() -> None:
    """c1 covered 25 Jul then dropped 27 Jul; c2 covered from 1 Aug: each count of the
    transfer was covered (or ended after being covered) on 1 Aug."""
    case = Case(capital("c1"), capital("c2"))
    case.transfer(date(2025, 7, 20))
    case.accept("A1", date(2025, 7, 1), date(2025, 7, 25), "c1")
    case.amend(date(2025, 7, 27), dropped("c1"), capital("c2"))
    case.accept("A2", date(2025, 7, 1), date(2025, 8, 1), "c2")
    assert case.flag == ("cleared_after_transfer", date(2025, 8, 1))


def test_a_count_of_the_transfer_re_charged_uncovered_stays_not_cleared() -> None:
    """c1 uncovered on 20 Jul is re-charged under another statute on 1 Aug and the new count
    covered: the count charged on the transfer's day never was."""
    case = Case(capital("c1"))
    case.transfer(date(2025, 7, 20))
    case.amend(date(2025, 8, 1), capital("c1", "18 U.S.C. § 1111"))
    case.accept("A1", date(2025, 8, 2), date(2025, 8, 5), "c1")
    assert case.state.clearance.cleared
    assert case.flag == ("not_cleared", None)


def test_a_capital_amendment_dated_before_the_transfer_still_reaches_back() -> None:
    case = Case(capital("c1"), plain("c2"))
    case.accept("A1", date(2025, 7, 1), date(2025, 7, 5), "c1")
    case.transfer(date(2025, 7, 20))
    assert case.state.transfer is not None and not case.state.transfer.flagged
    events = case.amend(date(2025, 7, 15), capital("c1"), capital("c2"))
    [flag] = of_type(events, ev.TRANSFER_WITHOUT_CLEARANCE_FLAGGED)
    assert (flag["reason"], flag["uncovered_charge_ids"]) == ("not_cleared", ["c2"])


# --- F2: a late note for a count capital on its date ----------------------------------------

def test_an_assurance_for_a_count_capital_on_its_date_can_be_recorded_after_it_was_dropped(
) -> None:
    """The note of 1 Jul on c1, accepted 10 Jul, typed in after c1 stopped being capital
    (1 Aug): it covers c1 as it stood on 1 Jul, so the transfer of 20 Jul was cleared."""
    case = Case(capital("c1"))
    case.transfer(date(2025, 7, 20))
    case.amend(date(2025, 8, 1), dropped("c1"))
    assert case.state.transfer is not None and case.state.transfer.flagged

    try:
        case.accept("A1", date(2025, 7, 1), date(2025, 7, 10), "c1")
    except RuleViolation as refused:
        pytest.fail(f"the note of 1 Jul on a count capital that day was refused: {refused}")
    assert coverage.cleared_on(case.state, date(2025, 7, 20))
    assert not case.state.transfer.flagged


def test_an_assurance_request_for_a_count_since_removed_is_recorded() -> None:
    case = Case(capital("c1"), plain("c2"))
    case.amend(date(2025, 8, 1), plain("c2"))
    events = case._run(domain.request_assurance(case.state, ["c1"], date(2025, 7, 1), None,
                                                NOW))
    assert of_type(events, ev.ASSURANCE_REQUESTED) != []


@pytest.mark.parametrize("charge_id", ["c1", "c2"])
def test_a_count_not_capital_on_the_notes_date_or_since_is_still_refused(
        charge_id: str) -> None:
    """c1 stopped being capital on 1 Aug, before the note of 5 Aug; c2 never was."""
    case = Case(capital("c1"), plain("c2"))
    case.amend(date(2025, 8, 1), dropped("c1"), plain("c2"))
    with pytest.raises(RuleViolation) as refused:
        case.receive("A1", date(2025, 8, 5), charge_id)
    assert refused.value.rule == "charge_not_capital_eligible"
    assert "on 2025-08-05 or since" in str(refused.value)


# --- F3: one statute however written ------------------------------------------------------

def test_the_same_statute_written_another_way_is_not_a_re_charged_count() -> None:
    case = Case(capital("c1", "18 U.S.C. § 1114"))
    case.accept("A1", date(2025, 7, 1), date(2025, 7, 5), "c1")
    case.transfer(date(2025, 7, 20))
    assert case.state.clearance.cleared and case.state.transfer is not None
    assert not case.state.transfer.flagged

    amended = case.amend(date(2025, 7, 15), capital("c1", "18 USC 1114"), plain("c3"))
    assert of_type(amended, ev.CAPITAL_CHARGE_WITHDRAWN) == []
    assert case.state.clearance.cleared
    assert not case.state.transfer.flagged
    assert case.state.capital["c1"].generation == 1


def test_the_same_death_penalty_law_written_another_way_is_not_a_re_charged_count() -> None:
    case = Case(capital("c1"))
    case.accept("A1", date(2025, 7, 1), date(2025, 7, 5), "c1")
    amended = case.amend(date(2025, 7, 15), capital("c1", law="18 u.s.c. 3591"))
    assert amended == []
    assert case.state.clearance.cleared


@pytest.mark.parametrize(("statute", "law"), [
    ("18 U.S.C. § 1111", DEATH_LAW),           # another statute
    ("18 U.S.C. § 1114 (c1)", "18 U.S.C. § 3592"),  # another death-penalty law
    ("18 U.S.C. § 1114 (c1)", None),           # a law named, then none
])
def test_another_law_still_re_identifies_the_count(statute: str, law: str | None) -> None:
    case = Case(capital("c1"))
    case.accept("A1", date(2025, 7, 1), date(2025, 7, 5), "c1")
    amended = case.amend(date(2025, 7, 15), capital("c1", statute, law))
    [withdrawn] = of_type(amended, ev.CAPITAL_CHARGE_WITHDRAWN)
    assert withdrawn["reason"] == "charge_terms_changed"
    assert case.state.capital["c1"].generation == 2
    assert not case.state.clearance.cleared


# --- F4: a commitment covers from the day the case is on the national-security basis -------

def test_a_commitment_dated_before_the_basis_change_clears_only_from_the_change() -> None:
    """A treaty case overtaken by national security on 27 Feb; the DOJ committed on 10 Feb.
    Before 27 Feb only an accepted assurance cleared it (brief rule 1)."""
    case = Case(capital("c1"), on=date(2025, 1, 10))
    case.basis(date(2025, 2, 27))
    committed = case.commit("DOJ-NS-1", date(2025, 2, 10))

    assert not coverage.cleared_on(case.state, date(2025, 2, 15))
    assert coverage.cleared_on(case.state, date(2025, 2, 27))
    assert case.state.clearance.since == start_of_legal_day(date(2025, 2, 27))
    [granted] = [e for e in committed if e.event_type == ev.CLEARANCE_GRANTED]
    assert granted.occurred_at == start_of_legal_day(date(2025, 2, 27))
    # The audit's legal axis (events dated on or before 15 Feb, in stream order) agrees.
    shown = audit.view([e for e in recorded(case.log)
                        if legal_date(e.occurred_at) <= date(2025, 2, 15)])
    assert shown["clearance"]["recorded_cleared"] == shown["clearance"]["cleared"]


def test_a_commitment_dated_after_the_basis_change_covers_from_its_own_date() -> None:
    case = Case(capital("c1"), on=date(2025, 1, 10))
    case.basis(date(2025, 2, 27))
    case.commit("DOJ-NS-1", date(2025, 3, 3))
    assert case.state.clearance.since == start_of_legal_day(date(2025, 3, 3))


def test_a_commitment_seeking_death_before_the_basis_change_leaves_nothing_covered() -> None:
    """The prosecution's no-death word of 10 Feb was ended by its word of 20 Feb that it seeks
    death, both before the case came on the national-security basis (27 Feb)."""
    case = Case(capital("c1"), on=date(2025, 1, 10))
    case.basis(date(2025, 2, 27))
    case.commit("DOJ-1", date(2025, 2, 10))
    case.commit("DOJ-2", date(2025, 2, 20), seeks_death=True)
    assert not case.state.clearance.cleared
    assert not any(coverage.cleared_on(case.state, date(2025, 2, d)) for d in (15, 27, 28))


# --- F5: cleared_since whatever order the acts are typed in ---------------------------------

def _since_typed(commitment_first: bool) -> date:
    case = Case(plain("c1"), basis="national_security", on=date(2025, 6, 1))
    if commitment_first:
        case.commit("DOJ-1", date(2025, 7, 20))
        case.amend(date(2025, 8, 1), capital("c1"))
    else:
        case.amend(date(2025, 8, 1), capital("c1"))
        case.commit("DOJ-1", date(2025, 7, 20))
    assert case.state.clearance.cleared and case.state.clearance.since is not None
    return legal_date(case.state.clearance.since)


def test_cleared_since_is_the_same_whatever_order_the_acts_are_recorded_in() -> None:
    """In law the case was never uncleared: cleared since the request (1 Jun)."""
    assert _since_typed(commitment_first=False) == _since_typed(commitment_first=True) \
        == date(2025, 6, 1)


def test_an_assurance_accepted_before_the_amendment_bringing_its_count_keeps_the_start(
) -> None:
    """The note for c1 (3 Jul, accepted 8 Jul) came before the superseding indictment that
    made c1 capital (10 Jul), entered first: the case was cleared every day, so it is cleared
    since the request (1 Jun), not since the acceptance typed last."""
    case = Case(plain("c1"), on=date(2025, 6, 1))
    case.amend(date(2025, 7, 10), capital("c1"))
    assert not case.state.clearance.cleared
    case.accept("A1", date(2025, 7, 3), date(2025, 7, 8), "c1")
    assert case.state.clearance.cleared and case.state.clearance.since == at(date(2025, 6, 1))
