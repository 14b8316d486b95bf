"""`runway-stack up`: run every service locally as its own process until interrupted.

Kafka must be up (`make kafka-up`), or `--start-broker` starts the local one
(deploy/kafka/kafka.sh) and stops it again on the way out unless `--keep-broker`; a broker
that was already running is left alone. Databases: PostgreSQL when DATABASE_URL is set, else
the embedded SQLite files under var/data. Each service logs to var/log/<service>.log. Once
every service is ready the stack is described in var/stack.json, where the `runway` commands
find it; on the way out it is marked stopped, with what was stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import pkgutil
import signal
import socket
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

import services
from shared import stackfile
from shared.messaging.kafka import default_bootstrap
from shared.security import AuthSettings
from shared.security.keys import LocalIssuerKeys
from shared.service import ServiceSpec
from shared.settings import REPO_ROOT, ServiceSettings

# How often a starting service is asked /readyz; the startup deadline bounds the wait.
READY_POLL_S = 0.2


@dataclass
class RunningService:
    spec: ServiceSpec
    process: asyncio.subprocess.Process
    url: str
    log_path: Path


def discover_services() -> list[ServiceSpec]:
    specs = []
    for module in sorted(pkgutil.iter_modules(services.__path__), key=lambda m: m.name):
        specs.append(importlib.import_module(f"services.{module.name}.service").SPEC)
    return sorted(specs, key=lambda s: s.default_port)


def port_offset() -> int:
    """RUNWAY_PORT_OFFSET moves every service off its default port (8001 + offset, ...), so a
    second stack (a test's) can run beside a developer's; var/stack.json has the real URLs."""
    return int(os.environ.get("RUNWAY_PORT_OFFSET", "0"))


async def start_service(spec: ServiceSpec, log_dir: Path) -> RunningService:
    log_path = log_dir / f"{spec.name}.log"
    log_file = log_path.open("ab")
    port = spec.default_port + port_offset()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", f"services.{spec.name}", cwd=REPO_ROOT,
        env={**os.environ, "HTTP_PORT": str(port)}, stdout=log_file, stderr=log_file)
    return RunningService(spec, process, f"http://127.0.0.1:{port}", log_path)


async def wait_ready(service: RunningService, deadline: float) -> None:
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            if service.process.returncode is not None:
                raise RuntimeError(f"{service.spec.name} exited with {service.process.returncode};"
                                   f" see {service.log_path}")
            try:
                if (await http.get(f"{service.url}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(READY_POLL_S)
    raise RuntimeError(f"{service.spec.name} not ready in time; see {service.log_path}")


async def stop_all(running: list[RunningService]) -> list[str]:
    """Stop every service (SIGTERM, SIGKILL after 20 s); what was stopped, for the user."""
    for service in running:
        if service.process.returncode is None:
            service.process.send_signal(signal.SIGTERM)
    stopped = []
    for service in running:
        try:
            await asyncio.wait_for(service.process.wait(), timeout=20)
        except TimeoutError:
            service.process.kill()
            await service.process.wait()
        stopped.append(f"{service.spec.name} (pid {service.process.pid})")
    return stopped


@dataclass
class Broker:
    bootstrap: str
    started: bool  # by this stack: stopped with it unless kept


def _kafka_script(command: str) -> list[str]:
    return [str(REPO_ROOT / "deploy" / "kafka" / "kafka.sh"), command]


def _answers(bootstrap: str) -> bool:
    """Whether something accepts connections at the first bootstrap address."""
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=1).close()
    except OSError:
        return False
    return True


async def _script(command: str) -> None:
    # The broker runs in a session of its own (kafka.sh uses setsid), so Ctrl-C on this
    # terminal reaches it only through stop_broker, and --keep-broker can keep it.
    process = await asyncio.create_subprocess_exec(
        *_kafka_script(command), cwd=REPO_ROOT,
        env={**os.environ, "PYTHON": sys.executable})
    if await process.wait() != 0:
        raise RuntimeError(f"deploy/kafka/kafka.sh {command} failed; see var/log/kafka.out")


async def start_broker() -> Broker:
    """The local broker, started unless it (or KAFKA_BOOTSTRAP_SERVERS' cluster) is up."""
    bootstrap = default_bootstrap()
    ours = not os.environ.get("KAFKA_BOOTSTRAP_SERVERS") and not _answers(bootstrap)
    await _script("start")
    return Broker(bootstrap, started=ours)


async def stop_broker() -> None:
    await _script("stop")


def describe(running: list[RunningService], broker: Broker | None,
             auth: AuthSettings) -> stackfile.StackDescription:
    """What this stack runs and where, for the `runway` commands."""
    services_ = {s.spec.name: stackfile.StackService(
        url=s.url, store=ServiceSettings(service_name=s.spec.name).resolved_database_url(),
        log=str(s.log_path)) for s in running}
    backend = "postgresql" if any(v.store.startswith("postgresql")
                                  for v in services_.values()) else "sqlite"
    return stackfile.StackDescription(
        services=services_, kafka_bootstrap=broker.bootstrap if broker else default_bootstrap(),
        topic_namespace=os.environ.get("RUNWAY_TOPIC_NAMESPACE", ""), backend=backend,
        auth_dir=str(auth.local_dir), pid=os.getpid(),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        broker_started=bool(broker and broker.started))


async def run_scenario(running: list[RunningService]) -> None:
    from shared.demo import august_2025

    print("Running the August 2025 scenario through the public APIs\n", flush=True)
    people = await august_2025.run({s.spec.name: s.url for s in running},
                                   say=lambda line: print(line, flush=True))
    print("\n" + august_2025.summary(people) + "\n", flush=True)


@dataclass(frozen=True)
class Options:
    hold: bool = True
    scenario: bool = False
    start_broker: bool = False
    keep_broker: bool = False


async def up(options: Options) -> int:
    log_dir = REPO_ROOT / "var" / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    broker = await start_broker() if options.start_broker else None
    backend = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgresql") \
        else "embedded SQLite (var/data)"
    print(f"Starting {len(discover_services())} services; databases: {backend}", flush=True)
    auth = AuthSettings()
    if not auth.jwks:  # no identity provider configured: the services trust the local issuer
        LocalIssuerKeys(auth.local_dir).ensure()
        print(f"Tokens: local issuer ({auth.local_dir}); e.g. "
              f"`runway token --role auditor`", flush=True)
    running: list[RunningService] = []
    description = None
    try:
        running += [await start_service(spec, log_dir) for spec in discover_services()]
        deadline = time.monotonic() + 90
        await asyncio.gather(*(wait_ready(s, deadline) for s in running))
        description = describe(running, broker, auth)
        path = stackfile.write(description)
        print_table(running, path)
        if options.scenario:
            await run_scenario(running)
        if options.hold:
            await wait_for_interrupt()
        return 0
    finally:
        await shut_down(running, broker, options.keep_broker, description)


def print_table(running: list[RunningService], description_path: Path) -> None:
    print(f"\n  {'service':<11} {'url':<24} {'docs':<30} log")
    for s in running:
        print(f"  {s.spec.name:<11} {s.url:<24} {s.url + '/docs':<30} "
              f"{s.log_path.relative_to(REPO_ROOT)}")
    print(f"\nStack description: {_shown(description_path)} (the runway commands read it)\n",
          flush=True)


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


async def wait_for_interrupt() -> None:
    print("All services ready. Press Ctrl-C to stop.", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def shut_down(running: list[RunningService], broker: Broker | None, keep_broker: bool,
                    description: stackfile.StackDescription | None) -> None:
    """Stop what this stack started and say what that was, and what it left running."""
    print("\nStopping services...", flush=True)
    stopped = await stop_all(running)
    left = []
    if broker and broker.started and not keep_broker:
        await stop_broker()
        stopped.append(f"the Kafka broker at {broker.bootstrap}")
    elif broker:
        why = "--keep-broker" if broker.started else "it was running before this stack"
        left.append(f"the Kafka broker at {broker.bootstrap} ({why}; make kafka-down stops it)")
    if description is not None:
        stackfile.write(description.marked_stopped(stopped))
        if description.backend == "postgresql":
            left.append("PostgreSQL (a machine service; make postgres-down stops it)")
    print("Stopped: " + (", ".join(stopped) or "nothing"), flush=True)
    for item in left:
        print(f"Left running: {item}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="runway-stack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("up", help="start every service and wait until interrupted")
    start.add_argument("--no-hold", action="store_true",
                       help="stop again once every service is ready (a smoke check)")
    start.add_argument("--scenario", action="store_true",
                       help="drive the August 2025 mass transfer once everything is ready")
    start.add_argument("--start-broker", action="store_true",
                       help="start the local Kafka broker if none is up, and stop it on exit")
    start.add_argument("--keep-broker", action="store_true",
                       help="with --start-broker: leave the broker running on exit")
    args = parser.parse_args()
    options = Options(hold=not args.no_hold, scenario=args.scenario,
                      start_broker=args.start_broker, keep_broker=args.keep_broker)
    try:
        sys.exit(asyncio.run(up(options)))
    except KeyboardInterrupt:  # Ctrl-C before the services were ready: already cleaned up
        sys.exit(130)
    except RuntimeError as error:  # a service or the broker failed to start; the log says why
        sys.exit(f"runway-stack: {error}")


if __name__ == "__main__":
    main()
