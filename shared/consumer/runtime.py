"""The consumer runtime every service's Kafka consumers run on.

For each fetched batch:
1. each message is parsed as a CloudEvent; an unreadable one goes straight to the dead-letter
   topic; one older than the version a handler is declared for is upcast to it first;
2. each partition has its own worker (shared/consumer/pipeline.py): one case's events share a
   partition, so each case's order holds while partitions go side by side; a worker applies
   what is queued for its partition as one run, in one database transaction that claims the
   events in the inbox and runs their handlers (shared/consumer/batch.py); an event already
   claimed has no second effect;
3. a failing handler is isolated: its run is split around it, and it alone is retried with
   backoff, then dead-lettered with its error; database outages are waited out, because the
   message is not at fault; what is logged and put in dead-letter headers never quotes the
   payload (shared/errortext);
4. a dead letter is recorded in the service's `dead_letters` table (the operator's work list:
   shared/deadletters), then sent to the dead-letter topic; `replay` applies it again later
   through the same inbox and handler;
5. a partition's offset is committed only after its run's transactions (and any dead-letter
   records and sends) are done.
Stopping finishes the runs in hand, commits, and leaves; what was queued behind them is
delivered again to whoever consumes next.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from sqlalchemy.ext.asyncio import AsyncConnection

from shared import errortext
from shared.db import Database
from shared.deadletters import store as deadletters
from shared.messaging.cloudevents import (
    ConsumedEvent,
    MalformedEvent,
    ce_type,
    from_kafka,
    split_ce_type,
)
from shared.retry import Backoff
from shared.upcasting import UpcastError, Upcasters, discovered

from .batch import BatchApplier, Handler, Message, Outcome, RetryPolicy, Routed, apply_in
from .offsets import OffsetCommitter
from .pipeline import PartitionPipeline

log = logging.getLogger("runway.consumer")

# A handler under this key receives every event its topics carry (e.g. a timeline).
ALL_TYPES = "*"
# Restarts after a failure wait this long, doubling up to 15 s while failures repeat; a run
# that was healthy this long starts the doubling again.
FIRST_RESTART_BACKOFF_S = 0.5
HEALTHY_RUN_S = 60.0


class Replayed(StrEnum):
    """What replaying a stored message did."""

    APPLIED = "applied"                  # its handler ran, once
    ALREADY_APPLIED = "already_applied"  # the inbox holds it: no second effect
    IGNORED = "ignored"                  # no handler of this consumer reads it


@dataclass
class ConsumerStats:
    applied: int = 0
    duplicates: int = 0
    ignored: int = 0
    dead_lettered: int = 0
    retries: int = 0
    restarts: int = 0


class ConsumerRuntime:
    def __init__(
        self,
        *,
        name: str,
        database: Database,
        consumer_factory: Callable[[], AIOKafkaConsumer],
        producer_factory: Callable[[], AIOKafkaProducer],
        handlers: Mapping[str, Handler],
        dead_letter_topic: str,
        max_attempts: int = 5,
        first_backoff: float = 0.05,
        on_applied: Callable[[ConsumedEvent], None] | None = None,
        upcasters: Upcasters | None = None,
        parallel_partitions: int = 4,
    ) -> None:
        self.name = name
        self._db = database
        self._consumer_factory = consumer_factory
        self._producer_factory = producer_factory
        self._handlers = dict(handlers)
        self._dead_letter_topic = dead_letter_topic
        self._policy = RetryPolicy(max_attempts, first_backoff)
        # PostgreSQL applies partitions side by side; SQLite has one writer at a time anyway.
        self._slots = asyncio.Semaphore(parallel_partitions if database.is_postgres else 1)
        self._on_applied = on_applied
        self._upcasters = upcasters if upcasters is not None else discovered()
        self._versions = _declared_versions(handlers)
        self.stats = ConsumerStats()
        self.assigned = asyncio.Event()

    @property
    def event_types(self) -> list[str]:
        """The ce_types this consumer applies; everything else on its topics is ignored."""
        return sorted(self._handlers)

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set. A broker or group failure restarts the clients after a
        backoff: offsets only ever move after the database commit, so a restart re-reads what
        was not committed and the inbox absorbs the repeats."""
        backoff = Backoff(FIRST_RESTART_BACKOFF_S, cap=15.0)
        while not stop.is_set():
            started = time.monotonic()
            try:
                await self._run_once(stop)
                return
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if time.monotonic() - started > HEALTHY_RUN_S:
                    backoff.reset()  # a fresh failure, not a failing loop
                self.stats.restarts += 1
                delay = next(backoff)
                log.error("consumer failed; restarting in %.1fs", delay,
                          extra={"consumer": self.name, "error": errortext.describe(error)})
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)

    async def _run_once(self, stop: asyncio.Event) -> None:
        consumer = self._consumer_factory()
        producer = self._producer_factory()
        committer = OffsetCommitter(consumer)

        async def apply_run(messages: list[Message]) -> None:
            await self._apply_run(producer, messages, stop)

        pipeline = PartitionPipeline(apply_run, committer)
        consumer.subscribe(topics=list(consumer.subscription()),
                           listener=_HandOver(pipeline, committer, self.name))
        try:
            await producer.start()
            await consumer.start()
            while not stop.is_set():
                committer.raise_if_failed()
                pipeline.raise_if_failed()
                batch = await consumer.getmany(timeout_ms=200, max_records=500)
                if consumer.assignment():
                    self.assigned.set()
                for partition, messages in batch.items():
                    pipeline.feed(partition, messages)
                pipeline.hold_back(consumer)
        finally:
            await pipeline.close()
            try:
                await committer.flush()
            except Exception as error:  # the messages are redelivered; the inbox absorbs them
                log.warning("last offset commit failed",
                            extra={"consumer": self.name, "error": errortext.describe(error)})
            await consumer.stop()
            await producer.stop()

    async def _apply_run(
        self, producer: AIOKafkaProducer, messages: list[Message], stop: asyncio.Event,
    ) -> None:
        """Apply one partition's run in order. A run waits for a free slot, so many busy
        partitions do not take every database connection from the HTTP handlers."""
        async with self._slots:
            routed: list[Routed] = []
            for message in messages:
                item = await self._route_message(producer, message)
                if item is not None:
                    routed.append(item)
            await self._applier(producer).apply(routed, stop)

    async def _route_message(self, producer: AIOKafkaProducer, message: Message) -> Routed | None:
        """The message with its handler; None for one dead-lettered as unreadable or one
        this consumer ignores."""
        try:
            event = from_kafka(list(message.headers), message.value)
            event, handler = self.route(event)
        except MalformedEvent as error:
            await self._dead_letter(producer, message, error, attempts=0)
            return None
        if handler is None:
            self.stats.ignored += 1
            return None
        return Routed(message, event, handler)

    def _applier(self, producer: AIOKafkaProducer) -> BatchApplier:
        async def dead_letter(message: Message, error: BaseException, attempts: int) -> None:
            await self._dead_letter(producer, message, error, attempts)

        return BatchApplier(name=self.name, database=self._db, policy=self._policy,
                            dead_letter=dead_letter, on_commit=self._committed,
                            on_retry=self._retried)

    def _committed(self, outcome: Outcome) -> None:
        self.stats.applied += len(outcome.applied)
        self.stats.duplicates += outcome.duplicates
        if self._on_applied is not None:
            # Called after the database commit and before the offset commit.
            for event in outcome.applied:
                self._on_applied(event)

    def _retried(self) -> None:
        self.stats.retries += 1

    def route(self, event: ConsumedEvent) -> tuple[ConsumedEvent, Handler | None]:
        """The handler for an event, and the event as that handler reads it: a handler for
        its own ce_type; else one for a newer version, given the event upcast to it; else
        the "*" handler, given the event as published."""
        handler = self._handlers.get(event.ce_type)
        if handler is not None:
            return event, handler
        declared = self._versions.get(event.event_type, ())
        if max(declared, default=0) <= event.schema_version:
            if declared and ALL_TYPES not in self._handlers:
                # A type this consumer acts on, in a version it cannot read yet: ignoring it
                # would lose a fact (a suspension, a withdrawal), so it is dead-lettered.
                raise MalformedEvent(
                    f"{self.name} handles {event.event_type} in versions "
                    f"{sorted(declared)}, not v{event.schema_version}; upgrade the consumer "
                    "and re-drive this message")
            return event, self._handlers.get(ALL_TYPES)
        try:
            for version, payload in self._upcasters.steps(event.event_type,
                                                         event.schema_version, event.data):
                handler = self._handlers.get(ce_type(event.event_type, version))
                if handler is not None:
                    return self._upcasters.upcast_consumed(event, version, payload), handler
        except UpcastError as error:
            raise MalformedEvent(str(error)) from error
        return event, self._handlers.get(ALL_TYPES)

    async def replay(self, conn: AsyncConnection, message: Message) -> Replayed:
        """Apply one message again, in the caller's transaction, the way a fetched one is
        applied: routed (and upcast) to its handler, claimed in the inbox, handled. An event
        the inbox already holds has no second effect. Raises MalformedEvent for a message
        that still cannot be read, HandlerFailed when its handler fails again."""
        event = from_kafka(list(message.headers), message.value)
        event, handler = self.route(event)
        if handler is None:
            return Replayed.IGNORED
        outcome = await apply_in(conn, self.name, [Routed(message, event, handler)])
        return Replayed.APPLIED if outcome.applied else Replayed.ALREADY_APPLIED

    async def _dead_letter(
        self, producer: AIOKafkaProducer, message: Message,
        error: BaseException, attempts: int,
    ) -> None:
        # Never the failing input: a v1 request's payload carries names in clear.
        reason = errortext.message(error)[:2000]
        failed_at = datetime.now(UTC)
        # Recorded for the operator before it is sent, both before the offset moves: a
        # database that is down fails the run, which is read again (the record is
        # idempotent per origin offset), so no dead letter reaches the topic unrecorded.
        async with self._db.transaction() as conn:
            letter_id = await deadletters.record(conn, deadletters.Letter(
                consumer=self.name, topic=message.topic, partition=message.partition,
                offset=message.offset, key=message.key, value=message.value,
                headers=list(message.headers), error_type=type(error).__name__,
                error_message=reason, attempts=attempts, failed_at=failed_at))
        details: dict[str, Any] = {
            "dlq_consumer": self.name,
            "dlq_id": letter_id,
            "dlq_error_type": type(error).__name__,
            "dlq_error": reason,
            "dlq_trace": errortext.traceback_text(error)[-4000:],
            "dlq_origin_topic": message.topic,
            "dlq_origin_partition": str(message.partition),
            "dlq_origin_offset": str(message.offset),
            "dlq_attempts": str(attempts),
            "dlq_failed_at": failed_at.isoformat(),
        }
        headers = list(message.headers) + [(k, str(v).encode()) for k, v in details.items()]
        # Waiting for the broker's ack before the offset moves: a dead letter is never lost.
        await (await producer.send(self._dead_letter_topic, value=message.value,
                                   key=message.key, headers=headers))
        self.stats.dead_lettered += 1
        log.error("message dead-lettered",
                  extra={"consumer": self.name, "topic": message.topic,
                         "partition": message.partition, "offset": message.offset,
                         "error": errortext.describe(error)})


class _HandOver(ConsumerRebalanceListener):  # type: ignore[misc]
    """Before partitions go to another member: finish their runs in hand and commit them."""

    def __init__(self, pipeline: PartitionPipeline, committer: OffsetCommitter,
                 name: str) -> None:
        self._pipeline, self._committer, self._name = pipeline, committer, name

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._pipeline.release(revoked)
        try:
            await self._committer.flush()
        except Exception as error:  # the next owner gets those messages again; the inbox
            log.warning("offset commit before a rebalance failed",  # absorbs them
                        extra={"consumer": self._name, "error": errortext.describe(error)})

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        return None


def _declared_versions(handlers: Mapping[str, Handler]) -> dict[str, set[int]]:
    """The versions each event type has a handler for (keys that are not ce_types, like
    "*", are skipped)."""
    versions: dict[str, set[int]] = {}
    for key in handlers:
        with contextlib.suppress(MalformedEvent):
            event_type, version = split_ce_type(key)
            versions.setdefault(event_type, set()).add(version)
    return versions
