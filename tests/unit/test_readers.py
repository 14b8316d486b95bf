"""A consumer's readers: each type is declared once, read by its own reader, subscribed by
source."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shared.messaging.cloudevents import ConsumedEvent, from_kafka, to_kafka
from shared.messaging.readers import Readers
from tests.unit.test_hash_chain import chain


def _consumed(event_type: str, version: int) -> ConsumedEvent:
    record = to_kafka(chain([{"case_id": "case-1"}])[0], topic="t", key="case-1", source="/x")
    return replace(from_kafka(record.headers, record.value), event_type=event_type,
                   schema_version=version)


def test_each_type_goes_to_its_reader_and_consumers_subscribe_by_source() -> None:
    readers: Readers[str] = Readers()

    @readers.on("intake.request_submitted", 1, 2)
    def _request(event: ConsumedEvent) -> str:
        return f"request of {event.data['case_id']}"

    @readers.on("judicial.amparo_denied", 1)
    def _denial(event: ConsumedEvent) -> str:
        return "denial"

    assert readers.read(_consumed("intake.request_submitted", 2)) == "request of case-1"
    assert readers.read(_consumed("judicial.amparo_denied", 1)) == "denial"
    assert readers.types() == ("intake.request_submitted.v1", "intake.request_submitted.v2",
                               "judicial.amparo_denied.v1")
    assert readers.types("judicial") == ("judicial.amparo_denied.v1",)
    with pytest.raises(KeyError):
        readers.read(_consumed("judicial.amparo_denied", 2))


def test_a_second_reader_of_one_type_is_refused() -> None:
    readers: Readers[str] = Readers()
    readers.on("judicial.amparo_denied", 1)(lambda event: "first")
    with pytest.raises(ValueError, match=r"judicial\.amparo_denied\.v1 already has a reader"):
        readers.on("judicial.amparo_denied", 1)(lambda event: "second")


def test_transport_reads_every_request_version_it_is_subscribed_to() -> None:
    # Transport subscribes to intake's requests through the shared person-name consumer
    # (shared/pii/consume.py); a version it subscribes to without a reader would fail every
    # message, and a reader for a version it is not subscribed to would never run.
    from services.transport import inputs
    from shared.pii.consume import REQUEST_SUBMITTED_TYPES

    assert set(inputs.readers.types("intake")) == set(REQUEST_SUBMITTED_TYPES)
