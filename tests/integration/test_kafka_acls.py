"""SASL/SCRAM and ACLs on a real secured broker (deploy/kafka/kafka.sh, RUNWAY_KAFKA_SECURITY=
sasl_scram): each service writes only its own topics and reads only what it consumes."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)

from services.transport.service import SPEC as TRANSPORT
from shared.audit.sources import topic_messages
from shared.eventstore import Actor, EventContext, NewEvent
from shared.infra.acl_admin import create_acls, describe_acls
from shared.infra.acls import declared_uses, derive_acls
from shared.messaging.kafka import make_admin, make_consumer, make_producer
from shared.messaging.topics import ensure_topics, events_topic, load_topics, namespaced
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings
from tests.support.infra import fresh_namespace
from tests.support.kafka_read import wait_for
from tests.support.secure_kafka import SecureKafka, start_secure_kafka, stop_secure_kafka

SERVICES = ("intake", "judicial", "assurance", "transport", "court")


@pytest.fixture(scope="module")
async def secure_kafka(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SecureKafka]:
    """One secured broker for this module, stopped when it is done."""
    kafka = await start_secure_kafka(tmp_path_factory.mktemp("kafka-sasl"))
    try:
        yield kafka
    finally:
        await stop_secure_kafka(kafka)


async def grant(kafka: SecureKafka, namespace: str) -> None:
    """What an operator does with `runway-infra kafka-acls --apply`, as admin."""
    acls = derive_acls(load_topics(namespace=namespace), declared_uses(namespace), namespace)
    await create_acls(kafka.bootstrap, acls, kafka.security("admin"))


@pytest.fixture(scope="module")
async def namespace(secure_kafka: SecureKafka) -> str:
    """An installation on the secured broker: ACLs granted, every topic created by admin."""
    name = fresh_namespace("acl")
    await grant(secure_kafka, name)
    await ensure_topics(secure_kafka.bootstrap, load_topics(namespace=name),
                        secure_kafka.security("admin"))
    return name


async def test_the_cluster_holds_every_derived_acl(secure_kafka: SecureKafka,
                                                   namespace: str) -> None:
    derived = derive_acls(load_topics(namespace=namespace), declared_uses(namespace), namespace)
    on_cluster = set(await describe_acls(secure_kafka.bootstrap, secure_kafka.security("admin")))
    assert set(derived) <= on_cluster
    transport_writes = {a.resource_name for a in derived
                        if a.principal == "User:transport" and a.operation == "WRITE"}
    assert transport_writes == {f"{namespace}.runway.transport.events",
                                f"{namespace}.runway.transport.deadletter"}


async def test_transport_writes_its_own_events_topic(secure_kafka: SecureKafka,
                                                     namespace: str) -> None:
    producer = make_producer(secure_kafka.bootstrap, "transport-test",
                             security=secure_kafka.security("transport"))
    await producer.start()
    try:
        delivered = await producer.send_and_wait(events_topic("transport", namespace),
                                                 b"{}", key=b"case-1")
    finally:
        await producer.stop()
    assert delivered.topic == events_topic("transport", namespace)
    assert delivered.offset >= 0


async def test_transport_cannot_write_any_other_services_topic(secure_kafka: SecureKafka,
                                                               namespace: str) -> None:
    producer = make_producer(secure_kafka.bootstrap, "transport-test",
                             security=secure_kafka.security("transport"))
    await producer.start()
    written = []
    try:
        for service in (s for s in SERVICES if s != "transport"):
            for topic in (events_topic(service, namespace),
                          namespaced(namespace, f"runway.{service}.deadletter")):
                try:
                    await producer.send_and_wait(topic, b"{}", key=b"case-1")
                    written.append(topic)
                except TopicAuthorizationFailedError:
                    pass
    finally:
        await producer.stop()
    assert written == []


async def test_a_wrong_password_is_refused(secure_kafka: SecureKafka, namespace: str,
                                           caplog: pytest.LogCaptureFixture) -> None:
    producer = make_producer(secure_kafka.bootstrap, "transport-test",
                             security=secure_kafka.security("transport", password="guess"))
    with caplog.at_level(logging.ERROR, logger="aiokafka"), \
            pytest.raises(KafkaConnectionError):
        await producer.start()
    await producer.stop()
    assert "SaslAuthenticationFailed" in caplog.text


async def test_judicial_reads_intakes_events_in_its_own_group(secure_kafka: SecureKafka,
                                                               namespace: str) -> None:
    topic = events_topic("intake", namespace)
    case_id = f"case-{uuid.uuid4().hex[:8]}"
    producer = make_producer(secure_kafka.bootstrap, "intake-test",
                             security=secure_kafka.security("intake"))
    await producer.start()
    try:
        await producer.send_and_wait(topic, b'{"case": 1}', key=case_id.encode())
    finally:
        await producer.stop()

    consumer = make_consumer(secure_kafka.bootstrap,
                             namespaced(namespace, "judicial.intake-events"), [topic],
                             security=secure_kafka.security("judicial"))
    await consumer.start()
    seen: list[bytes] = []
    try:
        async def arrived() -> bool:
            batch = await consumer.getmany(timeout_ms=200)
            seen.extend(m.key or b"" for messages in batch.values() for m in messages)
            return case_id.encode() in seen

        await wait_for(arrived, timeout=30, what="intake's event at judicial")
        await consumer.commit()  # offsets of its own group: allowed
    finally:
        await consumer.stop()


async def test_judicial_may_not_read_what_it_does_not_consume(secure_kafka: SecureKafka,
                                                              namespace: str) -> None:
    judicial = secure_kafka.security("judicial")
    court_topic = make_consumer(secure_kafka.bootstrap,
                                namespaced(namespace, "judicial.snooping"),
                                [events_topic("court", namespace)], security=judicial)
    other_group = make_consumer(secure_kafka.bootstrap,
                                namespaced(namespace, "court.intake-events"),
                                [events_topic("intake", namespace)], security=judicial)
    for consumer, refusal in ((court_topic, TopicAuthorizationFailedError),
                              (other_group, GroupAuthorizationFailedError)):
        try:
            with pytest.raises(refusal):  # on joining, or on the first fetch
                await consumer.start()
                await asyncio.wait_for(consumer.getmany(timeout_ms=5000), timeout=30)
        finally:
            await consumer.stop()


async def test_a_service_runtime_prestarts_and_relays_over_sasl(
        secure_kafka: SecureKafka, pg_url: str) -> None:
    """The transport service with its own credentials: prestart creates its own topics (the
    ACLs allow nothing more), its consumers join their groups, the relay publishes, and
    readiness sees Kafka."""
    name = fresh_namespace("acl")
    await grant(secure_kafka, name)
    others = [t for t in load_topics(namespace=name) if t.producer != "transport"]
    await ensure_topics(secure_kafka.bootstrap, others, secure_kafka.security("admin"))
    settings = ServiceSettings(service_name="transport", service_database_url=pg_url,
                               kafka_bootstrap_servers=secure_kafka.bootstrap,
                               topic_namespace=name,
                               kafka_security=secure_kafka.settings("transport"))
    runtime = ServiceRuntime(TRANSPORT, settings)
    try:
        await runtime.prestart()
        admin = make_admin(secure_kafka.bootstrap, security=secure_kafka.security("admin"))
        await admin.start()
        try:
            assert {events_topic("transport", name),
                    namespaced(name, "runway.transport.deadletter")} <= set(
                        await admin.list_topics())
        finally:
            await admin.close()
        assert await runtime.kafka_reachable()

        async with runtime.command() as conn:
            await runtime.store.append(
                conn, stream_id="flight-1", stream_type="flight", expected_version=0,
                events=[NewEvent("transport.sasl_checked", {"ok": True})],
                context=EventContext(actor=Actor("svc", "service")),
                topic=runtime.events_topic)
        await runtime.start_background()
        try:
            async def drained_and_joined() -> bool:
                return (await runtime.relay.pending_count() == 0
                        and all(c.assigned.is_set() for c in runtime.consumers))

            await wait_for(drained_and_joined, timeout=30,
                           what="the relay to publish and the consumers to join over SASL")
        finally:
            await runtime.stop_background()
        assert runtime.relay.stats.failures == 0
        assert [c.stats.restarts for c in runtime.consumers] == [0] * len(runtime.consumers)

        # court consumes transport's events, so it may read them back
        messages = await topic_messages(secure_kafka.bootstrap, runtime.events_topic,
                                        secure_kafka.security("court"))
        [[record]] = messages.values()
        assert dict(record.headers)["ce_source"] == b"/runway/transport"
        assert json.loads(record.value or b"") == {"ok": True}
    finally:
        await runtime.close()


def test_credentials_are_private_to_their_owner(secure_kafka: SecureKafka) -> None:
    files = sorted(secure_kafka.credentials.iterdir())
    assert [f.name for f in files] == sorted(f"{u}.password" for u in ("admin", *SERVICES))
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    assert Path(secure_kafka.credentials).stat().st_mode & 0o777 == 0o700
