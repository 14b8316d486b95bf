"""Runway's events read by the official CloudEvents Python SDK (pip package `cloudevents`):
its Kafka binding parses what the relay publishes into the same id, type, subject and data."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from cloudevents.core.bindings import kafka as core_kafka
from cloudevents.v1 import kafka as v1_kafka

from services.intake.events import (
    REQUEST_SUBMITTED,
    Charge,
    LegalBasis,
    Penalty,
    RequestSubmitted,
    SealedPerson,
)
from shared.clock import ManualClock
from shared.db import Database
from shared.eventstore import Actor, EventContext, EventStore, NewEvent, RecordedEvent
from shared.messaging.cloudevents import KafkaRecord, to_kafka
from shared.pii.person import PERSON_CONTEXT, PersonalData
from shared.pii.sealing import associated_data, new_key, seal

from .validate import validate_event

CASE = "MX-2025-0117"


def _request() -> RequestSubmitted:
    return RequestSubmitted(
        case_id=CASE, legal_basis=LegalBasis.TREATY, requesting_district="EDNY",
        prosecutor_office="USAO EDNY", provisional_arrest_date=date(2025, 6, 2),
        person=SealedPerson(person_id="PER-1", nationality="Mexican", sealed=seal(
            new_key(), PersonalData(given_names="Rafael", family_names="Quintero Ávila"
                                    ).to_bytes(), associated_data("PER-1", PERSON_CONTEXT))),
        charges=(Charge(charge_id="c1", statute="21 U.S.C. § 848",
                        description="continuing criminal enterprise",
                        max_penalty_us=Penalty(life=True), mx_equivalent_offence="delincuencia",
                        max_penalty_mx=Penalty(years=40), death_penalty_possible=False),))


async def _stored(sqlite_db: Database) -> RecordedEvent:
    """A genuine event: appended by the event store, hashed, with its real metadata."""
    store = EventStore(ManualClock(datetime(2025, 8, 14, 10, 30, tzinfo=UTC)))
    async with sqlite_db.transaction() as conn:
        [event] = await store.append(
            conn, stream_id=CASE, stream_type="intake_case", expected_version=0,
            events=[NewEvent(REQUEST_SUBMITTED, _request().model_dump(mode="json"),
                             schema_version=2,
                             occurred_at=datetime(2025, 8, 14, 9, 0, tzinfo=UTC))],
            context=EventContext(Actor("op-17", "operator"), causation_id="cause-1"),
            topic="runway.intake.events")
    return event


def _published(event: RecordedEvent) -> KafkaRecord:
    return to_kafka(event, topic="runway.intake.events", key=event.stream_id,
                    source="/runway/intake")


async def test_the_sdk_kafka_binding_reads_a_runway_event(sqlite_db: Database) -> None:
    event = await _stored(sqlite_db)
    record = _published(event)
    message = core_kafka.KafkaMessage(headers=dict(record.headers), key=record.key,
                                      value=record.value)

    parsed = core_kafka.from_binary_event(message)

    assert parsed.get_id() == str(event.event_id)
    assert parsed.get_type() == "intake.request_submitted.v2"
    assert parsed.get_subject() == CASE
    assert parsed.get_source() == "/runway/intake"
    assert parsed.get_specversion() == "1.0"
    assert parsed.get_time() == event.occurred_at
    assert parsed.get_datacontenttype() == "application/json"
    assert parsed.get_data() == event.payload == json.loads(record.value)
    extensions = parsed.get_extension
    assert extensions("correlationid") == event.correlation_id
    assert extensions("causationid") == "cause-1"
    assert extensions("actor") == "op-17" and extensions("actorrole") == "operator"
    assert extensions("schemaversion") == "2"
    assert extensions("eventhash") == event.hash and extensions("prevhash") == event.prev_hash
    assert extensions("partitionkey") == CASE  # the SDK's name for the Kafka key
    validate_event("intake.request_submitted", 2, parsed.get_data())


async def test_the_sdk_v1_api_reads_it_too(sqlite_db: Database) -> None:
    """cloudevents.v1.kafka is the API of the SDK's 1.x releases (cloudevents.kafka there)."""
    event = await _stored(sqlite_db)
    record = _published(event)
    parsed = v1_kafka.from_binary(v1_kafka.KafkaMessage(
        headers=dict(record.headers), key=record.key, value=record.value))
    assert parsed["id"] == str(event.event_id)
    assert parsed["type"] == "intake.request_submitted.v2"
    assert parsed["subject"] == CASE
    assert parsed.data == event.payload
