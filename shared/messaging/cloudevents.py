"""CloudEvents 1.0 over Kafka, binary content mode.

The event's data (its JSON payload, byte-for-byte as stored) is the Kafka value; every context
attribute is a `ce_`-prefixed header; the Kafka key is the stream's subject (a case id).

    ce_type = "<event type>.v<schema version>", e.g. "intake.request_submitted.v1"

Runway's extension attributes (lower-case, as the spec requires): correlationid, causationid,
actor, actorrole, schemaversion, streamid, streamtype, streamversion, recordedat, eventhash,
prevhash. The last five let anyone check a message against the event store's hash chain.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.clock import iso_utc, parse_iso_utc
from shared.eventstore import Actor, EventContext, RecordedEvent

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
_TYPE_PATTERN = re.compile(r"^(?P<name>[a-z][a-z0-9_.]*[a-z0-9_])\.v(?P<version>[1-9][0-9]*)$")

Headers = list[tuple[str, bytes]]


class MalformedEvent(ValueError):
    """A Kafka message that is not a readable Runway CloudEvent."""


@dataclass(frozen=True, slots=True)
class KafkaRecord:
    topic: str
    key: bytes
    value: bytes
    headers: Headers


@dataclass(frozen=True, slots=True)
class ConsumedEvent:
    """An event as a consumer reads it off Kafka."""

    event_id: uuid.UUID
    source: str
    event_type: str
    schema_version: int
    subject: str
    time: datetime
    data: dict[str, Any]
    data_json: str
    actor: Actor
    correlation_id: str
    causation_id: str | None
    stream_id: str
    stream_type: str
    stream_version: int
    recorded_at: datetime
    event_hash: str
    prev_hash: str

    @property
    def ce_type(self) -> str:
        return ce_type(self.event_type, self.schema_version)

    def caused(self, actor: Actor) -> EventContext:
        """The context of what `actor` (a consuming service) records because of this event:
        in its correlation, caused by it."""
        return EventContext(actor=actor, correlation_id=self.correlation_id,
                            causation_id=str(self.event_id))


def ce_type(event_type: str, schema_version: int) -> str:
    return f"{event_type}.v{schema_version}"


def split_ce_type(value: str) -> tuple[str, int]:
    match = _TYPE_PATTERN.match(value)
    if match is None:
        raise MalformedEvent(f"ce_type {value!r} is not '<event type>.v<version>'")
    return match["name"], int(match["version"])


def to_kafka(event: RecordedEvent, *, topic: str, key: str, source: str) -> KafkaRecord:
    attributes = {
        "specversion": SPEC_VERSION,
        "id": str(event.event_id),
        "source": source,
        "type": ce_type(event.event_type, event.schema_version),
        "subject": key,
        "time": iso_utc(event.occurred_at),
        "correlationid": event.correlation_id,
        "actor": event.actor.subject,
        "actorrole": event.actor.role,
        "schemaversion": str(event.schema_version),
        "streamid": event.stream_id,
        "streamtype": event.stream_type,
        "streamversion": str(event.version),
        "recordedat": iso_utc(event.recorded_at),
        "eventhash": event.hash,
        "prevhash": event.prev_hash,
    }
    if event.causation_id:
        attributes["causationid"] = event.causation_id
    headers: Headers = [(f"ce_{name}", value.encode()) for name, value in attributes.items()]
    headers.append(("content-type", CONTENT_TYPE.encode()))
    return KafkaRecord(topic=topic, key=key.encode(), value=event.payload_json.encode(),
                       headers=headers)


def from_kafka(headers: Sequence[tuple[str, bytes]], value: bytes | None) -> ConsumedEvent:
    attrs = {k[3:]: v.decode("utf-8", "replace") for k, v in headers if k.startswith("ce_")}
    try:
        if attrs.get("specversion") != SPEC_VERSION:
            raise MalformedEvent(f"ce_specversion must be {SPEC_VERSION}, got "
                                 f"{attrs.get('specversion')!r}")
        event_type, version = split_ce_type(_required(attrs, "type"))
        data_json = (value or b"").decode("utf-8")
        data = json.loads(data_json)
        if not isinstance(data, dict):
            raise MalformedEvent("event data must be a JSON object")
        return ConsumedEvent(
            event_id=uuid.UUID(_required(attrs, "id")),
            source=_required(attrs, "source"),
            event_type=event_type,
            schema_version=version,
            subject=_required(attrs, "subject"),
            time=parse_iso_utc(_required(attrs, "time")),
            data=data,
            data_json=data_json,
            actor=Actor(_required(attrs, "actor"), _required(attrs, "actorrole")),
            correlation_id=_required(attrs, "correlationid"),
            causation_id=attrs.get("causationid"),
            stream_id=_required(attrs, "streamid"),
            stream_type=_required(attrs, "streamtype"),
            stream_version=int(_required(attrs, "streamversion")),
            recorded_at=parse_iso_utc(_required(attrs, "recordedat")),
            event_hash=_required(attrs, "eventhash"),
            prev_hash=_required(attrs, "prevhash"),
        )
    except MalformedEvent:
        raise
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        # RecursionError: JSON nested deeper than the parser goes, unreadable like the rest
        raise MalformedEvent(f"unreadable event: {type(error).__name__}: {error}"[:500]) \
            from error


def _required(attrs: dict[str, str], name: str) -> str:
    value = attrs.get(name)
    if not value:
        raise MalformedEvent(f"missing CloudEvents attribute ce_{name}")
    return value
