"""Where an event moves a case's operator status and clearance (intake's read model and its
audit rebuild both ask `read_model.moves`)."""

from __future__ import annotations

import pytest

from services.intake.read_model import moves


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
