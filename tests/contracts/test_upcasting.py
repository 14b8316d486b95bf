"""Upcasters: stored and published v1 events stay readable after the producer moved to v2.

The demonstrated change: assurance.assurance_received v1 -> v2 moved the diplomatic note's
reference, issuing authority and date into one `diplomatic_note` object."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection

from services.assurance import domain
from services.assurance import events as ev
from services.assurance.state import AssuranceCase, evolve, initial
from shared.aggregate import Repository
from shared.clock import ManualClock
from shared.consumer import ALL_TYPES, ConsumerRuntime
from shared.db import Database
from shared.eventstore import (
    Actor,
    EventContext,
    EventStore,
    GlobalPosition,
    NewEvent,
    RecordedEvent,
    verify_stream,
)
from shared.jsoncanon import canonical_json
from shared.messaging.cloudevents import ConsumedEvent, MalformedEvent, from_kafka, to_kafka
from shared.messaging.kafka import make_consumer, make_producer
from shared.upcasting import UpcastError, Upcasters, discovered
from tests.support.infra import create_topics, unique_topic
from tests.support.kafka_read import wait_for
from tests.support.kafka_send import send

from . import samples
from .contracts import messages, schema_of
from .validate import validate_event

NOW = datetime(2025, 8, 10, 15, 0, tzinfo=UTC)
RECEIVED = ev.ASSURANCE_RECEIVED
CONTEXT = EventContext(Actor("officer-4", "assurance_officer"))

RECEIVED_V1: dict[str, Any] = {
    "case_id": "MX-2025-0117", "assurance_id": "DN-2025-117", "scope": ["not_imposed"],
    "diplomatic_note_reference": "US Embassy note 2025-117",
    "issuing_authority": "US Department of State", "issued_on": "2025-07-01",
    "charge_ids": ["c2"], "scope_sufficient": True,
}
RECEIVED_V2: dict[str, Any] = {
    "case_id": "MX-2025-0117", "assurance_id": "DN-2025-117", "scope": ["not_imposed"],
    "diplomatic_note": {"reference": "US Embassy note 2025-117",
                        "issuing_authority": "US Department of State",
                        "issued_on": "2025-07-01"},
    "charge_ids": ["c2"], "scope_sufficient": True,
}


# --- the registry ---------------------------------------------------------------------------

def test_the_assurance_upcaster_turns_v1_into_v2() -> None:
    assert ev.assurance_received_v1_to_v2(RECEIVED_V1) == RECEIVED_V2
    validate_event(RECEIVED, 2, ev.assurance_received_v1_to_v2(RECEIVED_V1))


def test_the_discovered_registry_finds_the_services_upcasters() -> None:
    assert discovered().latest(RECEIVED, 1, RECEIVED_V1) == (2, RECEIVED_V2)
    assert discovered().latest(RECEIVED, 2, RECEIVED_V2) == (2, RECEIVED_V2)
    assert discovered().latest("intake.request_submitted", 1, {"a": 1}) == (1, {"a": 1})


def _chain() -> Upcasters:
    return Upcasters({
        ("test.thing_done", 1): lambda p: {**p, "v2": True},
        ("test.thing_done", 2): lambda p: {**{k: v for k, v in p.items() if k != "v2"},
                                           "v3": p["v2"]},
    })


def test_upcasters_chain_one_version_at_a_time() -> None:
    assert list(_chain().steps("test.thing_done", 1, {"a": 1})) == [
        (2, {"a": 1, "v2": True}), (3, {"a": 1, "v3": True})]
    assert _chain().latest("test.thing_done", 2, {"v2": False}) == (3, {"v3": False})
    with pytest.raises(ValueError, match="already exists"):
        _chain().register("test.thing_done", 1, dict)


def test_a_failing_upcaster_names_the_event_and_version() -> None:
    with pytest.raises(UpcastError, match=r"test.thing_done v2"):
        _chain().latest("test.thing_done", 2, {})


def _recorded(event_type: str, version: int, payload: Mapping[str, Any]) -> RecordedEvent:
    return RecordedEvent(
        event_id=uuid.uuid4(), stream_id="MX-2025-0117", stream_type="assurance_case",
        version=4, event_type=event_type, schema_version=version,
        payload_json=canonical_json(payload), occurred_at=NOW, recorded_at=NOW,
        actor=Actor("officer-4", "assurance_officer"), correlation_id="c", causation_id=None,
        prev_hash="a" * 64, hash="b" * 64, position=GlobalPosition(0, 4))


def test_an_upcast_stored_event_keeps_its_identity_and_hashes() -> None:
    stored = _recorded(RECEIVED, 1, RECEIVED_V1)
    upcast = discovered().upcast_recorded(stored)
    assert (upcast.schema_version, upcast.payload) == (2, RECEIVED_V2)
    assert (upcast.event_id, upcast.hash, upcast.prev_hash, upcast.version) == (
        stored.event_id, stored.hash, stored.prev_hash, stored.version)
    current = _recorded(RECEIVED, 2, RECEIVED_V2)
    assert discovered().upcast_recorded(current) is current


@pytest.mark.parametrize("past", [m for m in messages()
                                  if not m.current and not m.read_side_by_side],
                         ids=lambda m: m.ce_type)
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_upcaster_accepts_any_valid_old_payload(past: Any, data: st.DataObject) -> None:
    """Upcasters are total: whatever a valid vN payload holds, vN+1 comes out valid."""
    payload = data.draw(samples.strategy(schema_of(past)))
    version, upcast = discovered().latest(past.event_type, past.version, payload)
    assert version > past.version
    validate_event(past.event_type, version, upcast)
    [newer] = [m for m in messages() if (m.event_type, m.version) == (past.event_type, version)]
    newer.model.model_validate(upcast)


# --- the consumer runtime ---------------------------------------------------------------------

def _consumed(event_type: str, version: int, payload: Mapping[str, Any]) -> ConsumedEvent:
    record = to_kafka(_recorded(event_type, version, payload), topic="t", key="MX-2025-0117",
                      source="/runway/assurance")
    return from_kafka(record.headers, record.value)


async def _handler(event: ConsumedEvent, conn: AsyncConnection) -> None:
    return None


async def _other(event: ConsumedEvent, conn: AsyncConnection) -> None:
    return None


def _runtime(handlers: Mapping[str, Any], upcasters: Upcasters | None = None
             ) -> ConsumerRuntime:
    def never() -> Any:
        raise AssertionError("no Kafka client in this test")

    return ConsumerRuntime(name="test", database=Database("sqlite+aiosqlite:///:memory:"),
                           consumer_factory=never, producer_factory=never, handlers=handlers,
                           dead_letter_topic="test.deadletter", upcasters=upcasters)


def test_a_v2_handler_is_given_a_v1_message_upcast() -> None:
    original = _consumed(RECEIVED, 1, RECEIVED_V1)
    event, handler = _runtime({f"{RECEIVED}.v2": _handler}).route(original)
    assert handler is _handler
    assert (event.ce_type, event.data) == (f"{RECEIVED}.v2", RECEIVED_V2)
    assert (event.event_id, event.event_hash) == (original.event_id, original.event_hash)


def test_exact_handlers_win_and_star_handlers_get_messages_as_published() -> None:
    v1 = _consumed(RECEIVED, 1, RECEIVED_V1)
    both = _runtime({f"{RECEIVED}.v1": _other, f"{RECEIVED}.v2": _handler})
    assert both.route(v1) == (v1, _other)
    star = _runtime({ALL_TYPES: _other})
    assert star.route(v1) == (v1, _other)
    assert _runtime({"intake.request_submitted.v1": _other}).route(v1) == (v1, None)
    # No downcasting: a v1-only consumer cannot read v2, and must not drop it silently
    # either: the message is dead-lettered naming the versions it reads.
    v2 = _consumed(RECEIVED, 2, RECEIVED_V2)
    with pytest.raises(MalformedEvent, match=r"versions \[1\], not v2"):
        _runtime({f"{RECEIVED}.v1": _other}).route(v2)


def test_a_message_its_upcaster_cannot_read_is_malformed() -> None:
    """Malformed messages go straight to the dead-letter topic: a retry would fail again."""
    broken = Upcasters({(RECEIVED, 1): lambda p: {"note": p["no such field"]}})
    runtime = _runtime({f"{RECEIVED}.v2": _handler}, broken)
    with pytest.raises(MalformedEvent, match=r"upcasting assurance.assurance_received v1"):
        runtime.route(_consumed(RECEIVED, 1, RECEIVED_V1))


# --- real PostgreSQL: genuine v1 events in the store -----------------------------------------

def _history(received: dict[str, Any], version: int) -> list[NewEvent]:
    """An assurance case as the service recorded it before v2: opened, a capital charge,
    the US assurance received and accepted, the case cleared."""
    case = "MX-2025-0117"
    return [
        NewEvent(ev.CASE_OPENED, {"case_id": case, "legal_basis": "treaty",
                                  "charge_ids": ["c1", "c2"],
                                  "submitted_at": "2025-06-02T09:00:00Z",
                                  "intake_event_id": str(uuid.uuid4())}, schema_version=1),
        NewEvent(ev.CAPITAL_CHARGE_IDENTIFIED, {
            "case_id": case, "charge_id": "c2", "statute": "18 U.S.C. § 1114",
            "death_penalty_law": "18 U.S.C. § 3591", "generation": 1,
            "source": "request_submitted", "amendment_reason": None,
            "identified_at": "2025-06-02T09:00:00Z"}, schema_version=1),
        NewEvent(RECEIVED, received, schema_version=version),
        NewEvent(ev.ASSURANCE_ACCEPTED, {
            "case_id": case, "assurance_id": "DN-2025-117", "decided_on": "2025-07-15",
            "reason": "binding federal note", "charge_ids": ["c2"],
            "scope": ["not_imposed"]}, schema_version=1),
        NewEvent(ev.CLEARANCE_GRANTED, {
            "case_id": case, "basis": "assurances_accepted", "charge_ids": ["c2"],
            "assurance_ids": ["DN-2025-117"], "doj_commitment_reference": None,
            "cleared_since": "2025-07-15T00:00:00Z", "granted_at": "2025-07-15T00:00:00Z",
            "exception": None}, schema_version=1),
    ]


def _repository(store: EventStore) -> Repository[AssuranceCase]:
    return Repository(store, stream_type="assurance_case", topic="runway.assurance.events",
                      initial=initial, evolve=evolve)


async def _store_history(db: Database, store: EventStore, stream: str,
                         events: list[NewEvent]) -> None:
    async with db.transaction() as conn:
        await store.append(conn, stream_id=stream, stream_type="assurance_case",
                           expected_version=0, events=events, context=CONTEXT, topic=None)


async def test_stored_v1_events_replay_into_the_current_state(pg_db: Database) -> None:
    store = EventStore(ManualClock(NOW))
    await _store_history(pg_db, store, "case-v1", _history(RECEIVED_V1, 1))
    await _store_history(pg_db, store, "case-v2", _history(RECEIVED_V2, 2))
    repo = _repository(store)

    async with pg_db.connect() as conn:
        from_v1 = await repo.load_existing(conn, "case-v1")
        from_v2 = await repo.load_existing(conn, "case-v2")
        stored = await store.read_stream(conn, "case-v1")

    assert from_v1.state == from_v2.state
    assurance = from_v1.state.assurances["DN-2025-117"]
    assert (assurance.diplomatic_note.reference, assurance.diplomatic_note.issuing_authority,
            assurance.issued_on, assurance.status) == (
        "US Embassy note 2025-117", "US Department of State", date(2025, 7, 1), "accepted")
    assert from_v1.state.clearance.cleared
    # The store still holds v1, as recorded, and its hash chain is intact.
    assert (stored[2].schema_version, stored[2].payload) == (1, RECEIVED_V1)
    assert verify_stream(stored) == []


async def test_folds_outside_the_repository_read_v1_too(pg_db: Database) -> None:
    """Audit and replay fold stored events with the service's `evolve` directly."""
    store = EventStore(ManualClock(NOW))
    await _store_history(pg_db, store, "case-v1", _history(RECEIVED_V1, 1))
    async with pg_db.connect() as conn:
        stored = await store.read_stream(conn, "case-v1")
        loaded = await _repository(store).load_existing(conn, "case-v1")
    state = initial()
    for event in stored:
        state = evolve(state, event)
    assert state == loaded.state


async def test_a_case_with_v1_history_takes_new_commands(pg_db: Database) -> None:
    store = EventStore(ManualClock(NOW))
    await _store_history(pg_db, store, "case-v1", _history(RECEIVED_V1, 1))
    repo = _repository(store)
    async with pg_db.transaction() as conn:
        loaded = await repo.load_existing(conn, "case-v1")
        decided = domain.withdraw_assurance(loaded.state, "DN-2025-117", date(2025, 8, 1),
                                            "US withdrew the note", NOW)
        await repo.append(conn, loaded, decided, CONTEXT)
    async with pg_db.connect() as conn:
        after = await repo.load_existing(conn, "case-v1")
        stored = await store.read_stream(conn, "case-v1")
    assert after.state.assurances["DN-2025-117"].status == "withdrawn"
    assert not after.state.clearance.cleared
    assert [e.event_type for e in stored[5:]] == [ev.ASSURANCE_WITHDRAWN,
                                                  ev.CLEARANCE_WITHDRAWN]
    assert verify_stream(stored) == []


def test_new_assurances_are_recorded_as_v2() -> None:
    state = initial()
    for event in _history(RECEIVED_V1, 1)[:2]:
        state = evolve(state, _recorded(event.event_type, 1, event.payload))
    [received] = [e for e in domain.receive_assurance(
        state, domain.ReceivedAssurance("DN-9", (ev.Scope.NOT_IMPOSED,), ev.DiplomaticNote(
            reference="note 9", issuing_authority="US Department of State",
            issued_on=date(2025, 7, 1)), ("c2",)),
        domain.Policy(), NOW)
        if e.event_type == RECEIVED]
    assert received.schema_version == 2
    validate_event(RECEIVED, received.schema_version, received.payload)


# --- real Kafka: a v2 consumer reads a v1 message off the topic --------------------------------

async def test_a_consumer_declared_for_v2_receives_a_published_v1_event(
    pg_db: Database, kafka: str,
) -> None:
    store = EventStore(ManualClock(NOW))
    await _store_history(pg_db, store, "case-v1", _history(RECEIVED_V1, 1))
    async with pg_db.connect() as conn:
        stored_v1 = (await store.read_stream(conn, "case-v1"))[2]
    topic = unique_topic("assurance")
    await create_topics(kafka, [topic, f"{topic}.deadletter"])
    record = to_kafka(stored_v1, topic=topic, key="case-v1", source="/runway/assurance")
    await send(kafka, record, client_id="test-v1-publisher")

    received: list[ConsumedEvent] = []

    async def on_received_v2(event: ConsumedEvent, conn: AsyncConnection) -> None:
        received.append(event)

    name = f"test-v2-reader-{uuid.uuid4().hex[:6]}"
    runtime = ConsumerRuntime(
        name=name, database=pg_db,
        consumer_factory=lambda: make_consumer(kafka, name, [topic]),
        producer_factory=lambda: make_producer(kafka, name),
        handlers={f"{RECEIVED}.v2": on_received_v2}, dead_letter_topic=f"{topic}.deadletter")
    stop = asyncio.Event()
    task = asyncio.create_task(runtime.run(stop))

    async def delivered() -> bool:
        return bool(received)

    try:
        await wait_for(delivered, what="the v1 event delivered to the v2 handler")
    finally:
        stop.set()
        await task

    [event] = received
    assert event.ce_type == f"{RECEIVED}.v2"
    assert event.data == RECEIVED_V2
    assert event.event_id == stored_v1.event_id and event.event_hash == stored_v1.hash
    validate_event(RECEIVED, 2, event.data)
    assert runtime.stats.applied == 1 and runtime.stats.dead_lettered == 0
