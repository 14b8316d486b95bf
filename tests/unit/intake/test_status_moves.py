"""Where an event moves a case's operator status and clearance (intake's read model and its
audit rebuild both ask `read_model.moves`)."""

from __future__ import annotations

from services.intake.read_model import moves


def test_a_person_off_a_flight_awaits_transport_unless_the_us_marshals_hold_them() -> None:
    removed = "transport.removed_from_manifest"
    assert moves(removed, {"reason": "flight_cancelled"}) == {"status": "awaiting_transport"}
    assert moves(removed, {"reason": "flight_cancelled", "in_us_custody": True}) \
        == {"status": "in_us_custody"}


def test_events_that_move_nothing_and_clearance_events() -> None:
    assert moves("transport.flight_scheduled", {}) == {}
    assert moves("assurance.death_penalty_clearance_withdrawn", {}) == {"clearance": "withdrawn"}
