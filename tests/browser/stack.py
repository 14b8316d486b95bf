"""The real stack for the browser tests: every service on PostgreSQL and Kafka (the e2e
tests' Stack), and the console as its own process pointed at them."""

from __future__ import annotations

from dataclasses import dataclass

from shared import process
from shared.process import ServiceFailed, ServiceProcess
from shared.settings import REPO_ROOT
from tests.support.ports import free_port
from tests.support.stack import Stack

SERVICES = ["intake", "judicial", "assurance", "transport", "court"]


@dataclass
class Console:
    process: ServiceProcess

    @property
    def url(self) -> str:
        return self.process.url


async def start_console(stack: Stack) -> Console:
    port = free_port()
    log = REPO_ROOT / "var" / "log" / "e2e" / stack.namespace / "console.log"
    env = {f"RUNWAY_{name.upper()}_URL": stack.url(name) for name in SERVICES}
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
