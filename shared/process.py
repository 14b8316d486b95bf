"""Process plumbing shared by every long-running Runway process, and the one supervisor that
runs Runway services as child processes: `runway-stack up` (so `make run`) and the end-to-end
tests' stacks both start, wait on and stop their services here."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from shared.retry import Deadline, poll
from shared.settings import REPO_ROOT

# How often a starting service is asked /readyz; the deadline, not this, bounds the wait.
READY_POLL_S = 0.2


def alive(pid: int) -> bool:
    """Whether process `pid` runs: it exists (ours, or someone else's that we may not signal)
    and has not exited unreaped (a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:  # no /proc (not Linux): existing is all we can tell
        return True


def stop_on_signals(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT ask for a graceful stop: work in hand finishes, nothing new starts."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


@dataclass
class ServiceProcess:
    """One service running as `python -m services.<name>`, logging to `log`."""

    name: str
    url: str
    database_url: str
    process: asyncio.subprocess.Process
    log: Path

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


class ServiceFailed(RuntimeError):
    """A service exited, or did not become ready in time; its log says why."""

    def __init__(self, service: ServiceProcess, what: str) -> None:
        super().__init__(f"{service.name} {what}; see {service.log}")
        self.service = service


async def start_service(name: str, *, port: int, database_url: str, log: Path,
                        env: Mapping[str, str] | None = None) -> ServiceProcess:
    """Start a service on `port`, with this process's environment plus `env`. Its database
    is whatever that environment selects; `database_url` records which, for the caller."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:  # the child keeps its own descriptor
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", f"services.{name}", cwd=REPO_ROOT,
            env={**os.environ, **(env or {}), "HTTP_PORT": str(port)},
            stdout=output, stderr=output)
    return ServiceProcess(name, f"http://127.0.0.1:{port}", database_url, process, log)


async def wait_ready(services: Iterable[ServiceProcess], within: float,
                     every: float = READY_POLL_S) -> None:
    """Wait until every service answers /readyz; ServiceFailed as soon as one exits, or when
    one is still not ready at the deadline."""
    deadline = Deadline(within)
    async with httpx.AsyncClient(timeout=3) as http:
        await asyncio.gather(*(_ready(http, service, deadline, every) for service in services))


async def _ready(http: httpx.AsyncClient, service: ServiceProcess, deadline: Deadline,
                 every: float) -> None:
    async def answers() -> bool:
        if service.process.returncode is not None:
            raise ServiceFailed(service, f"exited with {service.process.returncode}")
        try:
            return (await http.get(f"{service.url}/readyz")).status_code == 200
        except httpx.TransportError:
            return False

    await poll(answers, within=deadline, every=every,
               give_up=lambda _: ServiceFailed(service, "not ready in time"))


class Child(Protocol):
    """A child process and the name the user knows it by: a service, or a cluster's broker
    or load balancer."""

    @property
    def name(self) -> str: ...

    @property
    def process(self) -> asyncio.subprocess.Process: ...


async def stop_all(children: Iterable[Child], grace: float = 20) -> list[str]:
    """SIGTERM every child, SIGKILL one still running after `grace` seconds; what was
    stopped, for the user."""
    running = list(children)
    for child in running:
        if child.process.returncode is None:
            child.process.send_signal(signal.SIGTERM)
    stopped = []
    for child in running:
        try:
            await asyncio.wait_for(child.process.wait(), timeout=grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):  # it exited just now after all
                child.process.kill()
            await child.process.wait()
        stopped.append(f"{child.name} (pid {child.process.pid})")
    return stopped
