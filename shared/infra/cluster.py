"""`make cluster`: Runway as a cluster on one machine.

Three KRaft Kafka brokers (each broker and controller, its own JVM, ports and data under
var/cluster/), every topic with replication factor 3 and min.insync.replicas 2 (fewer brokers,
`--brokers 1|2`, scale both down to what they can meet); PostgreSQL as
for `make run` (one database per service, shared by that service's replicas); N replicas of
every service, each its own process on its own port; and HAProxy in front of each service's
replicas, sending requests only to a replica whose /readyz answers. The broker jars are the
ones deploy/kafka/kafka.sh fetches from Maven Central; the broker and load-balancer settings
are templates in deploy/cluster/broker.properties and deploy/haproxy/haproxy.cfg.

    python -m shared.infra.cluster up [--replicas N] [--brokers 3]   # until Ctrl-C
    python -m shared.infra.cluster down                              # what a crashed run left

Sizing for a 2-core, 24 GiB box: each broker -Xmx512m (KAFKA_HEAP_OPTS), each replica
DB_POOL_SIZE 4 (PostgreSQL's max_connections is shared by every replica and tool).
The tests (tests/cluster) build a Cluster of their own on free ports.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import csv
import io
import logging
import os
import secrets
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from string import Template

import asyncpg
import httpx
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared import process, stackfile, topology
from shared.db import asyncpg_dsn, with_database
from shared.envsettings import EnvSettings
from shared.infra.cluster_down import ROOT_MARK, down, say_down
from shared.legaltime import legal_zone_name, stop_unless_legal_zone
from shared.messaging.kafka import make_admin
from shared.messaging.topics import ensure_topics, load_topics
from shared.process import ServiceProcess
from shared.retry import poll
from shared.security import AuthSettings
from shared.settings import REPO_ROOT, ToolSettings
from shared.topology import CONSOLE, CONSOLE_PORT, SERVICES

DEPLOY = REPO_ROOT / "deploy"
DEFAULT_PORTS = {CONSOLE: CONSOLE_PORT, **topology.DEFAULT_PORTS}
# `make cluster` beside `make run`: load balancers on 18000-18005, replica k on +100*k,
# brokers on 19092/19094/19096 (controllers one above), HAProxy's stats on 18999.
CLUSTER_OFFSET = 10_000
FIRST_BROKER_PORT = 19_092
STATS_PORT = 18_999


class BrokerSettings(EnvSettings):
    """What the cluster's brokers are started with, as deploy/kafka/kafka.sh reads it too."""

    model_config = SettingsConfigDict(env_ignore_empty=True)  # empty means unset

    heap: str = Field(default="-Xms256m -Xmx512m", validation_alias="KAFKA_HEAP_OPTS")
    kafka_version: str = Field(default="4.1.1", validation_alias="KAFKA_VERSION")
    # Where kafka.sh keeps the jars it fetched from Maven Central.
    cache: Path = Field(default_factory=lambda: Path.home() / ".cache" / "runway",
                        validation_alias="RUNWAY_CACHE")


JVM_OPTS = ["-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
            "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true"]
REPLICA_POOL = "4"
# A broker's first start formats its log dir and elects a controller: on a slow box, a minute.
BROKER_START_S = 180.0
SERVICE_START_S = 180.0


def check_size(replicas: int, brokers: int) -> None:
    """ValueError unless the cluster has a replica of each service and a broker."""
    if replicas < 1 or brokers < 1:
        raise ValueError("a cluster needs at least one replica and one broker "
                         f"(--replicas {replicas} --brokers {brokers})")


@dataclass(frozen=True)
class Broker:
    node_id: int
    port: int
    controller_port: int


@dataclass(frozen=True)
class Layout:
    """Where everything of one cluster listens and keeps its files."""

    root: Path
    brokers: tuple[Broker, ...]
    services: tuple[str, ...]
    replicas: int
    balancer_ports: Mapping[str, int]
    replica_ports: Mapping[str, tuple[int, ...]]
    stats_port: int
    namespace: str = ""

    @classmethod
    def build(cls, root: Path, *, services: Sequence[str] = (*SERVICES, CONSOLE),
              replicas: int = 2, brokers: int = 3, namespace: str = "",
              port: Callable[[int], int] = lambda wanted: wanted) -> Layout:
        """`port(wanted)` gives the port to use for the one `make cluster` would use (the
        tests pass a picker of free ports)."""
        check_size(replicas, brokers)
        nodes = tuple(Broker(i + 1, port(FIRST_BROKER_PORT + 2 * i),
                             port(FIRST_BROKER_PORT + 2 * i + 1)) for i in range(brokers))
        base = {s: DEFAULT_PORTS[s] + CLUSTER_OFFSET for s in services}
        return cls(root=root, brokers=nodes, services=tuple(services), replicas=replicas,
                   balancer_ports={s: port(p) for s, p in base.items()},
                   replica_ports={s: tuple(port(p + 100 * k) for k in range(1, replicas + 1))
                                  for s, p in base.items()},
                   stats_port=port(STATS_PORT), namespace=namespace)

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{b.port}" for b in self.brokers)

    @property
    def replication_factor(self) -> int:
        """Every partition on every broker, at most three (internal topics too)."""
        return min(3, len(self.brokers))

    @property
    def min_insync(self) -> int:
        """Two copies before a write is acknowledged, or all there are with fewer brokers:
        a setting the brokers cannot meet would refuse every acks=all write."""
        return min(2, len(self.brokers))

    def broker_ports(self) -> dict[int, str]:
        """Each broker's and controller's port, with what listens there."""
        return {**{b.port: f"broker-{b.node_id}" for b in self.brokers},
                **{b.controller_port: f"broker-{b.node_id}'s controller" for b in self.brokers}}

    def ports(self) -> dict[int, str]:
        """Every port the cluster listens on, with what listens there."""
        replicas = {port: self.replica_name(s, k) for s, ports in self.replica_ports.items()
                    for k, port in enumerate(ports)}
        balancers = {port: f"{s}'s load balancer" for s, port in self.balancer_ports.items()}
        return {**self.broker_ports(), **replicas, **balancers,
                self.stats_port: "HAProxy's stats"}

    def url(self, service: str) -> str:
        """The load balancer's URL of a service."""
        return f"http://127.0.0.1:{self.balancer_ports[service]}"

    def replica_name(self, service: str, index: int) -> str:
        return f"{service}-{index + 1}"


# --- brokers -------------------------------------------------------------------------


def kafka_libs() -> Path:
    """The jars of deploy/kafka (fetched from Maven Central on first use)."""
    subprocess.run([str(DEPLOY / "kafka" / "kafka.sh"), "fetch"], check=True,
                   stdout=sys.stderr)
    settings = BrokerSettings()
    return settings.cache / f"kafka-{settings.kafka_version}" / "libs"


def broker_config(layout: Layout, broker: Broker) -> str:
    voters = ",".join(f"{b.node_id}@127.0.0.1:{b.controller_port}" for b in layout.brokers)
    template = Template((DEPLOY / "cluster" / "broker.properties").read_text())
    return template.substitute(node_id=broker.node_id, voters=voters, port=broker.port,
                               controller_port=broker.controller_port,
                               data_dir=layout.root / f"broker-{broker.node_id}" / "data",
                               replication_factor=layout.replication_factor,
                               min_insync=layout.min_insync)


def refuse_ports_in_use(ports: Mapping[int, str]) -> None:
    """RuntimeError naming the first port something already listens on. A broker started on
    a taken port exits, while the one already there (a killed run's) answers in its place."""
    for port, what in ports.items():
        if not bindable(port):
            raise RuntimeError(
                f"port {port} ({what}) is already in use: a cluster a killed run left behind? "
                "`make cluster-down` stops it; otherwise free the port")


def bindable(port: int) -> bool:
    """Whether a listener could bind 127.0.0.1:`port` now."""
    # SO_REUSEADDR as the JVM and HAProxy set it: a listener makes the bind fail, a
    # connection of a stopped process lingering in TIME_WAIT does not.
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _cluster_id(layout: Layout) -> str:
    """The cluster's id, made once and kept: every broker's log dir is formatted with it."""
    path = layout.root / "kafka-cluster-id"
    if not path.exists():
        layout.root.mkdir(parents=True, exist_ok=True)
        path.write_text(_new_cluster_id())
    return path.read_text().strip()


def _new_cluster_id() -> str:
    """A Kafka cluster id (url-safe base64 of a UUID); one starting with '-' would read as an
    option on the storage tool's command line, so Kafka never makes one: nor do we."""
    while True:
        candidate = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not candidate.startswith("-"):
            return candidate


def _java(libs: Path, log_dir: Path, *args: str) -> list[str]:
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("java not found: apt-get install openjdk-17-jre-headless")
    return [java, *BrokerSettings().heap.split(), *JVM_OPTS,
            f"-Dlog4j2.configurationFile={DEPLOY / 'kafka' / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={log_dir}", "-cp", f"{libs}/*", *args]


@dataclass
class Running:
    """A child process of the cluster other than a service replica (a broker, HAProxy)."""

    name: str
    process: asyncio.subprocess.Process
    log: Path


async def registered_brokers(bootstrap: str) -> frozenset[int] | None:
    """The node ids of the brokers the controllers list as alive (a fenced one is not),
    asked at `bootstrap`; None when nothing there answers."""
    admin = make_admin(bootstrap, request_timeout_ms=5000)
    try:
        await asyncio.wait_for(admin.start(), timeout=10)
        described = await asyncio.wait_for(admin.describe_cluster(), timeout=10)
        return frozenset(int(b["node_id"]) for b in described.get("brokers", []))
    except Exception:  # not up yet (or going down): the caller's deadline decides
        return None
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


# --- the cluster ---------------------------------------------------------------------


@dataclass
class Cluster:
    """Start, fault and stop the pieces of one cluster. `database_url(service)` is the
    database a service's replicas share; `env` goes to every replica."""

    layout: Layout
    database_url: Callable[[str], str]
    env: Mapping[str, str] = field(default_factory=dict)
    brokers: dict[int, Running] = field(default_factory=dict)
    replicas: dict[str, list[ServiceProcess]] = field(default_factory=dict)
    balancer: Running | None = None
    _libs: Path | None = None

    @property
    def run_dir(self) -> Path:
        return self.layout.root / "run"

    @property
    def log_dir(self) -> Path:
        return self.layout.root / "log"

    async def start(self) -> None:
        """Brokers, topics, replicas, load balancer: each ready before the next starts."""
        refuse_ports_in_use(self.layout.ports())
        await self.start_brokers()
        await self.create_topics()
        await self.start_replicas()
        await self.start_balancer()

    # brokers

    async def start_brokers(self) -> None:
        refuse_ports_in_use(self.layout.broker_ports())
        self._libs = await asyncio.to_thread(kafka_libs)
        for broker in self.layout.brokers:
            await self.start_broker(broker.node_id)
        await self.wait_brokers()

    async def start_broker(self, node_id: int) -> None:
        broker = next(b for b in self.layout.brokers if b.node_id == node_id)
        home = self.layout.root / f"broker-{node_id}"
        home.mkdir(parents=True, exist_ok=True)
        config = home / "server.properties"
        config.write_text(broker_config(self.layout, broker))
        log_dir = self.log_dir / f"broker-{node_id}"
        log_dir.mkdir(parents=True, exist_ok=True)
        if self._libs is None:
            self._libs = await asyncio.to_thread(kafka_libs)
        libs = self._libs
        out = log_dir / "broker.out"
        if not (home / "data" / "meta.properties").exists():
            await self._run(_java(libs, log_dir, "kafka.tools.StorageTool", "format",
                                  "-t", _cluster_id(self.layout), "-c", str(config)), out)
        with out.open("ab") as output:
            # a session of its own: Ctrl-C on the terminal reaches it only through stop()
            child = await asyncio.create_subprocess_exec(
                *_java(libs, log_dir, "kafka.Kafka", str(config)), stdin=subprocess.DEVNULL,
                stdout=output, stderr=output, start_new_session=True)
        self.brokers[node_id] = Running(f"broker-{node_id}", child, out)
        self._write_pid(f"broker-{node_id}", child.pid)

    @staticmethod
    async def _run(command: list[str], out: Path) -> None:
        with out.open("ab") as output:
            child = await asyncio.create_subprocess_exec(*command, stdout=output,
                                                         stderr=output)
        if await child.wait() != 0:
            raise RuntimeError(f"{' '.join(command[-5:])} failed; see {out}")

    async def wait_brokers(self, node_ids: Iterable[int] | None = None,
                           within: float = BROKER_START_S) -> None:
        """Until each broker (by default every one) answers on its own port and is registered
        with the controllers. Counting the brokers the bootstrap lists was not enough: a
        killed broker stays listed until its session times out, and a leftover one answers
        for a new one that could not bind its port."""
        chosen = None if node_ids is None else set(node_ids)
        wanted = [b for b in self.layout.brokers if chosen is None or b.node_id in chosen]

        async def serving() -> bool:
            self._raise_if_exited()
            return all([await self.serves(broker) for broker in wanted])

        await poll(serving, within=within, every=0.5,
                   what=f"Kafka brokers {[b.node_id for b in wanted]} at "
                        f"{self.layout.bootstrap}")

    def _raise_if_exited(self) -> None:
        for running in self.brokers.values():
            if running.process.returncode is not None:
                raise RuntimeError(f"{running.name} exited with "
                                   f"{running.process.returncode}; see {running.log}")

    async def serves(self, broker: Broker) -> bool:
        """Whether the broker answers a metadata request on its own port and the controllers
        list it as alive (a broker answers once it is unfenced)."""
        registered = await registered_brokers(f"127.0.0.1:{broker.port}")
        return registered is not None and broker.node_id in registered

    async def live_brokers(self) -> int:
        """How many brokers the controllers list as alive (0 when none answers)."""
        return len(await registered_brokers(self.layout.bootstrap) or ())

    async def wait_broker_gone(self, node_id: int, within: float = BROKER_START_S) -> None:
        """Until the controllers no longer list a stopped broker: it is fenced, and out of
        every partition's in-sync replicas."""
        async def gone() -> bool:
            registered = await registered_brokers(self.layout.bootstrap)
            return registered is not None and node_id not in registered

        await poll(gone, within=within, every=0.5,
                   what=f"the controllers to fence broker {node_id}")

    async def restart_broker(self, node_id: int) -> None:
        """Start a stopped broker again and wait until it serves on its own port and is
        registered again."""
        await self.start_broker(node_id)
        await self.wait_brokers([node_id])

    async def kill_broker(self, node_id: int) -> None:
        """SIGKILL: the broker gets no chance to hand its partitions over."""
        running = self.brokers[node_id]
        with contextlib.suppress(ProcessLookupError):  # it had died on its own
            running.process.kill()
        await running.process.wait()

    async def create_topics(self) -> list[str]:
        """Runway's topics, each partition on every broker (at most 3). min.insync.replicas
        comes from the brokers (2, or 1 on one broker). The services find them made and leave
        them as they are."""
        factor = self.layout.replication_factor
        specs = [replace(spec, replication_factor=factor)
                 for spec in load_topics(namespace=self.layout.namespace)]
        return await ensure_topics(self.layout.bootstrap, specs)

    # service replicas

    def replica_env(self, service: str) -> dict[str, str]:
        env = {"PYTHONPATH": str(REPO_ROOT), "KAFKA_BOOTSTRAP_SERVERS": self.layout.bootstrap,
               "RUNWAY_TOPIC_NAMESPACE": self.layout.namespace, "DB_POOL_SIZE": REPLICA_POOL,
               ROOT_MARK: str(self.layout.root), **self.env}
        if service == CONSOLE:  # it reaches the services through their load balancers
            env |= {f"RUNWAY_{s.upper()}_URL": self.layout.url(s)
                    for s in self.layout.services if s != CONSOLE}
        else:
            env["SERVICE_DATABASE_URL"] = self.database_url(service)
        return env

    async def start_replicas(self) -> None:
        """The first replica of each service, then the others: a replica migrates its
        database at startup, and two migrating a fresh database at once collide
        (shared/migrate.py takes no lock), so the others start on a migrated one."""
        for k in range(self.layout.replicas):
            started = []
            for service in self.layout.services:
                replica = await self._start_replica(service, k)
                # recorded at once: stop() must find it even if the next one fails to start
                self.replicas.setdefault(service, []).append(replica)
                started.append(replica)
            await self.wait_replicas(started)

    async def _start_replica(self, service: str, index: int) -> ServiceProcess:
        name = self.layout.replica_name(service, index)
        started = await process.start_service(
            service, port=self.layout.replica_ports[service][index],
            database_url="" if service == CONSOLE else self.database_url(service),
            log=self.log_dir / f"{name}.log", env=self.replica_env(service))
        self._write_pid(name, started.process.pid)
        return started

    async def wait_replicas(self, replicas: Sequence[ServiceProcess],
                            within: float = SERVICE_START_S) -> None:
        try:
            await process.wait_ready(replicas, within=within)
        except process.ServiceFailed as failure:
            raise RuntimeError(f"{failure}:\n{failure.service.log_tail()}") from failure

    async def kill_replica(self, service: str, index: int) -> None:
        replica = self.replicas[service][index]
        with contextlib.suppress(ProcessLookupError):  # it had died on its own
            replica.process.kill()
        await replica.process.wait()

    async def restart_replica(self, service: str, index: int) -> None:
        self.replicas[service][index] = await self._start_replica(service, index)
        await self.wait_replicas([self.replicas[service][index]])

    # load balancer

    def balancer_config(self) -> str:
        sections = []
        for service in self.layout.services:
            port = self.layout.balancer_ports[service]
            lines = [f"listen {service}", f"    bind 127.0.0.1:{port}", "    balance roundrobin"]
            lines += [f"    server {self.layout.replica_name(service, k)} 127.0.0.1:{p} check"
                      for k, p in enumerate(self.layout.replica_ports[service])]
            sections.append("\n".join(lines))
        template = Template((DEPLOY / "haproxy" / "haproxy.cfg").read_text())
        return template.substitute(stats_port=self.layout.stats_port,
                                   services="\n\n".join(sections)) + "\n"

    async def start_balancer(self) -> None:
        haproxy = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin")
        if haproxy is None:
            raise RuntimeError("haproxy not found: apt-get install -y haproxy")
        config = self.layout.root / "haproxy.cfg"
        config.write_text(self.balancer_config())
        await self._run([haproxy, "-c", "-q", "-f", str(config)], self.log_dir / "haproxy.log")
        log = self.log_dir / "haproxy.log"
        with log.open("ab") as output:
            child = await asyncio.create_subprocess_exec(
                haproxy, "-db", "-f", str(config), stdin=subprocess.DEVNULL, stdout=output,
                stderr=output, start_new_session=True)
        self.balancer = Running("haproxy", child, log)
        self._write_pid("haproxy", child.pid)
        await self.wait_balanced(within=60)

    async def server_states(self) -> dict[str, str]:
        """Each replica's state as HAProxy sees it ("UP", "DOWN", ...), from its stats."""
        async with httpx.AsyncClient(timeout=5) as http:
            answer = await http.get(f"http://127.0.0.1:{self.layout.stats_port}/;csv")
        rows = csv.DictReader(io.StringIO(answer.text.lstrip("# ")))
        return {row["svname"]: row["status"] for row in rows
                if row["svname"] not in ("FRONTEND", "BACKEND")}

    async def wait_balanced(self, within: float, expect: Mapping[str, str] | None = None
                            ) -> None:
        """Until HAProxy sees every replica UP (or each named one in the state `expect`s)."""
        wanted = dict(expect) if expect is not None else {
            self.layout.replica_name(s, k): "UP"
            for s in self.layout.services for k in range(self.layout.replicas)}

        async def seen() -> bool:
            if self.balancer and self.balancer.process.returncode is not None:
                raise RuntimeError(f"haproxy exited; see {self.balancer.log}")
            try:
                states = await self.server_states()
            except httpx.HTTPError:
                return False
            return all(states.get(name) == state for name, state in wanted.items())

        await poll(seen, within=within, every=0.25, what=f"HAProxy to see {wanted}")

    # stopping

    async def stop(self) -> list[str]:
        """HAProxy, the replicas, then the brokers; the brokers are stopped even when
        stopping the others failed."""
        stopped: list[str] = []
        try:
            if self.balancer is not None:
                stopped += await process.stop_all([self.balancer], grace=10)
            replicas = [r for rs in self.replicas.values() for r in rs]
            await process.stop_all(replicas)
            stopped += [f"{s}-{k + 1} (pid {r.process.pid})"
                        for s, rs in self.replicas.items() for k, r in enumerate(rs)]
        finally:
            stopped += await process.stop_all(self.brokers.values(), grace=60)
        for pid_file in self.run_dir.glob("*.pid"):
            pid_file.unlink()
        return stopped

    def _write_pid(self, name: str, pid: int) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / f"{name}.pid").write_text(f"{pid}\n")


# --- databases -----------------------------------------------------------------------


async def ensure_databases(server_url: str, names: Sequence[str]) -> None:
    """Create the databases that don't exist yet on the PostgreSQL server."""
    conn = await asyncpg.connect(asyncpg_dsn(with_database(server_url, "postgres")))
    try:
        existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
        for name in names:
            if name not in existing:
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


# --- make cluster / make cluster-down ------------------------------------------------


async def up(replicas: int, brokers: int, hold: bool = True) -> int:
    server = ToolSettings().database_url or ""
    if not server.startswith("postgresql"):
        raise RuntimeError("a cluster's replicas share their service's database: set "
                           "DATABASE_URL to a PostgreSQL server (make cluster does)")
    prefix = "runway_cluster"
    names = {s: f"{prefix}_{s}" for s in SERVICES}
    await ensure_databases(server, [*names.values(), f"{prefix}_keys"])
    layout = Layout.build(REPO_ROOT / "var" / "cluster", replicas=replicas, brokers=brokers)
    auth = AuthSettings()
    env = {"RUNWAY_KEYSTORE_URL": with_database(server, f"{prefix}_keys"),
           # one signing secret for every console replica: a session outlives its replica
           "CONSOLE_COOKIE_SECRET": secrets.token_urlsafe(32)}
    if not auth.jwks:
        from shared.security.keys import LocalIssuerKeys
        LocalIssuerKeys(auth.local_dir).ensure()
    # A broker still starting (or killed) is the cluster's to report, not aiokafka's to log
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    cluster = Cluster(layout, lambda s: with_database(server, names[s]), env)
    print(f"Starting {brokers} Kafka brokers, {replicas} replicas of "
          f"{', '.join(layout.services)}, HAProxy; logs in {_shown(cluster.log_dir)}",
          flush=True)
    path, description = layout.root / "stack.json", None
    try:
        await cluster.start()
        description = _description(cluster, server, auth)
        _print_urls(cluster, stackfile.write(description, path))
        if hold:
            stop = asyncio.Event()
            process.stop_on_signals(stop)
            await stop.wait()
        return 0
    finally:
        print("\nStopping the cluster...", flush=True)
        stopped = await cluster.stop()
        if description is not None:
            stackfile.write(description.marked_stopped(stopped), path)
        print("Stopped: " + (", ".join(stopped) or "nothing"), flush=True)


def _description(cluster: Cluster, server: str, auth: AuthSettings
                 ) -> stackfile.StackDescription:
    services = {s: stackfile.StackService(url=cluster.layout.url(s),
                                          store=cluster.database_url(s),
                                          log=str(cluster.log_dir / f"{s}-1.log"))
                for s in cluster.layout.services if s != CONSOLE}
    return stackfile.StackDescription(
        services=services, kafka_bootstrap=cluster.layout.bootstrap, topic_namespace="",
        backend="postgresql", auth_dir=str(auth.local_dir), legal_timezone=legal_zone_name(),
        pid=os.getpid(),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"))


def _print_urls(cluster: Cluster, description: Path) -> None:
    layout = cluster.layout
    print(f"\n  {'service':<11} {'load balancer':<24} replicas")
    for service in layout.services:
        ports = ", ".join(str(p) for p in layout.replica_ports[service])
        print(f"  {service:<11} {layout.url(service):<24} {ports}")
    print(f"\n  Kafka: {layout.bootstrap} (replication factor {layout.replication_factor}, "
          f"min.insync.replicas {layout.min_insync})")
    print(f"  HAProxy stats: http://127.0.0.1:{layout.stats_port}/")
    print(f"  Stack description: {_shown(description)} "
          f"(RUNWAY_STACK_FILE={_shown(description)} runway ...)")
    print("\nCluster ready. Press Ctrl-C to stop.", flush=True)


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.infra.cluster",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("up", help="start the cluster and hold it until Ctrl-C")
    start.add_argument("--replicas", type=int, default=2, help="replicas of each service (2)")
    start.add_argument("--brokers", type=int, default=3, help="Kafka brokers (3)")
    start.add_argument("--no-hold", action="store_true", help="stop once everything is up")
    commands.add_parser("down", help="stop what a killed `up` left running")
    args = parser.parse_args()
    if args.command == "down":
        sys.exit(say_down(down()))
    try:
        check_size(args.replicas, args.brokers)
    except ValueError as error:
        parser.error(str(error))
    stop_unless_legal_zone("cluster")  # before any broker or service starts
    run_up(args.replicas, args.brokers, hold=not args.no_hold)


def run_up(replicas: int, brokers: int, hold: bool) -> None:
    """`up` as a command (this module's, and `runway-stack up --replicas N`): exits."""
    try:
        sys.exit(asyncio.run(up(replicas, brokers, hold=hold)))
    except KeyboardInterrupt:
        sys.exit(130)
    except (RuntimeError, ValueError) as error:
        sys.exit(f"cluster: {error}")


if __name__ == "__main__":
    main()
