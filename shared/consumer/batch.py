"""Applying one partition's share of a fetched batch: many messages, one transaction.

The fast path claims every message of the run in the inbox with one statement and runs their
handlers in order in the same transaction, so a batch of 500 costs one commit instead of 500.
When a handler fails, the whole transaction rolls back and the run is split around the failing
message: the messages before it are applied together again, the failing one is retried alone
(with backoff, then dead-lettered with its error), and the rest go on together. No savepoint per
message: it would cost two round trips each on the fast path to save work only on the rare slow
one. Nothing here commits Kafka offsets; the caller moves them after these commits.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from aiokafka import ConsumerRecord
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection

from shared import errortext
from shared.db import Database
from shared.messaging.cloudevents import ConsumedEvent
from shared.retry import is_transient_database_error

from . import inbox

log = logging.getLogger("runway.consumer")

Handler = Callable[[ConsumedEvent, AsyncConnection], Awaitable[None]]
Message: TypeAlias = "ConsumerRecord[bytes, bytes]"
DeadLetter = Callable[[Message, BaseException, int], Awaitable[None]]

# Failures that say the database is unreachable or busy, not that the message is bad (a pool
# timeout included: with fixed pools a busy service must not dead-letter a good message).
OUTAGES = (OperationalError, InterfaceError, ConnectionError, OSError, PoolTimeout)


# A message whose transaction PostgreSQL keeps rolling back for its timing is logged at error
# level every this many times in a row: two code paths taking locks in opposite orders.
ROLLBACK_ALARM = 20


def not_the_message(error: BaseException) -> bool:
    """The database was unreachable or busy, or rolled the transaction back for its timing
    (a deadlock or serialization failure against another replica's transaction): running it
    again is the cure, so the attempt does not count towards dead-lettering the message."""
    return isinstance(error, OUTAGES) or is_transient_database_error(error)


@dataclass(frozen=True)
class Routed:
    """A message this consumer acts on: the event as its handler reads it, and the handler."""

    message: Message
    event: ConsumedEvent
    handler: Handler


@dataclass
class Outcome:
    """What one committed transaction did, counted only once it has committed."""

    applied: list[ConsumedEvent]
    duplicates: int


class HandlerFailed(Exception):
    """The handler of `items[index]` raised; the transaction was rolled back."""

    def __init__(self, index: int, error: BaseException) -> None:
        super().__init__(str(error))
        self.index, self.error = index, error


@dataclass
class RetryPolicy:
    max_attempts: int
    first_backoff: float


class BatchApplier:
    """Applies runs of routed messages for one consumer, recording results in `on_commit`."""

    def __init__(self, *, name: str, database: Database, policy: RetryPolicy,
                 dead_letter: DeadLetter, on_commit: Callable[[Outcome], None],
                 on_retry: Callable[[], None]) -> None:
        self._name = name
        self._db = database
        self._policy = policy
        self._dead_letter = dead_letter
        self._on_commit = on_commit
        self._on_retry = on_retry

    async def apply(self, items: Sequence[Routed], stop: asyncio.Event) -> None:
        """Apply `items` in order, each exactly once, in as few transactions as their
        failures allow. Returns once every item is committed or dead-lettered.

        A loop, not recursion: a run where hundreds of messages fail (a handler bug meeting
        a backlog) must not exhaust the stack, or the partition would be stuck for good."""
        pending = list(items)
        # How many to try together: halved after each failure, doubled after each success,
        # so a run of many failing messages costs O(n log n) claims, not O(n^2).
        window = max(len(pending), 1)
        while pending:
            chunk = pending[:window]
            failed_at = await self._try_together(chunk)
            if failed_at is None:
                pending = pending[len(chunk):]
                window = min(window * 2, len(items))
                continue
            while failed_at:
                # The messages before the failing one did nothing wrong: together again.
                narrowed = await self._try_together(pending[:failed_at])
                if narrowed is None:
                    pending, failed_at = pending[failed_at:], 0
                else:
                    failed_at = narrowed  # an earlier one failed this time
            await self._apply_alone(pending[0], stop)
            pending = pending[1:]
            window = max(window // 2, 1)

    async def _try_together(self, items: Sequence[Routed]) -> int | None:
        """Commit `items` in one transaction; else the index of the one that failed."""
        try:
            await self._commit_together(items)
            return None
        except HandlerFailed as failure:
            return failure.index
        except Exception as error:
            if not not_the_message(error):
                raise
            # Which message met the outage is unknown: the first one waits it out alone.
            return 0

    async def _commit_together(self, items: Sequence[Routed]) -> None:
        async with self._db.transaction() as conn:
            outcome = await self._run(conn, items)
        self._on_commit(outcome)

    async def _run(self, conn: AsyncConnection, items: Sequence[Routed]) -> Outcome:
        return await apply_in(conn, self._name, items)

    async def _apply_alone(self, item: Routed, stop: asyncio.Event) -> None:
        """One message in its own transaction: retried with backoff, then dead-lettered.
        Database outages, deadlocks and serialization failures are run again without
        counting, because the message is not at fault."""
        attempt = 0
        rollbacks = 0  # in a row, for the transaction's timing
        while True:
            attempt += 1
            try:
                await self._commit_together([item])
                return
            except HandlerFailed as failure:
                if attempt >= self._policy.max_attempts:
                    await self._dead_letter(item.message, failure.error, attempt)
                    return
                self._on_retry()
                log.warning("handler failed; retrying",
                            extra={"consumer": self._name, "event_id": str(item.event.event_id),
                                   "attempt": attempt,
                                   "error": errortext.describe(failure.error)})
                await asyncio.sleep(self._policy.first_backoff * 2 ** (attempt - 1))
            except Exception as error:
                if not not_the_message(error) or stop.is_set():
                    raise
                attempt -= 1
                if is_transient_database_error(error):
                    rollbacks += 1
                    await self._after_rollback(item, error, rollbacks)
                else:
                    rollbacks = 0
                    log.warning("database unavailable; retrying",
                                extra={"consumer": self._name,
                                       "error": errortext.describe(error)})
                    await asyncio.sleep(min(5.0, self._policy.first_backoff * 20))

    async def _after_rollback(self, item: Routed, error: BaseException, rollbacks: int) -> None:
        """PostgreSQL rolled the message's transaction back for its timing (another
        transaction held what it needed): run it again after a growing wait with jitter, so
        the two do not meet again in step. Counted as a retry (the consumer's retries metric),
        never against the message; a message that keeps losing points at a lock-order bug,
        said at error level every ROLLBACK_ALARM times."""
        self._on_retry()
        loud = rollbacks % ROLLBACK_ALARM == 0
        log.log(logging.ERROR if loud else logging.WARNING,
                "transaction rolled back for its timing (deadlock or serialization failure); "
                "retrying", extra={"consumer": self._name, "event_id": str(item.event.event_id),
                                   "rollbacks": rollbacks, "error": errortext.describe(error)})
        grown = self._policy.first_backoff * 2 ** min(rollbacks - 1, 6)
        await asyncio.sleep(min(5.0, grown) * (1 + random.random() / 2))


async def apply_in(conn: AsyncConnection, consumer: str, items: Sequence[Routed]) -> Outcome:
    """Claim `items` in `consumer`'s inbox and run the handlers of those not applied before,
    in order, in the caller's transaction. The one way a message takes effect: a batch, a
    message retried alone and an operator's re-drive of a dead letter all come here."""
    fresh = await inbox.claim_many(conn, consumer, [_inbox_row(i) for i in items])
    outcome = Outcome(applied=[], duplicates=0)
    for index, item in enumerate(items):
        if item.event.event_id not in fresh:
            outcome.duplicates += 1
            continue
        fresh.discard(item.event.event_id)  # the same event twice in one run: once
        try:
            await item.handler(item.event, conn)
        except Exception as error:
            if not_the_message(error):
                raise
            raise HandlerFailed(index, error) from error
        outcome.applied.append(item.event)
    return outcome


def _inbox_row(item: Routed) -> inbox.Claim:
    message = item.message
    return inbox.Claim(event_id=item.event.event_id, topic=message.topic,
                       partition=message.partition, offset=message.offset)
