"""The real stack for the browser tests: every service on PostgreSQL and Kafka (the e2e
tests' Stack), and the console as its own process pointed at them."""

from __future__ import annotations

import asyncio
import signal
import sys
from dataclasses import dataclass

import httpx

from shared import process
from shared.process import ServiceFailed, ServiceProcess
from shared.retry import poll
from shared.settings import REPO_ROOT
from shared.topology import SERVICES
from tests.support.ports import free_port
from tests.support.stack import Stack


@dataclass
class Console:
    process: ServiceProcess

    @property
    def url(self) -> str:
        return self.process.url


@dataclass
class Audit:
    """`runway audit serve` over the stack's stores and topics."""

    process: asyncio.subprocess.Process
    url: str


async def start_audit(stack: Stack) -> Audit:
    port = free_port()
    log = REPO_ROOT / "var" / "log" / "e2e" / stack.namespace / "audit.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    stores = [arg for name in SERVICES
              for arg in ("--store", f"{name}={stack.services[name].database_url}")]
    with log.open("ab") as output:
        started = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "shared.cli.main", "audit", *stores,
            "--bootstrap", stack.kafka, "--namespace", stack.namespace,
            "serve", "--port", str(port), cwd=REPO_ROOT, stdout=output, stderr=output)
    audit = Audit(started, f"http://127.0.0.1:{port}")

    async def answers() -> bool:
        if started.returncode is not None:
            raise AssertionError(f"runway audit serve exited: {log.read_text()[-2000:]}")
        try:
            async with httpx.AsyncClient(timeout=3) as http:
                return (await http.get(f"{audit.url}/verify")).status_code == 401
        except httpx.TransportError:
            return False

    await poll(answers, within=60, every=0.2, what="runway audit serve")
    return audit


async def stop_audit(audit: Audit) -> None:
    if audit.process.returncode is None:
        audit.process.send_signal(signal.SIGTERM)
    await audit.process.wait()


async def start_console(stack: Stack, audit: Audit | None = None) -> Console:
    port = free_port()
    log = REPO_ROOT / "var" / "log" / "e2e" / stack.namespace / "console.log"
    env = {f"RUNWAY_{name.upper()}_URL": stack.url(name) for name in SERVICES}
    if audit is not None:
        env["RUNWAY_AUDIT_URL"] = audit.url
    started = await process.start_service(
        "console", port=port, database_url="", log=log,
        env={**env, "PYTHONPATH": str(REPO_ROOT), "KAFKA_BOOTSTRAP_SERVERS": stack.kafka,
             "RUNWAY_TOPIC_NAMESPACE": stack.namespace})
    try:
        await process.wait_ready([started], within=60)
    except ServiceFailed as failure:
        raise AssertionError(f"{failure}:\n{failure.service.log_tail()}") from failure
    return Console(started)


async def stop_console(console: Console) -> None:
    await process.stop_all([console.process], grace=10)
