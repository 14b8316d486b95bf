"""The court's events derived from other services' acts carry those acts' legal time, not the
moment the court's consumer got round to them (issue 13): the request on its legal date (the
time intake published it with), the intake record at the landing's instant."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from services.court import arrival, domain, inputs
from services.court import events as ev
from shared.audit.legal_times import check_stream
from shared.eventstore import Actor, GlobalPosition, RecordedEvent
from shared.jsoncanon import canonical_json
from shared.legaltime import legal_date, legal_zone_name
from shared.messaging.cloudevents import ConsumedEvent, from_kafka, to_kafka

from .helpers import CASE, LANDED, arraign, fold, ready_to_arraign, recorded, surrender_order

REQUESTED = datetime(2025, 7, 30, 6, 0, tzinfo=UTC)  # 30 July, 00:00 in Mexico City
NOW = LANDED + timedelta(days=5)  # the consumer is days behind


def consumed(event_type: str, payload: dict[str, object], occurred_at: datetime,
             recorded_at: datetime) -> ConsumedEvent:
    service = event_type.partition(".")[0]
    recorded = RecordedEvent(
        event_id=uuid.uuid4(), stream_id=CASE, stream_type=f"{service}_case", version=1,
        event_type=event_type, schema_version=2 if service == "intake" else 1,
        payload_json=canonical_json(payload), occurred_at=occurred_at,
        recorded_at=recorded_at, actor=Actor(service, "system"), correlation_id="c",
        causation_id=None, prev_hash="0" * 64, hash="1" * 64, position=GlobalPosition(0, 1))
    record = to_kafka(recorded, topic="t", key=CASE, source=f"/runway/{service}")
    return from_kafka(record.headers, record.value)


def test_the_request_is_noted_at_its_legal_date_and_the_intake_at_the_landing() -> None:
    request = consumed("intake.request_submitted", {
        "case_id": CASE, "legal_basis": "treaty", "requesting_district": "EDNY",
        "person": {"person_id": "PER-1"}, "requested_on": "2025-07-30",
        "charges": [{"charge_id": "c1", "statute": "21 U.S.C. § 848",
                     "description": "continuing criminal enterprise"}]},
        occurred_at=REQUESTED, recorded_at=LANDED + timedelta(days=1))
    [noted] = arrival.note_request(domain.initial(), inputs.intake_request(request), NOW)
    assert noted.occurred_at == REQUESTED

    state = fold(domain.initial(), [noted])
    state = fold(state, arrival.note_terms(state, surrender_order("c1"), NOW))
    landing = consumed("transport.person_landed", {
        "case_id": CASE, "flight_id": "FLT-1", "landed_at": LANDED.isoformat(),
        "airport": "JFK", "district": "EDNY"}, occurred_at=LANDED, recorded_at=LANDED)
    [opened] = arrival.open_intake(state, inputs.landing(landing))
    assert opened.event_type == ev.INTAKE_OPENED
    assert opened.occurred_at == LANDED
    # In legal order the request (30 July) comes before the landing (12 August), though
    # intake recorded it a day after the landing.
    assert noted.occurred_at < opened.occurred_at


def test_a_dated_court_record_falls_on_its_own_legal_date() -> None:
    """An arraignment dated 15 Aug stands at the start of 15 Aug in the legal zone, so the
    check `runway audit verify` runs finds nothing (at 00:00 UTC it was the 14th there)."""
    state = ready_to_arraign("c1")
    [arraigned] = recorded(arraign(state, "c1"))
    assert legal_date(arraigned.occurred_at) == date.fromisoformat(
        arraigned.payload["arraigned_on"])
    assert check_stream([arraigned], legal_zone_name()) == ([], [])
