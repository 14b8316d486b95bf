"""The hash chain over a stream's events.

content_digest = sha256(canonical_json(record))   # every field of the event but the hashes
hash           = sha256(prev_hash + content_digest)   # hex strings, ASCII
The first event's prev_hash is GENESIS. The payload enters the record as the exact stored JSON
text, so a hash covers ciphertext when payload fields are encrypted.
"""

from __future__ import annotations

import hashlib
from typing import Any

from shared.clock import iso_utc
from shared.jsoncanon import canonical_json

from .events import RecordedEvent

GENESIS = "0" * 64


def content_record(event: RecordedEvent) -> dict[str, Any]:
    return {
        "event_id": str(event.event_id),
        "stream_id": event.stream_id,
        "stream_type": event.stream_type,
        "version": event.version,
        "event_type": event.event_type,
        "schema_version": event.schema_version,
        "payload": event.payload_json,
        "occurred_at": iso_utc(event.occurred_at),
        "recorded_at": iso_utc(event.recorded_at),
        "actor": {"subject": event.actor.subject, "role": event.actor.role},
        "correlation_id": event.correlation_id,
        "causation_id": event.causation_id,
    }


def content_digest(event: RecordedEvent) -> str:
    return hashlib.sha256(canonical_json(content_record(event)).encode("utf-8")).hexdigest()


def chain_hash(prev_hash: str, digest: str) -> str:
    return hashlib.sha256((prev_hash + digest).encode("ascii")).hexdigest()


def expected_hash(event: RecordedEvent) -> str:
    return chain_hash(event.prev_hash, content_digest(event))
