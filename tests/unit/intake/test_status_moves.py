"""Where an event moves a case's operator status and clearance (intake's read model and its
audit rebuild both ask `read_model.moves`)."""

from __future__ import annotations

import pytest

from services.intake.read_model import moves, shown_status


def test_a_person_off_a_flight_awaits_transport_unless_the_us_marshals_hold_them() -> None:
    removed = "transport.removed_from_manifest"
    assert moves(removed, {"reason": "flight_cancelled"}) == {"status": "awaiting_transport"}
    assert moves(removed, {"reason": "flight_cancelled", "in_us_custody": True}) \
        == {"status": "in_us_custody"}


def test_events_that_move_nothing_and_clearance_events() -> None:
    assert moves("transport.flight_scheduled", {}) == {}
    assert moves("assurance.death_penalty_clearance_withdrawn", {}) == {"clearance": "withdrawn"}


@pytest.mark.parametrize("reason", ["released_from_custody", "pickup_window_expired"])
def test_a_removal_that_follows_a_judicial_act_keeps_that_acts_status(reason: str) -> None:
    """Transport takes the person off because of a judicial act (recorded after it): the
    case stays released, not awaiting transport."""
    assert moves("transport.removed_from_manifest", {"reason": reason}) == {}
    assert moves("transport.removed_from_manifest", {"reason": "removed_by_operator"}) \
        == {"status": "awaiting_transport"}


def test_a_basis_change_moves_the_cases_basis_and_status_until_the_transfer_is_authorized(
) -> None:
    """Caro Quintero's case: the treaty case overtaken by a national-security decision is on
    that basis from then on, in the operator's list too, not on the request's."""
    changed = {"from_basis": "treaty", "to_basis": "national_security"}
    # ... and its suits no longer hold it (the basis change overtakes them).
    assert moves("judicial.basis_changed", changed) == {
        "status": "basis_changed", "legal_basis": "national_security", "amparo_status": None}
    assert moves("judicial.national_security_transfer_authorized", {}) \
        == {"status": "transfer_authorized"}


def test_an_amparo_ruling_or_the_end_of_a_suspension_says_what_holds_the_person_after_it(
) -> None:
    """A denial whose suspension holds until it is final keeps the case suspended; one that
    leaves another suit unruled leaves it pending; one that leaves nothing holding clears
    the amparo status, and the case shows its stage again."""
    denied = "judicial.amparo_denied"
    assert moves(denied, {"active_suspensions": ["A-1"], "pending_amparos": []}) \
        == {"amparo_status": "amparo_suspension"}
    assert moves(denied, {"active_suspensions": [], "pending_amparos": ["A-2"]}) \
        == {"amparo_status": "amparo_pending"}
    assert moves(denied, {"active_suspensions": [], "pending_amparos": []}) \
        == {"amparo_status": None}
    lifted = "judicial.amparo_suspension_lifted"
    assert moves(lifted, {"active_suspensions": [], "pending_amparos": ["A-2"]}) \
        == {"amparo_status": "amparo_pending"}
    assert moves("judicial.amparo_suspension_reinstated", {"active_suspensions": ["A-1"]}) \
        == {"amparo_status": "amparo_suspension"}
    # A grant holds the SRE's decision it annuls until the SRE decides again (which sets
    # every suit of the annulled decision aside), or an appeal reverses it.
    assert moves("judicial.amparo_granted", {}) == {"amparo_status": "amparo_granted"}
    assert moves("judicial.sre_extradition_granted", {}) == {
        "status": "extradition_granted", "amparo_status": None}
    assert moves("judicial.amparo_appeal_decided", {
        "outcome": "denied", "active_suspensions": [], "pending_amparos": []}) == {
        "amparo_status": None}
    # Recorded before the rulings named the suspensions: nothing to go on, nothing moves.
    assert moves("judicial.amparo_appeal_decided", {"outcome": "denied"}) == {}


def test_the_amparo_is_shown_over_the_stage_until_the_stage_is_beyond_it() -> None:
    assert shown_status("on_manifest", "amparo_pending") == "amparo_pending"
    assert shown_status("on_manifest", None) == "on_manifest"
    assert shown_status("released", "amparo_suspension") == "released"
    assert shown_status("basis_changed", "amparo_suspension") == "basis_changed"
    # A removal because of a suspension, or of a grant annulling the order, leaves the person
    # awaiting transport underneath (review s11c: the flight showed again after a reversal).
    for reason in ("amparo_suspension_active", "surrender_not_ordered"):
        assert moves("transport.removed_from_manifest", {"reason": reason}) \
            == {"status": "awaiting_transport"}
