"""A consumer that cannot apply a legacy v1 request (names in clear) dead-letters it without
copying a name into the dead-letter headers or the logs: transport's own intake handlers on a
real ConsumerRuntime, real Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.intake.events import REQUEST_SUBMITTED
from services.transport.inputs import RequestSubmittedView
from services.transport.service import SPEC as TRANSPORT
from shared.consumer import ConsumerRuntime
from shared.logs import JsonFormatter
from shared.messaging.cloudevents import KafkaRecord
from shared.messaging.kafka import make_consumer, make_producer
from shared.service import ServiceRuntime
from tests.support.infra import create_topics, unique_topic
from tests.support.kafka_read import read_topic, wait_for
from tests.support.kafka_send import send
from tests.support.service_app import as_published, started_runtime

GIVEN, FAMILY = "Eleuterio", "Quintanilla Ybarra"
NOW = datetime(2025, 8, 12, 18, 0, tzinfo=UTC)


@pytest.fixture
async def transport(pg_url: str, kafka: str) -> AsyncIterator[ServiceRuntime]:
    runtime = await started_runtime(TRANSPORT, pg_url, kafka)
    yield runtime
    await runtime.close()


def legacy_request(topic: str, case_id: str) -> KafkaRecord:
    """A v1 request whose producer wrote the person as one string: transport's reader
    refuses it, and pydantic's message for that quotes the string."""
    payload = {"case_id": case_id, "legal_basis": "treaty", "requesting_district": "EDNY",
               "person": f"{GIVEN} {FAMILY}"}
    return as_published("intake", REQUEST_SUBMITTED, payload, case_id, at=NOW, topic=topic)


async def test_a_failing_v1_request_is_dead_lettered_without_the_name(
        transport: ServiceRuntime, kafka: str, caplog: pytest.LogCaptureFixture) -> None:
    topic, dead_letters = unique_topic("intake"), unique_topic("dlq")
    await create_topics(kafka, [topic, dead_letters])
    legacy = legacy_request(topic, f"RWY-{uuid.uuid4().hex[:10].upper()}")
    with pytest.raises(ValidationError) as raised:  # what would have been copied before
        RequestSubmittedView.model_validate_json(legacy.value)
    assert GIVEN in str(raised.value) and GIVEN in repr(raised.value)

    [handlers] = [c.handlers for c in TRANSPORT.consumers(transport)
                  if c.name == "transport.intake-events"]
    runtime = ConsumerRuntime(
        name="transport.intake-events", database=transport.database,
        consumer_factory=lambda: make_consumer(kafka, f"g-{topic}", [topic]),
        producer_factory=lambda: make_producer(kafka, "dlq-test"), handlers=handlers,
        dead_letter_topic=dead_letters, max_attempts=2, first_backoff=0.01)
    await send(kafka, legacy, client_id="legacy-intake")

    caplog.set_level(logging.INFO, logger="runway")
    stop = asyncio.Event()
    task = asyncio.create_task(runtime.run(stop))

    async def dead_lettered() -> bool:
        return runtime.stats.dead_lettered == 1

    try:
        await wait_for(dead_lettered, timeout=60, what="the v1 request dead-lettered")
    finally:
        stop.set()
        await task

    [letter] = await read_topic(kafka, dead_letters)
    added = {k: v.decode() for k, v in letter.headers if k.startswith("dlq_")}
    logged = [JsonFormatter("transport").format(r) for r in caplog.records]
    assert [k for k, v in added.items() if GIVEN in v or FAMILY in v] == []
    assert [line for line in logged if GIVEN in line or FAMILY in line] == []
    # What failed and where is still there.
    assert added["dlq_error_type"] == "ValidationError"
    assert '"loc": ["person"]' in added["dlq_error"] and "model_type" in added["dlq_error"]
    assert "Traceback" in added["dlq_trace"] and "on_input" in added["dlq_trace"]
    assert any("message dead-lettered" in line and "ValidationError" in line
               for line in logged)
    assert any("handler failed; retrying" in line for line in logged)
