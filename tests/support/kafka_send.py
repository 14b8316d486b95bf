"""Putting records on real Kafka for a consumer under test, as a service's relay would."""

from __future__ import annotations

from shared.messaging.cloudevents import KafkaRecord
from shared.messaging.kafka import make_producer


async def send(bootstrap: str, *records: KafkaRecord, client_id: str = "test-producer") -> None:
    """Each record on its own topic, in order, acknowledged by the broker before this returns;
    the producer lives only for the call."""
    producer = make_producer(bootstrap, client_id)
    await producer.start()
    try:
        for record in records:
            await producer.send_and_wait(record.topic, value=record.value, key=record.key,
                                         headers=record.headers)
    finally:
        await producer.stop()
