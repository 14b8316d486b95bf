"""Several Runway services as real processes, on real Kafka and PostgreSQL, for e2e tests.

Each stack gets its own topic namespace and a fresh database per service, so stacks never see
each other's events; logs go to var/log/e2e/<namespace>/<service>.log.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.infra import create_database, drop_database, fresh_namespace

ROOT = Path(__file__).resolve().parents[2]


# How often a starting service is asked /readyz; its deadline bounds the wait.
READY_POLL_S = 0.1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ServiceProcess:
    name: str
    url: str
    database_url: str
    process: asyncio.subprocess.Process
    log: Path


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

    async def start(self, names: list[str], env: dict[str, str] | None = None) -> None:
        log_dir = ROOT / "var" / "log" / "e2e" / self.namespace
        log_dir.mkdir(parents=True, exist_ok=True)
        if self.keystore_url is None:
            self.keystore_url = await create_database(self.pg_server)
        for name in names:
            database_url = await create_database(self.pg_server)
            port = free_port()
            log = log_dir / f"{name}.log"
            handle = log.open("ab")
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", f"services.{name}", cwd=ROOT, stdout=handle, stderr=handle,
                env={**os.environ, "PYTHONPATH": str(ROOT), "SERVICE_DATABASE_URL": database_url,
                     "KAFKA_BOOTSTRAP_SERVERS": self.kafka, "HTTP_PORT": str(port),
                     "RUNWAY_TOPIC_NAMESPACE": self.namespace,
                     "RUNWAY_KEYSTORE_URL": self.keystore_url, **(env or {})})
            self.services[name] = ServiceProcess(name, f"http://127.0.0.1:{port}",
                                                 database_url, process, log)
        await asyncio.gather(*(self._ready(s) for s in self.services.values()))

    async def _ready(self, service: ServiceProcess, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=3) as http:
            while time.monotonic() < deadline:
                if service.process.returncode is not None:
                    tail = service.log.read_text()[-3000:]
                    raise AssertionError(f"{service.name} exited: {tail}")
                try:
                    if (await http.get(f"{service.url}/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(READY_POLL_S)
        raise AssertionError(f"{service.name} not ready: {service.log.read_text()[-3000:]}")

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
        for service in self.services.values():
            if service.process.returncode is None:
                service.process.send_signal(signal.SIGTERM)
        for service in self.services.values():
            try:
                await asyncio.wait_for(service.process.wait(), timeout=30)
            except TimeoutError:
                service.process.kill()
                await service.process.wait()
        for service in self.services.values():
            await drop_database(self.pg_server, service.database_url)
        if self.keystore_url is not None:
            await drop_database(self.pg_server, self.keystore_url)
