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
import os
import socket
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from services.console import launch as console
from shared import process, stackfile
from shared.discovery import service_modules
from shared.infra import cluster
from shared.legaltime import legal_zone_name, stop_unless_legal_zone
from shared.messaging.kafka import KafkaSettings, default_bootstrap
from shared.process import ServiceProcess
from shared.security import AuthSettings
from shared.security.keys import LocalIssuerKeys
from shared.service import ServiceSpec
from shared.settings import REPO_ROOT, ServiceSettings, ToolSettings


def discover_services() -> list[ServiceSpec]:
    """Every package under services/ with a `service` module (its SPEC), by port."""
    specs = [module.SPEC for module in service_modules("service").values()]
    return sorted(specs, key=lambda s: s.default_port)


async def start_service(spec: ServiceSpec, log_dir: Path) -> ServiceProcess:
    database_url = ServiceSettings(service_name=spec.name).resolved_database_url()
    port = spec.default_port + ToolSettings().port_offset  # RUNWAY_PORT_OFFSET: see there
    return await process.start_service(spec.name, port=port, database_url=database_url,
                                       log=log_dir / f"{spec.name}.log")


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
    kafka = KafkaSettings()
    bootstrap = kafka.bootstrap()
    ours = not kafka.bootstrap_servers and not _answers(bootstrap)
    await _script("start")
    return Broker(bootstrap, started=ours)


async def stop_broker() -> None:
    await _script("stop")


def describe(running: list[ServiceProcess], broker: Broker | None,
             auth: AuthSettings) -> stackfile.StackDescription:
    """What this stack runs and where, for the `runway` commands."""
    services_ = {s.name: stackfile.StackService(url=s.url, store=s.database_url, log=str(s.log))
                 for s in running}
    backend = "postgresql" if any(v.store.startswith("postgresql")
                                  for v in services_.values()) else "sqlite"
    return stackfile.StackDescription(
        services=services_, kafka_bootstrap=broker.bootstrap if broker else default_bootstrap(),
        topic_namespace=ToolSettings().topic_namespace or "", backend=backend,
        auth_dir=str(auth.local_dir), legal_timezone=legal_zone_name(), pid=os.getpid(),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        broker_started=bool(broker and broker.started))


async def run_scenario(running: list[ServiceProcess]) -> None:
    from shared.demo import august_2025

    print(f"Running {august_2025.chosen().title} through the public APIs\n", flush=True)
    people = await august_2025.run({s.name: s.url for s in running},
                                   say=lambda line: print(line, flush=True))
    print("\n" + august_2025.summary(people) + "\n", flush=True)


@dataclass(frozen=True)
class Options:
    hold: bool = True
    scenario: bool = False
    start_broker: bool = False
    keep_broker: bool = False


def _backend() -> str:
    if ToolSettings().postgres:
        return "PostgreSQL"
    data_dir = ServiceSettings().data_dir  # RUNWAY_DATA_DIR, as the services read it
    shown = data_dir.relative_to(REPO_ROOT) if data_dir.is_relative_to(REPO_ROOT) else data_dir
    return f"embedded SQLite ({shown})"


async def up(options: Options) -> int:
    log_dir = REPO_ROOT / "var" / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    specs = discover_services()  # before the broker starts: a broken service stops us here
    broker = await start_broker() if options.start_broker else None
    print(f"Starting {len(specs)} services and the console; databases: {_backend()}", flush=True)
    auth = AuthSettings()
    if not auth.jwks:  # no identity provider configured: the services trust the local issuer
        LocalIssuerKeys(auth.local_dir).ensure()
        print(f"Tokens: local issuer ({auth.local_dir}); e.g. "
              f"`runway token --role auditor`", flush=True)
    running: list[ServiceProcess] = []
    description = None
    try:
        for spec in specs:  # each recorded at once: shut_down stops what did start
            running.append(await start_service(spec, log_dir))
        running.append(await console.start(running, log_dir))
        await process.wait_ready(running, within=90)
        description = describe([s for s in running if s.name != console.NAME], broker,
                               auth)
        path = stackfile.write(description)
        print(f"\nConsole: {running[-1].url} (sign in by picking a role)", flush=True)
        print_table(running, path)
        if options.scenario:
            await run_scenario(running)
        if options.hold:
            await wait_for_interrupt()
        return 0
    finally:
        await shut_down(running, broker, options.keep_broker, description)


def print_table(running: list[ServiceProcess], description_path: Path) -> None:
    print(f"\n  {'service':<11} {'url':<24} {'docs':<30} log")
    for s in running:
        docs = "-" if s.name == console.NAME else s.url + "/docs"  # pages, not an API
        print(f"  {s.name:<11} {s.url:<24} {docs:<30} "
              f"{s.log.relative_to(REPO_ROOT)}")
    print(f"\nStack description: {_shown(description_path)} (the runway commands read it)\n",
          flush=True)


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


async def wait_for_interrupt() -> None:
    print("All services ready. Press Ctrl-C to stop.", flush=True)
    stop = asyncio.Event()
    process.stop_on_signals(stop)
    await stop.wait()


async def shut_down(running: list[ServiceProcess], broker: Broker | None, keep_broker: bool,
                    description: stackfile.StackDescription | None) -> None:
    """Stop what this stack started and say what that was, and what it left running."""
    print("\nStopping services...", flush=True)
    stopped = await process.stop_all(running)
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
    start.add_argument("--replicas", type=int,
                       help="run as a cluster instead (make cluster): this many replicas of "
                            "every service behind HAProxy, on PostgreSQL (shared/infra/cluster.py)")
    start.add_argument("--brokers", type=int,
                       help="with --replicas: the cluster's Kafka brokers (3)")
    args = parser.parse_args()
    stop_unless_legal_zone("runway-stack")  # before any broker or service starts
    if args.replicas is not None or args.brokers is not None:
        if args.scenario or args.start_broker or args.keep_broker:
            parser.error("--replicas/--brokers start a cluster of their own: no --scenario or "
                         "--start-broker/--keep-broker with them")
        cluster.run_up(*_cluster_size(parser, args), hold=not args.no_hold)
    options = Options(hold=not args.no_hold, scenario=args.scenario,
                      start_broker=args.start_broker, keep_broker=args.keep_broker)
    try:
        sys.exit(asyncio.run(up(options)))
    except KeyboardInterrupt:  # Ctrl-C before the services were ready: already cleaned up
        sys.exit(130)
    except RuntimeError as error:  # a service or the broker failed to start; the log says why
        sys.exit(f"runway-stack: {error}")


def _cluster_size(parser: argparse.ArgumentParser, args: argparse.Namespace
                  ) -> tuple[int, int]:
    """--replicas and --brokers (2 and 3 when not given), refused as `python -m
    shared.infra.cluster up` refuses them: 0 is a size, not "the default"."""
    replicas = 2 if args.replicas is None else args.replicas
    brokers = 3 if args.brokers is None else args.brokers
    try:
        cluster.check_size(replicas, brokers)
    except ValueError as error:
        parser.error(str(error))
    return replicas, brokers


if __name__ == "__main__":
    main()
