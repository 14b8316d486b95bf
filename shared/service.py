"""The composition root of a service process.

A service declares what it is (a ServiceSpec); `ServiceRuntime` builds its engine, store,
relay and consumers from settings when the process starts, never at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import Clock, SystemClock
from shared.consumer import ConsumerRuntime, Handler
from shared.db import Database
from shared.eventstore import EventStore
from shared.messaging.kafka import make_admin, make_consumer, make_producer
from shared.messaging.topics import (
    dead_letter_topic,
    ensure_topics,
    events_topic,
    load_topics,
    namespaced,
)
from shared.migrate import migrate
from shared.outbox import OutboxRelay
from shared.pii.vault import PersonalDataVault, open_vault
from shared.retry import Backoff, Deadline, retry
from shared.settings import ServiceSettings

log = logging.getLogger("runway.service")


# How long Kafka may fail to answer before a service reports itself not ready.
KAFKA_READY_GRACE_S = 15.0

@dataclass(frozen=True)
class ConsumerSpec:
    """One Kafka consumer group of a service: its topics and the ce_types it applies."""

    name: str
    topics: Sequence[str]
    handlers: Mapping[str, Handler]

    @classmethod
    def of_events(cls, runtime: ServiceRuntime, source: str,
                  handlers: Mapping[str, Handler]) -> ConsumerSpec:
        """The group `<service>.<source>-events`, reading `source`'s events topic."""
        return cls(name=f"{runtime.spec.name}.{source}-events",
                   topics=[runtime.events_topic_of(source)], handlers=handlers)


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    title: str
    default_port: int
    routers: Callable[[ServiceRuntime], Sequence[APIRouter]] = lambda _runtime: ()
    consumers: Callable[[ServiceRuntime], Sequence[ConsumerSpec]] = lambda _runtime: ()
    # Other long-running work, e.g. a scheduler: each runs until the stop event is set.
    background: Callable[[ServiceRuntime], Sequence[BackgroundTask]] = lambda _runtime: ()
    # Alembic version locations of the service's own tables, e.g.
    # "services.judicial:migrations"; their first revision revises "0001_platform".
    migrations: Sequence[str] = field(default_factory=tuple)


BackgroundTask = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


class ServiceRuntime:
    def __init__(self, spec: ServiceSpec, settings: ServiceSettings,
                 clock: Clock | None = None) -> None:
        self.spec = spec
        self.settings = settings
        self.clock = clock or SystemClock()
        self.database = Database(settings.resolved_database_url(),
                                 pool_size=settings.db_pool_size, max_overflow=0)
        self.store = EventStore(self.clock)
        self.source = f"/runway/{spec.name}"
        self.events_topic = self.events_topic_of(spec.name)
        # Kafka authentication (SASL) for every client this service makes; PLAINTEXT by default.
        self.kafka_security = settings.kafka_security.resolve()
        bootstrap = settings.kafka_bootstrap_servers
        security = self.kafka_security
        self.relay = OutboxRelay(
            self.database,
            lambda: make_producer(bootstrap, client_id=f"{spec.name}-relay", security=security),
            source=self.source,
            batch_size=settings.relay_batch_size,
            poll_interval=settings.relay_poll_interval_s,
        )
        self.consumers = [self._consumer(c) for c in spec.consumers(self)]
        self.background = list(spec.background(self))
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._kafka_checked_at = 0.0
        self._kafka_ok = False
        self._kafka_answered_at: float | None = None
        self._pii: PersonalDataVault | None = None

    def events_topic_of(self, service: str) -> str:
        """The events topic of any service, in this installation's namespace."""
        return events_topic(service, self.settings.topic_namespace)

    def _consumer(self, consumer: ConsumerSpec) -> ConsumerRuntime:
        bootstrap = self.settings.kafka_bootstrap_servers
        group = namespaced(self.settings.topic_namespace, consumer.name)
        security = self.kafka_security
        return ConsumerRuntime(
            name=consumer.name,
            database=self.database,
            consumer_factory=lambda: make_consumer(bootstrap, group, list(consumer.topics),
                                                   security=security),
            producer_factory=lambda: make_producer(bootstrap, f"{consumer.name}-dlq",
                                                   security=security),
            handlers=consumer.handlers,
            dead_letter_topic=dead_letter_topic(self.spec.name, self.settings.topic_namespace),
            max_attempts=self.settings.consumer_max_attempts,
            first_backoff=self.settings.consumer_first_backoff_s,
        )

    @contextlib.asynccontextmanager
    async def command(self) -> AsyncIterator[AsyncConnection]:
        """One command, one transaction; the relay is woken once it has committed."""
        async with self.database.transaction() as conn:
            yield conn
        self.relay.wake()

    async def prestart(self) -> None:
        """Wait for the database and Kafka, migrate, create topics: all before serving."""
        deadline = Deadline(self.settings.startup_timeout_s)
        await _retry_until(deadline, "database", self.database.ping)
        await migrate(self.database, self.spec.migrations)
        bootstrap = self.settings.kafka_bootstrap_servers
        topics = load_topics(namespace=self.settings.topic_namespace)
        if self.kafka_security.authenticates:
            # Under ACLs a service may create only the topics it writes; the others are its
            # owners' to create (or the operator's, with `runway-infra create-topics`).
            topics = [t for t in topics if t.producer == self.spec.name]
        await _retry_until(deadline, "kafka",
                           lambda: ensure_topics(bootstrap, topics, self.kafka_security))

    async def start_background(self) -> None:
        self._stop.clear()
        self._tasks = [asyncio.create_task(self.relay.run(self._stop), name="relay")]
        self._tasks += [asyncio.create_task(c.run(self._stop), name=f"consumer:{c.name}")
                        for c in self.consumers]
        self._tasks += [asyncio.create_task(work(self._stop), name=f"background:{index}")
                        for index, work in enumerate(self.background)]

    async def stop_background(self) -> None:
        """Stop relay and consumers; each finishes the batch or message in hand."""
        self._stop.set()
        results = await asyncio.gather(*self._tasks, return_exceptions=True)
        for task, result in zip(self._tasks, results, strict=True):
            if isinstance(result, BaseException) and not isinstance(result,
                                                                     asyncio.CancelledError):
                log.error("background task failed", extra={"task": task.get_name(),
                                                           "error": repr(result)})
        self._tasks = []

    def background_failures(self) -> list[str]:
        return [t.get_name() for t in self._tasks if t.done() and not t.cancelled()
                and t.exception() is not None]

    async def kafka_reachable(self) -> bool:
        """Whether Kafka answered a metadata request within the last KAFKA_READY_GRACE_S
        (asked at most every two seconds)."""
        if time.monotonic() - self._kafka_checked_at < 2:
            return self._kafka_ok
        admin = make_admin(self.settings.kafka_bootstrap_servers, security=self.kafka_security,
                           request_timeout_ms=3000)
        now = time.monotonic()
        try:
            await asyncio.wait_for(admin.start(), timeout=3)
            await asyncio.wait_for(admin.list_topics(), timeout=3)
            self._kafka_answered_at = now
        except Exception:
            pass
        finally:
            with contextlib.suppress(Exception):
                await admin.close()
        # One failed check is not an outage: while a cluster fails a dead broker's partitions
        # over (seconds), a metadata request may go to that broker and time out. A service is
        # not ready only when Kafka has not answered for KAFKA_READY_GRACE_S; otherwise every
        # replica left the load balancer together (HAProxy answered 503).
        answered = self._kafka_answered_at
        self._kafka_ok = answered is not None and now - answered < KAFKA_READY_GRACE_S
        self._kafka_checked_at = time.monotonic()
        return self._kafka_ok

    @property
    def pii(self) -> PersonalDataVault:
        """The personal-data vault (shared/pii), built on first use: only services that seal
        or show personal data ever connect to the key store."""
        if self._pii is None:
            pii = self.settings.pii
            self._pii = open_vault(self.settings.resolved_keystore_url(), pii.keyring_path,
                                   clock=self.clock, cache_s=pii.key_cache_s)
        return self._pii

    async def close(self) -> None:
        if self._pii is not None:
            await self._pii.close()
        await self.database.dispose()


async def _retry_until(deadline: Deadline, what: str,
                       attempt: Callable[[], Awaitable[object]]) -> None:
    """Wait out a dependency that is still starting (the database, the broker)."""
    def waiting(error: BaseException, _delay: float) -> None:
        log.info("waiting for %s", what, extra={"error": repr(error)})

    try:
        await retry(attempt, on=Exception, delays=Backoff(0.2, cap=2.0), within=deadline,
                    on_retry=waiting)
    except Exception as error:
        raise RuntimeError(f"{what} not reachable before the startup deadline: "
                           f"{error!r}") from error
