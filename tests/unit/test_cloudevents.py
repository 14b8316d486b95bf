"""The CloudEvents binary-mode envelope on Kafka."""

from __future__ import annotations

import pytest

from shared.messaging.cloudevents import MalformedEvent, from_kafka, split_ce_type, to_kafka
from tests.unit.test_hash_chain import chain


def test_round_trip_keeps_identity_data_and_chain_attributes() -> None:
    event = chain([{"charges": ["21 USC 848"], "name": "Cuini"}])[0]
    record = to_kafka(event, topic="runway.intake.events", key="case-1",
                      source="/runway/intake")
    headers = dict(record.headers)

    assert record.key == b"case-1"
    assert record.value == event.payload_json.encode()
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_type"] == b"intake.request_submitted.v1"
    assert headers["content-type"] == b"application/json"
    assert "ce_causationid" not in headers, "absent attributes are left out, not empty"

    back = from_kafka(record.headers, record.value)
    assert back.event_id == event.event_id
    assert (back.event_type, back.schema_version) == ("intake.request_submitted", 1)
    assert back.subject == "case-1"
    assert back.data == {"charges": ["21 USC 848"], "name": "Cuini"}
    assert back.event_hash == event.hash and back.prev_hash == event.prev_hash
    assert back.recorded_at == event.recorded_at
    assert back.actor == event.actor


@pytest.mark.parametrize(("name", "version"), [
    ("intake.request_submitted", 1), ("assurance.clearance_granted", 12)])
def test_ce_type_carries_the_schema_version(name: str, version: int) -> None:
    assert split_ce_type(f"{name}.v{version}") == (name, version)


@pytest.mark.parametrize("bad", ["intake.request_submitted", "Intake.X.v1", "x.v0", ""])
def test_ce_type_without_a_version_is_rejected(bad: str) -> None:
    with pytest.raises(MalformedEvent):
        split_ce_type(bad)


def test_missing_attribute_is_named() -> None:
    record = to_kafka(chain([{}])[0], topic="t", key="k", source="/runway/x")
    headers = [(k, v) for k, v in record.headers if k != "ce_actor"]
    with pytest.raises(MalformedEvent, match="ce_actor"):
        from_kafka(headers, record.value)


def test_data_that_is_not_a_json_object_is_rejected() -> None:
    record = to_kafka(chain([{}])[0], topic="t", key="k", source="/runway/x")
    with pytest.raises(MalformedEvent):
        from_kafka(record.headers, b"[1, 2]")
    with pytest.raises(MalformedEvent):
        from_kafka(record.headers, b"\xff")
