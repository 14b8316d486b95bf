"""The hash chain, checked without any database: what an outside verifier recomputes."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime

from shared.eventstore import Actor, GlobalPosition, RecordedEvent, verify_stream
from shared.eventstore.hashing import GENESIS, chain_hash, content_digest


def chain(payloads: list[dict[str, object]]) -> list[RecordedEvent]:
    events, prev = [], GENESIS
    for version, payload in enumerate(payloads, start=1):
        draft = RecordedEvent(
            event_id=uuid.UUID(int=version), stream_id="case-1", stream_type="case",
            version=version, event_type="intake.request_submitted", schema_version=1,
            payload_json=json.dumps(payload, sort_keys=True, separators=(",", ":")),
            occurred_at=datetime(2025, 8, 12, 9, 0, tzinfo=UTC),
            recorded_at=datetime(2025, 8, 12, 9, 0, 1, 250, tzinfo=UTC),
            actor=Actor("op-1", "operator"), correlation_id="corr-1", causation_id=None,
            prev_hash=prev, hash="", position=GlobalPosition(0, version))
        event = replace(draft, hash=chain_hash(prev, content_digest(draft)))
        events.append(event)
        prev = event.hash
    return events


def test_hash_is_reproducible_from_the_documented_recipe() -> None:
    [event] = chain([{"name": "Rafael"}])
    record = {
        "event_id": str(event.event_id), "stream_id": "case-1", "stream_type": "case",
        "version": 1, "event_type": "intake.request_submitted", "schema_version": 1,
        "payload": '{"name":"Rafael"}', "occurred_at": "2025-08-12T09:00:00.000000Z",
        "recorded_at": "2025-08-12T09:00:01.000250Z",
        "actor": {"subject": "op-1", "role": "operator"}, "correlation_id": "corr-1",
        "causation_id": None,
    }
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    assert event.hash == hashlib.sha256((GENESIS + digest).encode()).hexdigest()


def test_intact_chain_verifies() -> None:
    assert verify_stream(chain([{"n": 1}, {"n": 2}, {"n": 3}])) == []


def test_deleted_event_is_named() -> None:
    events = chain([{"n": 1}, {"n": 2}, {"n": 3}])
    problems = verify_stream([events[0], events[2]])
    assert {(p.version, p.event_id) for p in problems} == {(3, str(events[2].event_id))}
    assert any("version gap" in p.problem for p in problems)


def test_changed_metadata_is_detected() -> None:
    events = chain([{"n": 1}, {"n": 2}])
    forged = replace(events[1], actor=Actor("someone-else", "operator"))
    [problem] = verify_stream([events[0], forged])
    assert problem.version == 2 and "altered" in problem.problem


def test_rehashed_forgery_breaks_the_link_to_the_next_event() -> None:
    events = chain([{"n": 1}, {"n": 2}, {"n": 3}])
    forged = replace(events[1], payload_json='{"n":20}')
    forged = replace(forged, hash=chain_hash(forged.prev_hash, content_digest(forged)))
    [problem] = verify_stream([events[0], forged, events[2]])
    assert problem.version == 3 and "prev_hash" in problem.problem
