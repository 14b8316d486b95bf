"""The AsyncAPI 3.0 document: channels from contracts/topics.yaml, messages from the models,
senders from the producers, receivers from the ConsumerSpecs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.messaging.cloudevents import CONTENT_TYPE, SPEC_VERSION
from shared.messaging.topics import TopicSpec, dead_letter_topic, events_topic

from .registry import Consumer, Message, ServiceContract, model_doc

VERSION = "3.0.0"
KAFKA_BINDING = "0.5.0"
PAYLOAD_FORMAT = "application/schema+json;version=draft-2020-12"
HEADERS = "CloudEventsKafkaHeaders"
DEAD_LETTER = "runway.deadletter"

Doc = dict[str, Any]


class ContractError(ValueError):
    """The declarations disagree (e.g. a producer's topic is not in contracts/topics.yaml)."""


def document(contracts: Sequence[ServiceContract], topics: Sequence[TopicSpec]) -> Doc:
    declared = {t.name: t for t in topics}
    messages = [m for c in contracts for m in c.messages]
    for message in messages:
        if message.topic not in declared:
            raise ContractError(f"{message.ce_type} is published on {message.topic}, which "
                                "contracts/topics.yaml does not declare")
    return {
        "asyncapi": VERSION,
        "info": _info(),
        "defaultContentType": CONTENT_TYPE,
        "servers": {"local": {
            "host": "127.0.0.1:9092", "protocol": "kafka",
            "description": "The broker of `make infra-up`. With RUNWAY_TOPIC_NAMESPACE set, "
                           "every topic name is prefixed with `<namespace>.`."}},
        "channels": {t.name: _channel(t, [m for m in messages if m.topic == t.name])
                     for t in topics},
        "operations": _operations(contracts, declared),
        "components": {"schemas": {HEADERS: headers_schema()},
                       "messages": {DEAD_LETTER: _dead_letter_message(),
                                    **{m.ce_type: _message(m, declared[m.topic])
                                       for m in messages}}},
    }


def _info() -> Doc:
    return {
        "title": "Runway case events",
        "version": "1.0.0",
        "description": (
            "Events of extradition cases, published by Runway's services on Kafka as "
            f"CloudEvents {SPEC_VERSION} in binary content mode: the value is the JSON payload, "
            "every context attribute is a `ce_` header, and the key is the stream's subject "
            "(`ce_subject`: the case id; flight events carry the flight id).\n\n"
            "`ce_type` is `<event type>.v<schema version>`, e.g. "
            "`intake.request_submitted.v1`; each message below is one event type in one "
            "version, its payload described by a JSON Schema 2020-12 file in `schemas/`. "
            "What may change within a version, and how old versions stay readable, is in "
            "VERSIONING.md. Ignore payload fields and headers you don't know."),
    }


def _channel(topic: TopicSpec, messages: Sequence[Message]) -> Doc:
    refs = ({DEAD_LETTER: {"$ref": f"#/components/messages/{DEAD_LETTER}"}}
            if topic.name.endswith(".deadletter")
            else {m.ce_type: {"$ref": f"#/components/messages/{m.ce_type}"} for m in messages})
    return {
        "address": topic.name,
        "title": topic.name,
        "description": (f"{topic.description}\n\nProducer: the {topic.producer} service. "
                        f"Kafka key: {topic.key}."),
        "messages": refs,
        "bindings": {"kafka": {"topic": topic.name, "partitions": topic.partitions,
                               "replicas": topic.replication_factor,
                               "bindingVersion": KAFKA_BINDING}},
    }


def _message(message: Message, topic: TopicSpec) -> Doc:
    doc = model_doc(message.model)
    # The docstring's first paragraph, on one line.
    summary = (" ".join(doc.split("\n\n")[0].split()) if doc else
               f"{message.event_type}, version {message.version}")
    body: Doc = {
        "name": message.ce_type,
        "title": f"{message.event_type} v{message.version}",
        "summary": summary,
        "contentType": CONTENT_TYPE,
        "headers": {"allOf": [
            {"$ref": f"#/components/schemas/{HEADERS}"},
            {"type": "object", "properties": {
                "ce_type": {"type": "string", "const": message.ce_type},
                "ce_schemaversion": {"type": "string", "const": str(message.version)},
                "ce_source": {"type": "string", "const": f"/runway/{message.service}"}}},
        ]},
        "payload": {"schemaFormat": PAYLOAD_FORMAT,
                    "schema": {"$ref": f"./schemas/{message.schema_file}"}},
        "correlationId": {"description": "Ties the events of one command or request "
                                         "together, across services.",
                          "location": "$message.header#/ce_correlationid"},
        "bindings": {"kafka": {"key": {"type": "string", "description": topic.key},
                               "bindingVersion": KAFKA_BINDING}},
    }
    if not message.current:
        body["deprecated"] = True
        body["description"] = (
            "No longer produced, but older events on the topic carry it. " + (
                "Runway's own readers handle it beside the newer versions (no upcaster)."
                if message.read_side_by_side else
                f"Runway's own readers upcast it to v{message.version + 1}."))
    return body


def headers_schema() -> Doc:
    """The Kafka headers of every Runway event (shared/messaging/cloudevents.py)."""
    def text(description: str, **more: Any) -> Doc:
        return {"type": "string", "description": description, **more}

    properties = {
        "ce_specversion": text("CloudEvents version", const=SPEC_VERSION),
        "ce_id": text("The event's id, unique across Runway; deduplicate on it.",
                      format="uuid"),
        "ce_source": text("The producing service, `/runway/<service>`."),
        "ce_type": text("`<event type>.v<schema version>`",
                        pattern=r"^[a-z][a-z0-9_.]*[a-z0-9_]\.v[1-9][0-9]*$"),
        "ce_subject": text("The stream's subject, equal to the Kafka key: the case id "
                           "(the flight id for flight events)."),
        "ce_time": text("When the act happened in the real world (RFC 3339, UTC).",
                        format="date-time"),
        "content-type": text("The payload's media type", const=CONTENT_TYPE),
        "ce_correlationid": text("Correlation id of the command or request that caused it."),
        "ce_causationid": text("Id of the event that caused it, when another event did."),
        "ce_actor": text("Who acted: a user or `system:<component>`."),
        "ce_actorrole": text("The role the actor acted in."),
        "ce_schemaversion": text("The payload's schema version (as in ce_type).",
                                 pattern="^[1-9][0-9]*$"),
        "ce_streamid": text("The event-sourced stream (the case id for case events)."),
        "ce_streamtype": text("The kind of stream, e.g. `judicial_case`."),
        "ce_streamversion": text("The event's position in its stream, from 1.",
                                 pattern="^[1-9][0-9]*$"),
        "ce_recordedat": text("When the producer stored the event (RFC 3339, UTC).",
                              format="date-time"),
        "ce_eventhash": text("SHA-256 hash chaining this event to the previous one of its "
                             "stream", pattern="^[0-9a-f]{64}$"),
        "ce_prevhash": text("The previous event's hash (64 zeros for the first)",
                            pattern="^[0-9a-f]{64}$"),
    }
    return {"type": "object", "properties": properties,
            "required": [name for name in properties if name != "ce_causationid"]}


def _dead_letter_message() -> Doc:
    def text(description: str) -> Doc:
        return {"type": "string", "description": description}

    return {
        "name": DEAD_LETTER,
        "title": "A message a consumer could not process",
        "summary": "The original key, value and headers, plus the error.",
        "contentType": "application/octet-stream",
        "headers": {"type": "object", "properties": {
            "dlq_consumer": text("The consumer group that gave up"),
            "dlq_error_type": text("The exception's class"),
            "dlq_error": text("The error message, without the failing input (a validation "
                              "error's locations and types; a statement without parameters)"),
            "dlq_trace": text("The end of the traceback, its messages written the same way"),
            "dlq_origin_topic": text("Where the message was read"),
            "dlq_origin_partition": text("Its partition"),
            "dlq_origin_offset": text("Its offset"),
            "dlq_attempts": text("Handler attempts (0: the message was unreadable)"),
            "dlq_failed_at": text("When it was dead-lettered (ISO 8601)"),
        }, "description": "Besides these, the original message's headers."},
        "payload": {"type": "string", "format": "binary",
                    "description": "The original value, unchanged."},
    }


def _operations(contracts: Sequence[ServiceContract], topics: dict[str, TopicSpec]) -> Doc:
    operations: Doc = {}
    for contract in contracts:
        current = [m for m in contract.messages if m.current]
        if current:
            channel = events_topic(contract.name)
            operations[f"{contract.name}.publish"] = {
                "action": "send", "channel": {"$ref": f"#/channels/{channel}"},
                "title": f"The {contract.name} service publishes its events",
                "messages": [_ref(channel, m.ce_type) for m in current]}
        if contract.consumers and dead_letter_topic(contract.name) in topics:
            channel = dead_letter_topic(contract.name)
            operations[f"{contract.name}.deadLetter"] = {
                "action": "send", "channel": {"$ref": f"#/channels/{channel}"},
                "title": f"The {contract.name} service's consumers set aside what they cannot "
                         "process",
                "messages": [_ref(channel, DEAD_LETTER)]}
        for consumer in contract.consumers:
            operations.update(_receive(consumer, contracts, topics))
    return operations


def _receive(consumer: Consumer, contracts: Sequence[ServiceContract],
             topics: dict[str, TopicSpec]) -> Doc:
    operations: Doc = {}
    messages = [m for c in contracts for m in c.messages]
    for topic in consumer.topics:
        if topic not in topics:
            continue  # reported by the contract tests: consumers read declared topics only
        on_topic = [m for m in messages if m.topic == topic]
        handled_types = {ce.rpartition(".v")[0]: int(ce.rpartition(".v")[2])
                         for ce in consumer.ce_types}
        received = on_topic if consumer.receives_all else [
            m for m in on_topic if m.version <= handled_types.get(m.event_type, 0)]
        if consumer.receives_all:
            how = "Every message on the topic, as published."
        else:
            how = ("Handlers for " + ", ".join(f"`{t}`" for t in consumer.ce_types) +
                   "; older versions of these types are upcast before delivery, other "
                   "messages are skipped.")
        operations[f"{consumer.name}.reads.{topics[topic].producer}"] = {
            "action": "receive", "channel": {"$ref": f"#/channels/{topic}"},
            "title": f"The {consumer.service} service's consumer {consumer.name} reads "
                     f"{topic}",
            "description": how,
            "messages": [_ref(topic, m.ce_type) for m in received],
            "bindings": {"kafka": {"groupId": {"type": "string", "enum": [consumer.name]},
                                   "bindingVersion": KAFKA_BINDING}},
        }
    return operations


def _ref(channel: str, message: str) -> Doc:
    return {"$ref": f"#/channels/{channel}/messages/{message}"}
