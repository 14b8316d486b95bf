"""Carry out a fault schedule on a running cluster and measure each fault's recovery time:
from the fault until the part is back and serving (a replica answering /readyz; a broker
answering on its own port, registered again and back in every partition's in-sync replicas;
every service answering through its load balancer after PostgreSQL came back)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from shared.infra.cluster import Cluster
from shared.messaging.kafka import make_admin
from shared.retry import poll

from .postgres import OwnPostgres
from .schedule import Fault

RECOVER_S = 600.0
BROKER_DOWN_S = 3.0  # a killed broker stays down this long: producers and leaders move on
# Kafka's internal topics, replicated like Runway's: a consumer group needs __consumer_offsets.
INTERNAL_TOPICS = ("__consumer_offsets", "__transaction_state")
_LEADER = re.compile(r"^runway_relay_leader\S*\s+1(\.0)?$", re.MULTILINE)


@dataclass
class Measured:
    fault: Fault
    target: str  # what was hit (a relay fault names the replica that led)
    fired_at: float  # seconds after the start
    recovery_s: float | None = None
    error: str | None = None


class Injector:
    def __init__(self, cluster: Cluster, postgres: OwnPostgres,
                 say: Callable[[str], None]) -> None:
        self.cluster, self.postgres, self.say = cluster, postgres, say
        self.heavy = asyncio.Lock()  # one broker or PostgreSQL fault at a time
        # One fault at a time per replica; the two replicas of a service may both be down at
        # once (the clients then meet 503s and retry, as they would in production).
        self.replica_locks: dict[tuple[str, int], asyncio.Lock] = {}
        self.measured: list[Measured] = []

    async def run(self, faults: list[Fault], started: float) -> None:
        """Fire each fault at its time. Cancelled, it cancels the faults in hand too, and
        ends only once they have: none may kill or restart a part after that."""
        tasks: list[asyncio.Task[None]] = []
        try:
            for fault in faults:
                delay = started + fault.at - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)  # the schedule's own clock
                tasks.append(asyncio.create_task(self.fire(fault, started)))
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def fire(self, fault: Fault, started: float) -> None:
        index = fault.index
        if fault.kind == "relay":  # whichever replica leads when the fault comes
            index = await self.relay_leader(fault.service, fallback=fault.index)
        lock = self.heavy if fault.kind in ("broker", "postgres") else \
            self.replica_locks.setdefault((fault.service, index), asyncio.Lock())
        async with lock:
            measured = Measured(fault, fault.target, round(time.monotonic() - started, 2))
            if fault.kind == "relay":
                measured.target = f"{fault.service}-{index + 1} (relay leader)"
            self.measured.append(measured)
            began = time.monotonic()
            try:
                await asyncio.wait_for(self._do(fault, index), timeout=RECOVER_S)
                measured.recovery_s = round(time.monotonic() - began, 2)
                if fault.kind == "postgres":  # and no replica is left behind unnoticed
                    await self.idle_replicas_ready()
            except Exception as error:  # reported in the fault table, never hidden
                measured.error = f"{type(error).__name__}: {error}"[:300]
                self.say(f"  fault {measured.target}: {measured.error}")

    async def _do(self, fault: Fault, index: int) -> None:
        if fault.kind == "broker":
            await self.broker_fault(fault.index)
        elif fault.kind == "postgres":
            await self.postgres.crash()
            await self.postgres.start()
            await self.all_serving()
        else:
            await self.cluster.kill_replica(fault.service, index)
            await self.restart_replica(fault.service, index)

    async def broker_fault(self, node_id: int) -> None:
        """SIGKILL a broker and start it again, recovered only once it is whole again.

        Until the controllers fence the killed broker (broker.session.timeout.ms) they still
        list it and every ISR still holds it, so "every broker registered, every ISR whole"
        held the moment the new JVM was spawned. Waiting for the fencing first (which also
        drops it from the ISRs) makes both mean what they say after the restart."""
        await self.cluster.kill_broker(node_id)
        await asyncio.sleep(BROKER_DOWN_S)  # the fault's length, not a synchronisation
        await self.cluster.wait_broker_gone(node_id, within=RECOVER_S)
        await self.cluster.restart_broker(node_id)
        # Registered is not caught up: killing the next broker before the restarted one
        # is back in every ISR would leave partitions below min.insync.replicas.
        await poll(self.fully_replicated, within=RECOVER_S, every=1.0,
                   what="every partition back to a full ISR")

    async def restart_replica(self, service: str, index: int) -> None:
        """Start the replica again; one that dies starting (PostgreSQL or a broker was down
        at that moment, as happens in a real outage) is started again, as systemd would."""
        for attempt in range(1, 6):
            try:
                await self.cluster.restart_replica(service, index)
                return
            except RuntimeError as failure:
                self.say(f"  {service}-{index + 1} failed to start (attempt {attempt}): "
                         f"{str(failure).splitlines()[0][:160]}")
                with contextlib.suppress(ProcessLookupError):
                    self.cluster.replicas[service][index].process.kill()
                await self.cluster.replicas[service][index].process.wait()
        raise RuntimeError(f"{service}-{index + 1} did not start in 5 attempts")

    async def fully_replicated(self) -> bool:
        admin = make_admin(self.cluster.layout.bootstrap, request_timeout_ms=10_000)
        try:
            await asyncio.wait_for(admin.start(), timeout=15)
            names = [t for t in await admin.list_topics()
                     if t.startswith(f"{self.cluster.layout.namespace}.")
                     or t in INTERNAL_TOPICS]
            described = await asyncio.wait_for(admin.describe_topics(names), timeout=30)
        except Exception:  # a broker still electing: the deadline decides
            return False
        finally:
            with contextlib.suppress(Exception):
                await admin.close()
        return all(len(p["isr"]) == len(p["replicas"])
                   for topic in described for p in topic["partitions"])

    async def relay_leader(self, service: str, fallback: int) -> int:
        """The replica whose relay holds the lock, from its /metrics (else `fallback`)."""
        async with httpx.AsyncClient(timeout=5) as http:
            for index, port in enumerate(self.cluster.layout.replica_ports[service]):
                try:
                    answer = await http.get(f"http://127.0.0.1:{port}/metrics")
                except httpx.HTTPError:
                    continue
                if answer.status_code == 200 and _LEADER.search(answer.text):
                    return index
        return fallback

    async def all_serving(self) -> None:
        """Every service answers /readyz through its load balancer again: what a client
        sees. (Waiting for every replica overstated it: a replica another fault had killed
        meanwhile counted as the database's outage.)"""
        await _all_ready([self.cluster.layout.url(s) for s in self.cluster.layout.services],
                         "every service serving through its load balancer")

    async def idle_replicas_ready(self) -> None:
        """Every replica no other fault holds answers /readyz again: the load balancers
        serve as soon as one replica of each service is back, and one that never reconnects
        to the database would otherwise go unseen."""
        await _all_ready([f"http://127.0.0.1:{port}"
                          for service, ports in self.cluster.layout.replica_ports.items()
                          for index, port in enumerate(ports)
                          if not self._held(service, index)],
                         "every replica no other fault holds ready again")

    def _held(self, service: str, index: int) -> bool:
        lock = self.replica_locks.get((service, index))
        return lock is not None and lock.locked()


async def _all_ready(urls: Sequence[str], what: str) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        async def ready() -> bool:
            for url in urls:
                try:
                    answer = await http.get(f"{url}/readyz")
                except httpx.HTTPError:
                    return False
                if answer.status_code != 200:
                    return False
            return True

        await poll(ready, within=RECOVER_S, every=0.25, what=what)
