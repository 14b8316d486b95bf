"""Live updates: one Kafka subscriber per console process tells open pages that a case changed.

The console is a subscriber only: a consumer group of its own (unique per process, so every
console replica sees every event), starting at the latest offset (a page that opens reads the
current state from the APIs; it needs only what happens after), committing nothing. An event
names its case in the Kafka key (the stream's subject) or, for a flight's events, in its data.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, replace
from typing import Any

from aiokafka import AIOKafkaConsumer

from shared.messaging.kafka import METADATA_MAX_AGE_MS
from shared.messaging.security import KafkaSecurity, options
from shared.messaging.topics import events_topic

log = logging.getLogger("runway.console.live")

# A page whose queue fills (a stalled browser) misses updates rather than holding memory: it
# only needs to know that something changed, and refetches everything when it does.
QUEUE_SIZE = 16
RESTART_S = 2.0


@dataclass(frozen=True)
class Change:
    """An event recorded by a service: a page refetches once intake's timeline shows it."""

    event_type: str
    event_id: str
    case_id: str = ""  # told to the case list, which watches every case

    def as_data(self) -> str:
        data = {"type": self.event_type, "id": self.event_id}
        return json.dumps({**data, "case": self.case_id} if self.case_id else data)


# The case list watches every case under this key (no case id is "*").
EVERY_CASE = "*"


class Hub:
    """Who is watching which case (or every case), and the consumer that tells them."""

    def __init__(self) -> None:
        self._watchers: dict[str, set[asyncio.Queue[Change]]] = {}
        self.assigned = False

    @contextlib.asynccontextmanager
    async def watch(self, case_id: str) -> AsyncIterator[asyncio.Queue[Change]]:
        queue: asyncio.Queue[Change] = asyncio.Queue(QUEUE_SIZE)
        self._watchers.setdefault(case_id, set()).add(queue)
        try:
            yield queue
        finally:
            watchers = self._watchers.get(case_id, set())
            watchers.discard(queue)
            if not watchers:
                self._watchers.pop(case_id, None)

    def publish(self, case_ids: Iterable[str], change: Change) -> int:
        told = 0
        named = set(case_ids) - {EVERY_CASE}
        for case_id in named:
            for queue in self._watchers.get(case_id, ()):
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(change)
                    told += 1
        if named:  # the list: once per event, naming one of its cases (the one to wait for)
            about = replace(change, case_id=min(named))
            for queue in self._watchers.get(EVERY_CASE, ()):
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(about)
                    told += 1
        return told


def cases_named(key: bytes | None, value: bytes | None) -> set[str]:
    """The cases an event concerns: the data's case_id / case_ids, or else its key (a
    flight's events are keyed by the flight, which is no case)."""
    keyed = {key.decode("utf-8", "replace")} if key else set()
    try:
        data: Any = json.loads(value) if value else None
    except ValueError:
        return keyed
    if not isinstance(data, dict):
        return keyed
    found = {c for c in data.get("case_ids") or () if isinstance(c, str)}
    if isinstance(data.get("case_id"), str):
        found.add(data["case_id"])
    return found or keyed


def change_of(headers: Iterable[tuple[str, bytes]]) -> Change:
    """The event's type and id, from its CloudEvents headers."""
    found = {name: value.decode("utf-8", "replace") for name, value in headers
             if name in ("ce_type", "ce_id")}
    return Change(found.get("ce_type", "event"), found.get("ce_id", ""))


async def run(hub: Hub, bootstrap: str, namespace: str, services: Iterable[str],
              security: KafkaSecurity | None, stop: asyncio.Event) -> None:
    topics = [events_topic(service, namespace) for service in services]
    while not stop.is_set():
        consumer = AIOKafkaConsumer(
            *topics, bootstrap_servers=bootstrap, group_id=f"console-{uuid.uuid4()}",
            enable_auto_commit=False, auto_offset_reset="latest",
            isolation_level="read_committed", fetch_max_wait_ms=100,
            metadata_max_age_ms=METADATA_MAX_AGE_MS, **options(security))
        try:
            await consumer.start()
            await _consume(hub, consumer, stop)
        except asyncio.CancelledError:
            raise
        except Exception:  # the broker went away: pages keep working, updates resume later
            log.exception("live updates interrupted; restarting")
            hub.assigned = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RESTART_S)
        finally:
            hub.assigned = False
            await consumer.stop()


async def _consume(hub: Hub, consumer: AIOKafkaConsumer, stop: asyncio.Event) -> None:
    while not stop.is_set():
        batches = await consumer.getmany(timeout_ms=200)
        # Assigned once the group has given this process its partitions (readiness shows it).
        hub.assigned = bool(consumer.assignment())
        for records in batches.values():
            for record in records:
                hub.publish(cases_named(record.key, record.value),
                            change_of(record.headers or ()))
