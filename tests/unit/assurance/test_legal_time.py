"""Legal time (issue 13): clearance and the transfer's flag are judged on the legal dates of
the acts, never on when Runway recorded them.

The reproduction: a national-security transfer entered after the fact, with its real dates
(DOJ commitment 16 Jan 2026, custody 20 Jan 2026), came out flagged `cleared_after_transfer`
with the exception `granted_after_transfer`, because the clearance was dated when it was
recorded. Each rule is tested on both axes: a legal date on either side of the transfer's,
and a recorded time on either side of it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.assurance import audit, coverage, domain, inputs
from services.assurance import events as ev
from services.assurance.domain import AssuranceCase
from services.assurance.view import case_view
from shared.audit.legal_times import check_stream
from shared.eventstore import NewEvent
from shared.legaltime import legal_date, start_of_legal_day
from tests.support.service_app import off_kafka
from tests.support.stored import as_recorded, types

from .helpers import POLICY, assurance, charge, recorded, submitted
from .helpers import amended as amended_charges

COMMITTED = date(2026, 1, 16)
CUSTODY = datetime(2026, 1, 20, 16, 0, tzinfo=UTC)  # 10:00 in Mexico City
ENTERED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # weeks later: entered after the fact
CASE = "RWY-TEST-1"


def ns_case() -> AssuranceCase:
    state = domain.initial()
    return domain.preview(state, domain.take_charges(
        state, submitted(charge("c1"), charge("c2", capital=False), basis="national_security"),
        ENTERED))


def commit(state: AssuranceCase, on: date, now: datetime = ENTERED,
           **scope: Any) -> tuple[AssuranceCase, list[NewEvent]]:
    events = domain.record_doj_commitment(state, "DOJ-NS-2026-01", on, "US DOJ",
                                          "will not seek death", now, **scope)
    return domain.preview(state, events), events


def transfer(state: AssuranceCase, at: datetime = CUSTODY,
             recorded_at: datetime = ENTERED) -> tuple[AssuranceCase, list[NewEvent]]:
    events = domain.note_transfer(state, CASE, at, "transport-evt", recorded_at,
                                  recorded_at=recorded_at)
    return domain.preview(state, events), events


# --- the reproduction ---------------------------------------------------------------------

@pytest.mark.parametrize("commitment_first", [True, False])
def test_a_transfer_entered_after_the_fact_with_its_real_dates_is_not_flagged(
        commitment_first: bool) -> None:
    state = ns_case()
    if commitment_first:
        state, _ = commit(state, COMMITTED)
        state, _ = transfer(state)
    else:
        state, _ = transfer(state)
        state, _ = commit(state, COMMITTED)

    shown = case_view(state)
    assert shown["transfer"]["flagged"] is False and shown["transfer"]["flag"] is None
    assert shown["transfer"]["cleared_at_transfer"] is True
    assert shown["transfer"]["recorded_after_the_fact"] is True  # clerical, shown
    assert shown["clearance"]["exception"] is None
    assert shown["clearance"]["since"] == "2026-01-16T06:00:00.000000Z"  # 16 Jan in Mexico City
    assert shown["doj_commitment"]["after_transfer"] is False


def test_events_are_dated_at_their_acts_legal_time_never_when_recorded() -> None:
    state, committed = commit(ns_case(), COMMITTED)
    _, noted = transfer(state)
    assert {legal_date(e.occurred_at) for e in committed if e.occurred_at} == {COMMITTED}
    assert types(committed) == [ev.DOJ_COMMITMENT_RECORDED, ev.CLEARANCE_GRANTED]
    assert [e.occurred_at for e in noted] == [CUSTODY]


def test_a_commitment_dated_after_the_custody_is_flagged_naming_both_dates() -> None:
    state, _ = transfer(ns_case())
    state, events = commit(state, date(2026, 1, 22))
    flag = next(e.payload for e in events if e.event_type == ev.TRANSFER_WITHOUT_CLEARANCE_FLAGGED)
    assert (flag["reason"], flag["transfer_legal_date"], flag["clearance_legal_date"]) == \
        ("cleared_after_transfer", "2026-01-20", "2026-01-22")
    shown = case_view(state)["transfer"]
    assert shown["flag"]["transfer_legal_date"] == "2026-01-20"
    assert shown["flag"]["clearance_legal_date"] == "2026-01-22"
    assert case_view(state)["clearance"]["exception"] == "commitment_after_transfer"


def test_a_clearance_restated_by_an_earlier_transfer_entered_later_keeps_its_own_date() -> None:
    """The feb-2025 pattern: the DOJ commitment (22 Jan) is entered before the custody
    transfer it came after (20 Jan). Noting the transfer restates the clearance with its
    exception; that restatement is dated at the clearance's own legal date, so the legal
    position on a day between the two (folding only the events dated by then) is uncleared."""
    state, _ = commit(ns_case(), date(2026, 1, 22))
    _, noted = transfer(state)
    [restated] = [e for e in noted if e.event_type == ev.CLEARANCE_GRANTED]
    assert restated.payload["exception"] == "commitment_after_transfer"
    assert restated.occurred_at == start_of_legal_day(date(2026, 1, 22))

    _, committed = commit(ns_case(), date(2026, 1, 22))
    on_the_21st = domain.initial()
    for event in [*take_charges_events(), *committed, *noted]:
        if event.occurred_at is None or legal_date(event.occurred_at) <= date(2026, 1, 21):
            on_the_21st = domain.preview(on_the_21st, [event])
    assert case_view(on_the_21st)["clearance"]["cleared"] is False
    assert case_view(on_the_21st)["transfer"]["flagged"] is True
    # `runway audit verify` reads the restatement's legal time where the table says it is.
    stream = as_recorded(noted, stream_id=CASE, stream_type="assurance_case", at=ENTERED)
    assert check_stream(stream, "America/Mexico_City") == ([], [])


def take_charges_events() -> list[NewEvent]:
    return domain.take_charges(domain.initial(), submitted(
        charge("c1"), charge("c2", capital=False), basis="national_security"), ENTERED)


# --- each rule on both axes ----------------------------------------------------------------

@pytest.mark.parametrize(("committed_on", "flagged"), [
    (date(2026, 1, 19), False), (date(2026, 1, 20), False), (date(2026, 1, 21), True)])
@pytest.mark.parametrize("entered", [CUSTODY - timedelta(hours=1), ENTERED])
def test_cleared_after_transfer_reads_the_legal_dates_only(
        committed_on: date, flagged: bool, entered: datetime) -> None:
    """Legal axis: the commitment's date against the custody's decides. Recorded axis: when
    either was entered changes nothing (a commitment cannot be entered before its date)."""
    if entered < start_of_legal_day(committed_on):
        entered = start_of_legal_day(committed_on) + timedelta(hours=1)
    state, _ = commit(ns_case(), committed_on, entered)
    state, _ = transfer(state, recorded_at=max(entered, CUSTODY))
    assert state.transfer is not None
    assert state.transfer.flagged is flagged
    assert (state.transfer.flag_reason == "cleared_after_transfer") is flagged


def test_a_handoff_at_23_30_local_time_is_that_days_act() -> None:
    """23:30 on 20 Jan in Mexico City is 21 Jan in UTC: a commitment of 21 Jan is after it."""
    late_night = datetime(2026, 1, 21, 5, 30, tzinfo=UTC)
    same_day, _ = commit(ns_case(), date(2026, 1, 20))
    same_day, _ = transfer(same_day, late_night)
    next_day, _ = commit(ns_case(), date(2026, 1, 21))
    next_day, _ = transfer(next_day, late_night)
    assert same_day.transfer and not same_day.transfer.flagged
    assert next_day.transfer and next_day.transfer.flag_reason == "cleared_after_transfer"


@pytest.mark.parametrize("entered", [datetime(2025, 7, 16, 12, 0, tzinfo=UTC), ENTERED])
@pytest.mark.parametrize(("decided_on", "exception"), [
    (date(2025, 7, 15), None), (date(2025, 7, 21), "granted_after_transfer")])
def test_an_acceptance_counts_from_its_decision_date(entered: datetime, decided_on: date,
                                                     exception: str | None) -> None:
    handoff = datetime(2025, 7, 20, 15, 0, tzinfo=UTC)
    state = domain.initial()
    state = domain.preview(state, domain.take_charges(state, submitted(charge("c1")), entered))
    state, _ = transfer(state, handoff, max(entered, handoff))
    state = domain.preview(state, domain.receive_assurance(
        state, assurance("A-1", "c1"), POLICY, ENTERED))
    state = domain.preview(state, domain.decide_assurance(
        state, "A-1", True, decided_on, "sufficient", POLICY, ENTERED))
    assert state.clearance.exception == exception
    assert state.transfer is not None and state.transfer.flagged is (exception is not None)


def test_a_withdrawal_after_a_transfer_found_cleared_does_not_reach_back() -> None:
    state, _ = commit(ns_case(), COMMITTED, charge_ids=["c1"])
    state, _ = transfer(state)
    # The amendment is dated when intake recorded it (ENTERED, after the custody): an
    # amendment dated before the custody would reach back (test_review_s10).
    amendment = replace(amended_charges(charge("c1"), charge("c2")), recorded_at=ENTERED)
    amended = domain.take_charges(state, amendment, ENTERED)
    state = domain.preview(state, amended)
    # c2 became capital later and the commitment names only c1: the clearance is withdrawn,
    # but at the custody's legal date the case was cleared, so no flag.
    assert ev.CLEARANCE_WITHDRAWN in types(amended)
    assert not state.clearance.cleared
    assert state.transfer is not None and not state.transfer.flagged


def test_an_old_flag_reads_as_v2_naming_the_dates_it_compared() -> None:
    v1 = {"case_id": CASE, "transferred_at": "2026-01-21T05:30:00Z", "reason": "not_cleared",
          "uncovered_charge_ids": ["c1"], "cleared_since": None}
    v2 = ev.TransferWithoutClearanceFlagged.model_validate(ev.transfer_flagged_v1_to_v2(v1))
    assert (v2.transfer_legal_date, v2.clearance_legal_date) == (date(2026, 1, 20), None)


# --- the same legal facts, in any order, recorded at any later time ------------------------

@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[AssuranceCase, datetime], list[NewEvent]]


def legal_state(state: AssuranceCase, log: list[NewEvent]) -> tuple[object, ...]:
    clearance, transfer_ = state.clearance, state.transfer
    return (
        (clearance.cleared, clearance.since, clearance.basis, clearance.exception,
         clearance.charge_ids, clearance.assurance_ids, clearance.doj_commitment_reference),
        None if transfer_ is None else (
            transfer_.transferred_at, transfer_.transfer_on, transfer_.cleared_at_transfer,
            transfer_.flagged, transfer_.flag_reason, transfer_.clearance_on),
        coverage.uncovered_charges(state),
        [(b.rule, b.detail) for b in audit.blockers(recorded(log))],
    )


def run_in(order: tuple[Step, ...], entered: list[datetime],
           basis: str) -> tuple[object, ...]:
    state = domain.initial()
    log = domain.take_charges(state, submitted(charge("c1"), basis=basis), entered[0])
    state = domain.preview(state, log)
    for step, now in zip(order, entered[1:], strict=True):
        events = step.run(state, now)
        log += events
        state = domain.preview(state, events)
    return legal_state(state, log)


DAY = date(2026, 1, 20)


@settings(max_examples=80, deadline=None)
@given(basis=st.sampled_from(["national_security", "treaty"]),
       act_day=st.integers(-3, 3), custody_minute=st.integers(0, 24 * 60 - 1),
       delays=st.lists(st.integers(0, 90 * 24 * 60), min_size=4, max_size=4),
       permutation=st.integers(0, 5))
def test_the_same_legal_facts_in_any_order_at_any_recorded_time_give_the_same_judgement(
        basis: str, act_day: int, custody_minute: int, delays: list[int],
        permutation: int) -> None:
    acted = DAY + timedelta(days=act_day)
    custody = start_of_legal_day(DAY) + timedelta(minutes=custody_minute)
    latest = max(custody, start_of_legal_day(acted) + timedelta(days=1))
    entered = [latest + timedelta(minutes=d) for d in delays]

    def custody_step(s: AssuranceCase, now: datetime) -> list[NewEvent]:
        return domain.note_transfer(s, CASE, custody, "t-1", now, recorded_at=now)

    if basis == "national_security":
        steps = [Step("doj", lambda s, now: domain.record_doj_commitment(
            s, "DOJ-1", acted, "US DOJ", "will not seek death", now)),
            Step("custody", custody_step)]
        orders = list(itertools.permutations(steps))
    else:
        receive = Step("receive", lambda s, now: domain.receive_assurance(
            s, assurance("A-1", "c1", issued_on=acted), POLICY, now))
        accept = Step("accept", lambda s, now: domain.decide_assurance(
            s, "A-1", True, acted, "sufficient", POLICY, now))
        custody_ = Step("custody", custody_step)
        orders = [(custody_, receive, accept), (receive, custody_, accept),
                  (receive, accept, custody_)]
    first = orders[0]
    chosen = orders[permutation % len(orders)]
    expected = run_in(first, entered[:len(first) + 1], basis)
    assert run_in(chosen, sorted(entered)[:len(chosen) + 1], basis) == expected
    # and the judgement is the legal one: flagged exactly when the act is dated after
    judged_transfer = expected[1]
    assert isinstance(judged_transfer, tuple)
    assert judged_transfer[3] is (acted > DAY)


def test_a_count_added_by_a_superseding_indictment_is_charged_from_its_date() -> None:
    """Review s10, left open then: intake dated an amendment when it was entered, so an
    assurance accepted between the superseding indictment and that entry did not cover the
    count it added. Intake now dates the event at `amended_on` (its integration test), and
    assurance charges the count from that time, whenever the event is recorded."""
    state = domain.initial()
    state = domain.preview(state, domain.take_charges(
        state, submitted(charge("c1", capital=False)), datetime(2025, 6, 2, tzinfo=UTC)))
    counts = [{"charge_id": c, "statute": f"18 U.S.C. § 1114 ({c})",
               "death_penalty_possible": True, "death_penalty_law": "18 U.S.C. § 3591"}
              for c in ("c1", "c2")]
    amended = off_kafka("intake", "intake.charges_amended", {
        "case_id": state.case_id, "charges": counts, "reason": "superseding indictment",
        "amended_on": "2025-07-01"}, str(state.case_id), at=start_of_legal_day(date(2025, 7, 1)))
    state = domain.preview(state, domain.take_charges(
        state, inputs.intake_readers.read(amended), ENTERED))
    state = domain.preview(state, domain.receive_assurance(
        state, assurance("A-1", "c1", "c2", issued_on=date(2025, 7, 3)), POLICY, ENTERED))
    state = domain.preview(state, domain.decide_assurance(
        state, "A-1", True, date(2025, 7, 5), "sufficient", POLICY, ENTERED))
    assert state.clearance.cleared
    assert coverage.cleared_from(state) == date(2025, 7, 5)


def test_the_legal_position_on_a_day_reads_what_the_acts_dated_up_to_it_cover() -> None:
    """c1 is cleared by A1 (accepted 10 Jul) until A1's withdrawal on 5 Aug; then a superseding
    indictment dated 6 Jul, learnt of after that, adds capital count c2. In law c2 was
    uncovered on 20 Jul: the case was not cleared that day (product rule 1), though the grant
    of 10 Jul is among the acts dated up to it and no withdrawal is. The auditors' view and
    explain on that legal date say so (they said cleared, with no blocker)."""
    state, log = domain.initial(), []

    def go(events: list[NewEvent]) -> None:
        nonlocal state
        log.extend(events)
        state = domain.preview(state, events)

    go(domain.take_charges(state, submitted(charge("c1")), ENTERED))
    go(domain.receive_assurance(state, assurance("A1", "c1"), POLICY, ENTERED))
    go(domain.decide_assurance(state, "A1", True, date(2025, 7, 10), "sufficient", POLICY,
                               ENTERED))
    go(domain.withdraw_assurance(state, "A1", date(2025, 8, 5), "retracted", ENTERED))
    superseding = replace(amended_charges(charge("c1"), charge("c2")),
                          recorded_at=start_of_legal_day(date(2025, 7, 6)))
    go(domain.take_charges(state, superseding, ENTERED))
    assert not coverage.cleared_on(state, date(2025, 7, 20))

    day = [e for e in recorded(log) if legal_date(e.occurred_at) <= date(2025, 7, 20)]
    shown = audit.view(day)["clearance"]
    assert (shown["cleared"], shown["recorded_cleared"]) == (False, True)
    assert shown["blocked"]["uncovered_charge_ids"] == ["c2"]
    assert [b.rule for b in audit.blockers(day)] == ["death_penalty_clearance_missing"]
