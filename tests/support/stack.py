"""Several Runway services as real processes, on real Kafka and PostgreSQL, for e2e tests.

Each stack gets its own topic namespace and a fresh database per service, so stacks never see
each other's events; logs go to var/log/e2e/<namespace>/<service>.log.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from shared import process
from shared.audit.sources import AuditTarget
from shared.process import ServiceFailed, ServiceProcess
from shared.settings import REPO_ROOT
from tests.support.infra import create_database, drop_database, fresh_namespace
from tests.support.ports import free_port
from tests.support.processes import console_script

# How often a starting service is asked /readyz; the deadline bounds the wait.
READY_POLL_S = 0.1


@dataclass
class Stack:
    pg_server: str
    kafka: str
    namespace: str = field(default_factory=lambda: fresh_namespace("e2e"))
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    # One personal-data key store for the stack's services, as in a deployment.
    keystore_url: str | None = None

    def url(self, service: str) -> str:
        return self.services[service].url

    def store_flags(self) -> list[str]:
        """`--store=<service>=<url>` for each service, as the `runway audit` commands take."""
        return [f"--store={name}={s.database_url}" for name, s in self.services.items()]

    def audit_target(self) -> AuditTarget:
        return AuditTarget({name: s.database_url for name, s in self.services.items()},
                           self.kafka, self.namespace)

    async def audit_json(self, *args: str) -> Any:
        """`runway --json audit` on this stack's stores and Kafka; it must succeed."""
        process = await asyncio.create_subprocess_exec(
            console_script("runway"), "--json", "audit", "--bootstrap", self.kafka,
            *self.store_flags(), *args,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, err.decode()
        return json.loads(out)

    async def start(self, names: Sequence[str], env: dict[str, str] | None = None) -> None:
        log_dir = REPO_ROOT / "var" / "log" / "e2e" / self.namespace
        if self.keystore_url is None:
            self.keystore_url = await create_database(self.pg_server)
        for name in names:
            database_url = await create_database(self.pg_server)
            self.services[name] = await process.start_service(
                name, port=free_port(), database_url=database_url, log=log_dir / f"{name}.log",
                env={"PYTHONPATH": str(REPO_ROOT), "SERVICE_DATABASE_URL": database_url,
                     "KAFKA_BOOTSTRAP_SERVERS": self.kafka,
                     "RUNWAY_TOPIC_NAMESPACE": self.namespace,
                     "RUNWAY_KEYSTORE_URL": self.keystore_url, **(env or {})})
        try:
            await process.wait_ready(self.services.values(), within=90, every=READY_POLL_S)
        except ServiceFailed as failure:
            raise AssertionError(f"{failure}:\n{failure.service.log_tail()}") from failure

    async def validate_published_events(self) -> int:
        """Every event the services published in this run matches its published schema."""
        from shared.messaging.cloudevents import from_kafka
        from tests.contracts.validate import validate_event
        from tests.support.kafka_read import read_topic

        checked = 0
        for name in self.services:
            for record in await read_topic(self.kafka,
                                           f"{self.namespace}.runway.{name}.events"):
                event = from_kafka(list(record.headers), record.value)
                validate_event(event.event_type, event.schema_version, event.data)
                checked += 1
        return checked

    async def stop(self) -> None:
        try:
            await self.validate_published_events()
        finally:
            await self._shutdown()

    async def _shutdown(self) -> None:
        await process.stop_all(self.services.values(), grace=30)
        for service in self.services.values():
            await drop_database(self.pg_server, service.database_url)
        if self.keystore_url is not None:
            await drop_database(self.pg_server, self.keystore_url)


def stack_fixture(services: Sequence[str], env: Mapping[str, str] | None = None
                  ) -> Callable[..., Any]:
    """A module's `stack` fixture: `services` running as processes (with `env`) for all the
    module's tests, then stopped, their events checked against the published schemas.

        stack = stack_fixture(["intake", "judicial"])
    """
    @pytest.fixture(scope="module")
    async def stack(pg_server: str, kafka: str) -> AsyncIterator[Stack]:
        running = Stack(pg_server, kafka)
        try:
            await running.start(list(services), dict(env or {}))
            yield running
        finally:
            await running.stop()

    return stack
