"""Where an event moves a case's operator status and clearance (intake's read model and its
audit rebuild both ask `read_model.moves`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.intake.read_model import BEFORE_THE_AMPARO, moves, stage_before


def test_a_person_off_a_flight_awaits_transport_unless_the_us_marshals_hold_them() -> None:
    removed = "transport.removed_from_manifest"
    assert moves(removed, {"reason": "flight_cancelled"}) == {"status": "awaiting_transport"}
    assert moves(removed, {"reason": "flight_cancelled", "in_us_custody": True}) \
        == {"status": "in_us_custody"}


def test_events_that_move_nothing_and_clearance_events() -> None:
    assert moves("transport.flight_scheduled", {}) == {}
    assert moves("assurance.death_penalty_clearance_withdrawn", {}) == {"clearance": "withdrawn"}


@pytest.mark.parametrize("reason", ["released_from_custody", "pickup_window_expired",
                                    "amparo_suspension_active", "surrender_not_ordered"])
def test_a_removal_that_follows_a_judicial_act_keeps_that_acts_status(reason: str) -> None:
    """Transport takes the person off because of a judicial act (recorded after it): the
    case stays released or suspended, not awaiting transport."""
    assert moves("transport.removed_from_manifest", {"reason": reason}) == {}
    assert moves("transport.removed_from_manifest", {"reason": "removed_by_operator"}) \
        == {"status": "awaiting_transport"}


def test_a_basis_change_moves_the_cases_basis_and_status_until_the_transfer_is_authorized(
) -> None:
    """Caro Quintero's case: the treaty case overtaken by a national-security decision is on
    that basis from then on, in the operator's list too, not on the request's."""
    changed = {"from_basis": "treaty", "to_basis": "national_security"}
    assert moves("judicial.basis_changed", changed) \
        == {"status": "basis_changed", "legal_basis": "national_security"}
    assert moves("judicial.national_security_transfer_authorized", {}) \
        == {"status": "transfer_authorized"}


def test_an_amparo_ruling_or_the_end_of_a_suspension_says_what_holds_the_person_after_it(
) -> None:
    """A denial whose suspension holds until it is final keeps the case suspended; one that
    leaves another suit unruled leaves it pending; one that leaves nothing holding returns
    the case to where it stood before its amparo (looked up in its timeline)."""
    denied = "judicial.amparo_denied"
    assert moves(denied, {"active_suspensions": ["A-1"], "pending_amparos": []}) \
        == {"status": "amparo_suspension"}
    assert moves(denied, {"active_suspensions": [], "pending_amparos": ["A-2"]}) \
        == {"status": "amparo_pending"}
    assert moves(denied, {"active_suspensions": [], "pending_amparos": []}) \
        == {"status": BEFORE_THE_AMPARO}
    assert moves("judicial.amparo_suspension_lifted", {"active_suspensions": []}) \
        == {"status": BEFORE_THE_AMPARO}
    assert moves("judicial.amparo_suspension_reinstated", {"active_suspensions": ["A-1"]}) \
        == {"status": "amparo_suspension"}
    appeal = "judicial.amparo_appeal_decided"
    assert moves(appeal, {"outcome": "granted", "active_suspensions": []}) \
        == {"status": "amparo_granted"}
    # Recorded before the decision named the suspensions: nothing to go on, nothing moves.
    assert moves(appeal, {"outcome": "denied", "active_suspensions": None}) == {}


def day(n: int) -> datetime:
    return datetime(2026, 3, n, 12, tzinfo=UTC)


def test_the_stage_before_the_amparo_is_the_latest_judicial_stage_recorded_before_the_act(
) -> None:
    timeline = [(day(1), "judicial.case_opened"), (day(3), "judicial.sre_extradition_granted"),
                (day(4), "judicial.amparo_filed"), (day(5), "transport.case_eligible"),
                (day(6), "judicial.amparo_suspension_granted"),
                (day(9), "judicial.surrender_ordered")]
    assert stage_before(timeline, day(8)) == "extradition_granted"
    assert stage_before(timeline, day(10)) == "surrender_ordered"
    assert stage_before([], day(8)) == "in_judicial_process"
