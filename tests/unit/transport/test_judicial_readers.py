"""Judicial's amparo events as transport reads them off Kafka (the real CloudEvents encoding
and transport's readers): what each tells transport about the person."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.judicial import events as judicial
from services.transport.facts import (
    AmparoDenied,
    AmparoGranted,
    PlacedAtDisposal,
    SuspensionGranted,
)
from services.transport.inputs import readers
from tests.support.service_app import off_kafka

NOW = datetime(2026, 6, 20, 12, tzinfo=UTC)


def read(payload: judicial.JudicialEvent) -> object:
    consumed = off_kafka("judicial", payload.EVENT_TYPE, payload.model_dump(mode="json"),
                         payload.case_id, at=NOW)
    return readers.read(consumed).fact


def test_a_final_denial_lifts_the_suspension_and_moves_the_pickup_deadline() -> None:
    lifted = judicial.AmparoSuspensionLifted(
        case_id="RWY-1", amparo_id="A-9", lifted_on=date(2026, 6, 19),
        cause="appeal_period_passed", active_suspensions=(),
        pickup_deadline_on=date(2026, 7, 25))
    assert read(lifted) == AmparoDenied("A-9", (), date(2026, 7, 25))


def test_a_reinstated_suspension_holds_the_person_again() -> None:
    reinstated = judicial.AmparoSuspensionReinstated(
        case_id="RWY-1", amparo_id="A-9", appeal_filed_on=date(2026, 6, 18),
        lifted_on=date(2026, 6, 19), active_suspensions=("A-9",), pickup_paused=True)
    assert read(reinstated) == SuspensionGranted("A-9", pickup_paused=True)


def test_an_appeal_decision_reads_as_the_ruling_that_now_stands() -> None:
    def decided(outcome: str) -> judicial.AmparoAppealDecided:
        return judicial.AmparoAppealDecided.model_validate({
            "case_id": "RWY-1", "amparo_id": "X-1", "decided_on": "2026-05-20",
            "outcome": outcome, "sre_decision_reopened": outcome == "granted",
            "active_suspensions": [], "pickup_deadline_on":
                "2026-06-29" if outcome == "denied" else None})

    assert read(decided("denied")) == AmparoDenied("X-1", (), date(2026, 6, 29))
    assert read(decided("granted")) == AmparoGranted("X-1", date(2026, 5, 20))


def test_a_placement_after_the_order_moves_the_pickup_deadline() -> None:
    placed = judicial.PlacedAtDisposal(case_id="RWY-1", placed_on=date(2026, 4, 6),
                                       pickup_deadline_on=date(2026, 6, 6))
    assert read(placed) == PlacedAtDisposal(date(2026, 4, 6), date(2026, 6, 6))
