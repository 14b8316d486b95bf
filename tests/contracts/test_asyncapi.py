"""The AsyncAPI document: accepted by the official parser, its channels the declared topics,
and no consumer depending on a message nobody declares."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

import yaml
from jsonschema import Draft7Validator, FormatChecker

from shared.contracts.asyncapi import DEAD_LETTER, headers_schema
from shared.eventstore import Actor, GlobalPosition, RecordedEvent
from shared.messaging.cloudevents import split_ce_type, to_kafka
from shared.messaging.topics import dead_letter_topic, events_topic

from .contracts import CONTRACTS, asyncapi, consumers, messages, services, topics

PARSE = Path(__file__).with_name("asyncapi_parse.cjs")


def _parse(modules: Path, document: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["node", str(PARSE), str(modules), str(document)],
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_official_asyncapi_parser_accepts_the_document(asyncapi_modules: Path) -> None:
    result = _parse(asyncapi_modules, CONTRACTS / "asyncapi.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["parsed"] is True
    assert summary["channels"] == len(topics())
    assert summary["messages"] == len(messages()) + 1  # and the dead letter


def test_the_parser_rejects_a_document_that_breaks_the_spec(asyncapi_modules: Path,
                                                             tmp_path: Path) -> None:
    shutil.copytree(CONTRACTS / "schemas", tmp_path / "schemas")
    document = asyncapi()
    # An operation sending a message its channel does not carry.
    document["operations"]["intake.publish"]["messages"].append(
        {"$ref": "#/channels/runway.judicial.events/messages/judicial.case_opened.v1"})
    (tmp_path / "asyncapi.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    result = _parse(asyncapi_modules, tmp_path / "asyncapi.yaml")
    assert result.returncode == 1
    assert "asyncapi3-operation-messages-from-referred-channel" in result.stdout


def test_channels_are_exactly_the_topics_declared_in_topics_yaml() -> None:
    declared = {t.name: t for t in topics()}
    channels = asyncapi()["channels"]
    assert {c["address"] for c in channels.values()} == set(declared)
    for channel in channels.values():
        topic = declared[channel["address"]]
        assert channel["bindings"]["kafka"]["partitions"] == topic.partitions
        assert f"Kafka key: {topic.key}." in channel["description"]


def test_every_producer_publishes_on_its_declared_topic() -> None:
    declared = {t.name: t.producer for t in topics()}
    for contract in services():
        if contract.messages:
            assert declared.get(events_topic(contract.name)) == contract.name
        if contract.consumers:
            assert declared.get(dead_letter_topic(contract.name)) == contract.name


def _messages_on(topic: str) -> set[str]:
    return {m.ce_type for m in messages() if m.topic == topic}


def test_every_consumer_reads_declared_topics_and_declared_messages() -> None:
    declared = {t.name for t in topics()}
    problems = []
    for consumer in consumers():
        for topic in consumer.topics:
            if topic not in declared:
                problems.append(f"{consumer.name} reads {topic}, not in contracts/topics.yaml")
        available = set().union(*(_messages_on(t) for t in consumer.topics))
        problems += [f"{consumer.name} handles {ce}, which no topic it reads carries"
                     for ce in consumer.ce_types if ce not in available]
    assert not problems, "\n".join(problems)


def test_every_consumer_handles_the_current_version_of_its_types() -> None:
    """A handler for an old version only would miss every event once the producer moved on
    (there is no downcasting): the producer may switch only when its consumers have."""
    current = {m.event_type: m.version for m in messages() if m.current}
    problems = []
    for consumer in consumers():
        handled: dict[str, set[int]] = {}
        for ce in consumer.ce_types:
            event_type, version = split_ce_type(ce)
            handled.setdefault(event_type, set()).add(version)
        for event_type, versions in handled.items():
            if event_type in current and current[event_type] not in versions:
                problems.append(f"{consumer.name} handles {event_type} "
                                f"v{sorted(versions)} but it is published as "
                                f"v{current[event_type]}")
    assert not problems, "\n".join(problems)


def test_versions_read_side_by_side_are_each_handled_by_every_consumer_of_the_type() -> None:
    """A past version without an upcaster reaches only a handler declared for it: a consumer
    of the type that lacked one would silently skip those events (nothing upcasts them)."""
    side_by_side = {(m.event_type, m.version) for m in messages() if m.read_side_by_side}
    assert side_by_side, "intake.request_submitted v1 is read side by side with v2"
    versions = {(m.event_type, m.version) for m in messages()}
    problems = []
    for consumer in consumers():
        handled = {split_ce_type(ce) for ce in consumer.ce_types}
        for event_type, version in side_by_side:
            if not any(t == event_type for t, _ in handled):
                continue
            newer = {(t, v) for t, v in versions if t == event_type and v >= version}
            problems += [f"{consumer.name} handles {event_type} but not v{v}"
                         for _, v in sorted(newer - handled)]
    assert not problems, "\n".join(problems)


def test_receivers_in_the_document_are_the_consumer_specs() -> None:
    operations = asyncapi()["operations"]
    for consumer in consumers():
        for topic in consumer.topics:
            producer = topic.split(".")[1]
            operation = operations[f"{consumer.name}.reads.{producer}"]
            assert operation["action"] == "receive"
            received = {ref["$ref"].rsplit("/", 1)[1] for ref in operation["messages"]}
            if consumer.receives_all:
                assert received == _messages_on(topic)
            else:
                assert set(consumer.ce_types) & _messages_on(topic) <= received


def test_deprecated_messages_are_the_past_versions() -> None:
    components = asyncapi()["components"]["messages"]
    for message in messages():
        assert components[message.ce_type].get("deprecated", False) is not message.current
    assert DEAD_LETTER in components


def _recorded(causation_id: str | None) -> RecordedEvent:
    now = datetime(2025, 8, 14, 10, 30, tzinfo=UTC)
    return RecordedEvent(
        event_id=uuid.uuid4(), stream_id="MX-2025-0117", stream_type="intake_case", version=3,
        event_type="intake.charges_amended", schema_version=1, payload_json='{"a": 1}',
        occurred_at=now, recorded_at=now, actor=Actor("op-17", "operator"),
        correlation_id="corr-1", causation_id=causation_id, prev_hash="a" * 64,
        hash="b" * 64, position=GlobalPosition(0, 3))


def test_the_documented_headers_are_the_headers_runway_produces() -> None:
    schema = headers_schema()
    validator = Draft7Validator(schema, format_checker=FormatChecker())
    for causation in (None, str(uuid.uuid4())):
        record = to_kafka(_recorded(causation), topic="runway.intake.events",
                          key="MX-2025-0117", source="/runway/intake")
        headers = {name: value.decode() for name, value in record.headers}
        validator.validate(headers)
        assert set(headers) == set(schema["properties"]) - (
            set() if causation else {"ce_causationid"})
