"""SASL/SCRAM and ACLs on a real secured broker (deploy/kafka/kafka.sh, RUNWAY_KAFKA_SECURITY=
sasl_scram): each service writes only its own topics and reads only what it consumes."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka.conn import create_conn
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    SaslAuthenticationFailed,
    TopicAuthorizationFailedError,
)
from aiokafka.protocol.api import Request

from services.transport.service import SPEC as TRANSPORT
from shared.audit.sources import topic_messages
from shared.eventstore import Actor, EventContext, NewEvent
from shared.infra.acl_admin import (
    CreateAcls,
    DescribeAllAcls,
    create_acls,
    delete_acls,
    describe_acls,
)
from shared.infra.acls import AclBinding, declared_uses, derive_acls
from shared.infra.cluster_acls import ClusterAcl
from shared.messaging.kafka import make_admin, make_consumer, make_producer
from shared.messaging.topics import ensure_topics, events_topic, load_topics, namespaced
from shared.service import ServiceRuntime
from shared.settings import REPO_ROOT, ServiceSettings
from shared.topology import SERVICES
from tests.support.infra import fresh_namespace
from tests.support.kafka_read import wait_for
from tests.support.secure_kafka import SecureKafka, start_secure_kafka, stop_secure_kafka


@pytest.fixture(scope="module")
async def secure_kafka(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SecureKafka]:
    """One secured broker for this module, stopped when it is done."""
    kafka = await start_secure_kafka(tmp_path_factory.mktemp("kafka-sasl"))
    try:
        yield kafka
    finally:
        await stop_secure_kafka(kafka)


def derived_acls(namespace: str) -> list[AclBinding]:
    return derive_acls(load_topics(namespace=namespace), declared_uses(namespace), namespace)


async def grant(kafka: SecureKafka, namespace: str) -> None:
    """What an operator does with `runway-infra kafka-acls --apply`, as admin."""
    await create_acls(kafka.bootstrap, derived_acls(namespace), kafka.security("admin"))


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
    derived = derived_acls(namespace)
    on_cluster = {acl.binding() for acl in await describe_acls(
        secure_kafka.bootstrap, secure_kafka.security("admin"))}
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
        own = {events_topic("transport", name), namespaced(name, "runway.transport.deadletter")}
        try:
            async def created() -> bool:
                # A topic just created reaches the metadata the broker answers with a moment
                # later: wait for it rather than read it once.
                return own <= set(await admin.list_topics())

            await wait_for(created, timeout=30, what="transport's own topics to be listed")
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


async def to_controller(kafka: SecureKafka, request: Request[object],
                        login: tuple[str, str] | None) -> dict[str, object]:
    """`request` sent straight to the KRaft controller's port, as an admin client with
    bootstrap.controllers would send it; with the PLAIN `login`, or none at all."""
    sasl = {} if login is None else {
        "security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN",
        "sasl_plain_username": login[0], "sasl_plain_password": login[1]}
    connection = await create_conn("127.0.0.1", kafka.controller_port, request_timeout_ms=10_000,
                                   **sasl)
    try:
        response = await asyncio.wait_for(connection.send(request), timeout=30)
        return dict(response.to_object())
    finally:
        connection.close()


async def test_no_one_without_a_login_creates_acls_through_the_controller(
        secure_kafka: SecureKafka, namespace: str) -> None:
    """A security review's attack on the first version, whose controller listener was PLAINTEXT
    and took User:ANONYMOUS for a super user: CreateAcls sent to the controller's port with no
    credentials let judicial write intake's topic."""
    intakes_topic = events_topic("intake", namespace)
    judicial_writes_intake = ClusterAcl.of(
        AclBinding("User:judicial", "TOPIC", "LITERAL", intakes_topic, "WRITE"))
    with pytest.raises(KafkaConnectionError):  # the controller hangs up: SASL must come first
        await to_controller(secure_kafka, CreateAcls([judicial_writes_intake]), login=None)
    # nor with a guess, nor as a SCRAM user (admin's password included): only `controller` is
    for login in (("controller", "guess"),
                  ("admin", secure_kafka.password_file("admin").read_text().strip())):
        with pytest.raises(SaslAuthenticationFailed):
            await to_controller(secure_kafka, CreateAcls([judicial_writes_intake]), login=login)

    # the port is a live controller that serves ACL requests, to its own login
    controller = ("controller", secure_kafka.password_file("controller").read_text().strip())
    assert (await to_controller(secure_kafka, DescribeAllAcls(), login=controller)
            )["error_code"] == 0
    assert judicial_writes_intake not in await describe_acls(
        secure_kafka.bootstrap, secure_kafka.security("admin"))
    producer = make_producer(secure_kafka.bootstrap, "judicial-test",
                             security=secure_kafka.security("judicial"))
    await producer.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(intakes_topic, b"{}", key=b"case-1")
    finally:
        await producer.stop()


async def runway_infra(kafka: SecureKafka, *args: str) -> tuple[int, str]:
    """`runway-infra ARGS` as admin against the secured broker: its status and its output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "shared.infra.cli", *args, cwd=REPO_ROOT,
        env=kafka.client_env("admin"), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    return int(process.returncode or 0), output.decode()


@pytest.fixture
async def only_this_installations_acls(secure_kafka: SecureKafka,
                                       namespace: str) -> AsyncIterator[None]:
    """The cluster holds the module namespace's ACLs and nothing else (what other tests granted
    is set aside, and put back after)."""
    admin = secure_kafka.security("admin")
    derived = set(derived_acls(namespace))
    others = [acl for acl in await describe_acls(secure_kafka.bootstrap, admin)
              if acl.binding() not in derived]
    await delete_acls(secure_kafka.bootstrap, others, admin)
    try:
        yield
    finally:
        await create_acls(secure_kafka.bootstrap, others, admin)


@pytest.mark.usefixtures("only_this_installations_acls")
async def test_check_fails_naming_every_acl_beyond_the_derived_ones(
        secure_kafka: SecureKafka, namespace: str) -> None:
    check = ("kafka-acls", "--check", "--namespace", namespace)
    status, output = await runway_infra(secure_kafka, *check)
    assert status == 0, output
    assert f"holds exactly the {len(derived_acls(namespace))} derived ACLs" in output

    intakes_topic = events_topic("intake", namespace)
    # Kafka's codes: TOPIC 2, GROUP 3; LITERAL 3, PREFIXED 4; ALL 2, READ 3, WRITE 4; DENY 2
    extras = [
        ClusterAcl.of(AclBinding("User:judicial", "TOPIC", "LITERAL", intakes_topic, "WRITE")),
        ClusterAcl("User:court", 2, 4, namespace, 2, 3, "*"),  # ALL on every topic
        ClusterAcl("User:transport", 2, 3, intakes_topic, 3, 2, "*"),  # DENY
        ClusterAcl("User:*", 3, 3, "anything", 3, 3, "10.0.0.7"),  # from one host
    ]
    await create_acls(secure_kafka.bootstrap, extras, secure_kafka.security("admin"))
    try:
        status, output = await runway_infra(secure_kafka, *check)
    finally:
        await delete_acls(secure_kafka.bootstrap, extras, secure_kafka.security("admin"))
    assert status == 1
    assert f"4 ACLs on {secure_kafka.bootstrap} are not derived" in output
    rows = [line.split() for line in output.splitlines()]
    assert ["ALLOW", "User:judicial", "WRITE", "TOPIC", "LITERAL", "*", intakes_topic] in rows
    assert ["ALLOW", "User:court", "ALL", "TOPIC", "PREFIXED", "*", namespace] in rows
    assert ["DENY", "User:transport", "READ", "TOPIC", "LITERAL", "*", intakes_topic] in rows
    assert ["ALLOW", "User:*", "READ", "GROUP", "LITERAL", "10.0.0.7", "anything"] in rows


def test_credentials_are_private_to_their_owner(secure_kafka: SecureKafka) -> None:
    files = sorted(secure_kafka.credentials.iterdir())
    assert [f.name for f in files] == sorted(f"{u}.password"
                                             for u in ("admin", "controller", *SERVICES))
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    assert Path(secure_kafka.credentials).stat().st_mode & 0o777 == 0o700
